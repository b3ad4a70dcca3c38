/**
 * Networking on the host itself: nftables and legacy x_tables, the device
 * nodes microVMs need, IPv6 and forwarding switches, and the links.
 * (Probes in a throw-away namespace live in _scratch.ts.)
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Facts } from "../facts.js";
import { at, type GatherContext } from "./_context.js";
import { readFlag, readOptionalText, statOf } from "./_fs.js";
import { parseLinksJson } from "./_links.js";
import { codeOf, probe, ProbeError } from "./_probe.js";
import { firstLine } from "./_tools.js";

/** Keyed by their canonical /dev path, whatever the dev root, so the evaluator can look them up. */
const DEVICE_NODES = ["net/tun", "vhost-vsock", "vhost-net"];

export async function gatherNetHost(ctx: GatherContext): Promise<Omit<Facts["net"], "scratch">> {
  const [nft, legacyIptables, devices, ipv6, forwarding, links] = await Promise.all([
    probe("nft", () => _nft(ctx)),
    probe("legacy iptables", () => _legacyIptables(ctx)),
    _devices(ctx),
    probe("ipv6", async () => {
      const [disabledAll, disabledDefault, ifInet6] = await Promise.all([
        readFlag(at(ctx, "proc", "sys/net/ipv6/conf/all/disable_ipv6")),
        readFlag(at(ctx, "proc", "sys/net/ipv6/conf/default/disable_ipv6")),
        statOf(at(ctx, "proc", "net/if_inet6")).then((s) => s.exists),
      ]);
      return { disabledAll, disabledDefault, ifInet6 };
    }),
    probe("forwarding", async () => {
      const [ipv4, ipv6] = await Promise.all([
        readFlag(at(ctx, "proc", "sys/net/ipv4/ip_forward")),
        readFlag(at(ctx, "proc", "sys/net/ipv6/conf/all/forwarding")),
      ]);
      return { ipv4, ipv6 };
    }),
    probe("links", async () => {
      // -details: without it iproute2 leaves out linkinfo, and with it the kind.
      const out = await ctx.tools.output("ip", ["-details", "-json", "link", "show"]);
      try {
        return parseLinksJson(out);
      } catch (err) {
        throw new ProbeError(`cannot parse the output of ip -details -json link show: ${(err as Error).message}`);
      }
    }),
  ]);
  return { nft, legacyIptables, devices, ipv6, forwarding, links };
}

async function _nft(ctx: GatherContext) {
  const [versionText, list] = await Promise.all([
    ctx.tools.output("nft", ["--version"]),
    ctx.tools.run("nft", ["list", "tables"]),
  ]);
  const line = firstLine(versionText);
  // "nftables v1.0.6 (Lester Gooch #5)" → "1.0.6"; anything else is kept whole.
  const version = /\bv(\d+(?:\.\d+)+)\b/.exec(line)?.[1] ?? line;
  const listOk = list.exitCode === 0;
  return listOk ? { version, listOk } : { version, listOk, error: firstLine(list.stderr) || `exit ${list.exitCode}` };
}

/** A missing *_tables_names file means x_tables is not loaded; a missing /proc/net means we cannot tell. */
async function _legacyIptables(ctx: GatherContext) {
  // /proc/net is a symlink to self/net: follow it.
  const procNet = at(ctx, "proc", "net");
  let isDir: boolean;
  try {
    isDir = (await stat(procNet)).isDirectory();
  } catch (err) {
    throw new ProbeError(`cannot read ${procNet}: ${codeOf(err)}`, { cause: err });
  }
  if (!isDir) throw new ProbeError(`cannot read ${procNet}: not a directory`);
  const [ipv4, ipv6] = await Promise.all(["ip_tables_names", "ip6_tables_names"].map(async (f) => {
    const text = await readOptionalText(join(procNet, f));
    return text === null ? [] : text.split("\n").map((l) => l.trim()).filter((l) => l !== "").sort();
  }));
  return { ipv4: ipv4 ?? [], ipv6: ipv6 ?? [] };
}

async function _devices(ctx: GatherContext): Promise<Facts["net"]["devices"]> {
  const entries = await Promise.all(DEVICE_NODES.map(async (rel) => [`/dev/${rel}`, await probe(`/dev/${rel}`, () => statOf(at(ctx, "dev", rel)))] as const));
  return Object.fromEntries(entries);
}
