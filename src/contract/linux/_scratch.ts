/**
 * Probes that need to change networking, run where they cannot hurt the host:
 * in an anonymous network namespace made by `unshare --net` for one child
 * process. Nothing names that namespace (no /var/run/netns entry, no bind
 * mount), so the kernel frees it, with every link and nftables table in it,
 * when its last process exits — normally, on timeout, or on SIGKILL. Nothing
 * can leak onto the host, and there is no cleanup to forget.
 *
 * Two children: `ip -force -batch -` for the links (one process, so one
 * namespace holds them all), and `nft -f -` for an nftables table.
 */
import type { Facts, ScratchStep } from "../facts.js";
import type { GatherContext } from "./_context.js";
import { linkProbeBatch, linkSteps, parseBatchErrors } from "./_ip-batch.js";
import { probe, ProbeError, reasonOf } from "./_probe.js";
import { firstLine } from "./_tools.js";

type ScratchFacts = Facts["net"]["scratch"];

/** A real load, not `nft -c`: the chain's hook is registered by the kernel inside the transaction, which then deletes the table. */
const NFT_SCRIPT = [
  "add table inet hostplane_probe",
  "add chain inet hostplane_probe c { type filter hook input priority 0; }",
  "delete table inet hostplane_probe",
  "",
].join("\n");

/** Root gets a plain network namespace; anyone else needs a user namespace to hold CAP_NET_ADMIN in it. */
function _unshareArgs(euid: number): { method: string; args: string[] } {
  const args = euid === 0 ? ["--net"] : ["--user", "--map-root-user", "--net"];
  return { method: `unshare ${args.join(" ")}`, args };
}

export function gatherScratch(ctx: GatherContext): Promise<ScratchFacts> {
  return probe("scratch namespace", async () => {
    const { method, args } = _unshareArgs(ctx.euid);
    const [links, nftables] = await Promise.all([_links(ctx, args), _nftables(ctx, args)]);
    return { method, ...links, nftables };
  });
}

async function _links(ctx: GatherContext, unshareArgs: readonly string[]) {
  const ip = await ctx.tools.locate("ip");
  const lines = linkProbeBatch();
  const r = await ctx.tools.run("unshare", [...unshareArgs, "--", ip, "-oneline", "-force", "-batch", "-"], {
    input: lines.map((l) => `${l.text}\n`).join(""),
  });
  const { unattributed } = parseBatchErrors(r.stderr);
  // unshare's own failures (no permission, cannot exec ip) come before any batch line runs.
  const fatal = unattributed.find((l) => l.startsWith("unshare:"));
  if (fatal !== undefined) throw new ProbeError(`unshare ${unshareArgs.join(" ")} -- ${ip} failed: ${fatal}`);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new ProbeError(`unshare … ${ip} -batch exited ${r.exitCode}: ${firstLine(r.stderr) || "(no message)"}`);
  try {
    return linkSteps(lines, r.stderr, r.stdout.toString("utf8"));
  } catch (err) {
    throw new ProbeError(`cannot read the output of ${ip} -batch in the scratch namespace: ${(err as Error).message}`);
  }
}

/** Its own step rather than the probe's reason: a host without nft can still have working links. */
async function _nftables(ctx: GatherContext, unshareArgs: readonly string[]): Promise<ScratchStep> {
  try {
    const nft = await ctx.tools.locate("nft");
    const r = await ctx.tools.run("unshare", [...unshareArgs, "--", nft, "-f", "-"], { input: NFT_SCRIPT });
    if (r.exitCode === 0) return { created: true, removed: true };
    const lines = r.stderr.split("\n");
    const error = lines.find((l) => l.includes("Error:") || l.startsWith("unshare:"))?.trim() ?? (firstLine(r.stderr) || `exit ${r.exitCode}`);
    return { created: false, removed: null, error };
  } catch (err) {
    return { created: false, removed: null, error: reasonOf("nftables scratch probe", err) };
  }
}
