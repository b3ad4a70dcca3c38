/**
 * The running kernel: release and version, the config options the contract
 * asks about (/proc/config.gz, else /boot/config-<release>), and the command line.
 */
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { Facts, Probe } from "../facts.js";
import { at, type GatherContext } from "./_context.js";
import { readBytes, readText } from "./_fs.js";
import { pickKernelConfig, looksLikeKernelConfig } from "./_kernel-config.js";
import { codeOf, probe, ProbeError, reasonOf, unexpectedContent } from "./_probe.js";

const gunzipAsync = promisify(gunzip);

type KernelFacts = Pick<Facts, "kernel" | "kernelConfig" | "cmdline">;

export async function gatherKernel(ctx: GatherContext, configKeys: readonly string[]): Promise<KernelFacts> {
  // Read from the proc root (not os.release()) so a fake tree is honoured; on a real host they agree.
  const kernelP = probe("kernel", async () => {
    const [release, version] = await Promise.all([
      _line(at(ctx, "proc", "sys/kernel/osrelease")),
      _line(at(ctx, "proc", "sys/kernel/version")),
    ]);
    return { release, version };
  });
  const cmdlineP = probe("cmdline", async () => hostParameters((await readText(at(ctx, "proc", "cmdline"))).trim()));
  const kernel = await kernelP;
  const [kernelConfig, cmdline] = await Promise.all([_config(ctx, kernel, configKeys), cmdlineP]);
  return { kernel, kernelConfig, cmdline };
}

/**
 * Only the boot parameters that bear on the contract: a kernel command line
 * can carry anything (root passwords for initrd scripts, tokens for cloud
 * init), and facts files travel to the server and sit 0644 on disk.
 */
const CONTRACT_PARAMETERS = /^(?:systemd\.unified_cgroup_hierarchy|systemd\.legacy_systemd_cgroup_controller|cgroup_no_v1|cgroup_enable|mitigations|nosmt|ipv6\.disable|intel_iommu|amd_iommu|iommu|hugepagesz?|default_hugepagesz|isolcpus|nohz_full|(?:kvm|kvm_intel|kvm_amd)\.[\w-]+)(?:=|$)/;

export function hostParameters(cmdline: string): string {
  return cmdline.split(/\s+/).filter((p) => CONTRACT_PARAMETERS.test(p)).join(" ");
}

async function _line(path: string): Promise<string> {
  const text = (await readText(path)).trim();
  if (text === "" || text.includes("\n")) throw unexpectedContent(path, text, "one non-empty line");
  return text;
}

/** /proc/config.gz first (CONFIG_IKCONFIG_PROC), then the distribution's /boot copy; both reasons if neither works. */
async function _config(
  ctx: GatherContext, kernel: Probe<{ release: string }>, keys: readonly string[],
): Promise<Facts["kernelConfig"]> {
  const gz = at(ctx, "proc", "config.gz");
  const sources: [string, () => Promise<string>][] = [[gz, async () => _gunzip(gz, await readBytes(gz))]];
  if (kernel.ok) {
    const boot = at(ctx, "boot", `config-${kernel.value.release}`);
    sources.push([boot, () => readText(boot)]);
  }
  const reasons: string[] = [];
  for (const [path, read] of sources) {
    try {
      const text = await read();
      if (!looksLikeKernelConfig(text)) throw unexpectedContent(path, text, "a kernel config");
      return { ok: true, value: { source: path, options: pickKernelConfig(text, keys) } };
    } catch (err) {
      reasons.push(reasonOf("kernel config", err));
    }
  }
  if (!kernel.ok) reasons.push(`cannot look in ${ctx.roots.boot}: the kernel release is unknown (${kernel.reason})`);
  return { ok: false, reason: `no kernel config: ${reasons.join("; ")}` };
}

async function _gunzip(path: string, packed: Buffer): Promise<string> {
  try {
    return (await gunzipAsync(packed)).toString("utf8");
  } catch (err) {
    throw new ProbeError(`cannot decompress ${path}: ${codeOf(err)}`, { cause: err });
  }
}
