/** CPU facts: /proc/cpuinfo, the kernel's vulnerability report and SMT state. */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Facts } from "../facts.js";
import { at, type GatherContext } from "./_context.js";
import { parseFlag, readOptionalText, readText } from "./_fs.js";
import { summarizeCpuinfo } from "./_cpuinfo.js";
import { codeOf, probe, ProbeError } from "./_probe.js";

export async function gatherCpu(ctx: GatherContext): Promise<Pick<Facts, "cpu" | "cpuVulnerabilities" | "smt">> {
  const [cpu, cpuVulnerabilities, smt] = await Promise.all([
    probe("cpu", async () => {
      const path = at(ctx, "proc", "cpuinfo");
      const summary = summarizeCpuinfo(await readText(path));
      if (typeof summary === "string") throw new ProbeError(`unexpected content in ${path}: ${summary}`);
      return summary;
    }),
    probe("cpu vulnerabilities", () => _vulnerabilities(at(ctx, "sys", "devices/system/cpu/vulnerabilities"))),
    probe("smt", async () => {
      const dir = at(ctx, "sys", "devices/system/cpu/smt");
      const control = (await readText(join(dir, "control"))).trim();
      const activeText = await readOptionalText(join(dir, "active"));
      return { control, active: activeText === null ? null : parseFlag(join(dir, "active"), activeText) };
    }),
  ]);
  return { cpu, cpuVulnerabilities, smt };
}

/**
 * Every entry or none: a partial map would read as "no such vulnerability"
 * for the entry we could not read, so one unreadable entry fails the probe.
 */
async function _vulnerabilities(dir: string): Promise<Record<string, string>> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw new ProbeError(`cannot list ${dir}: ${codeOf(err)}`, { cause: err });
  }
  const lines = await Promise.all(names.map(async (n) => (await readText(join(dir, n))).trim()));
  return Object.fromEntries(names.map((n, i) => [n, lines[i] ?? ""]));
}
