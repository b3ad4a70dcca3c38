/** Host hygiene the platform cares about: swap (guest memory must not be swapped) and KSM (cross-VM page sharing). */
import type { Facts } from "../facts.js";
import { at, type GatherContext } from "./_context.js";
import { readInt, readText } from "./_fs.js";
import { probe, unexpectedContent } from "./_probe.js";

export async function gatherHygiene(ctx: GatherContext): Promise<Facts["hygiene"]> {
  const [swaps, ksmRun] = await Promise.all([
    probe("swaps", async () => {
      const path = at(ctx, "proc", "swaps");
      return _parseSwaps(path, await readText(path));
    }),
    probe("ksm", () => readInt(at(ctx, "sys", "kernel/mm/ksm/run"))),
  ]);
  return { swaps, ksmRun };
}

/** "Filename Type Size Used Priority" then one line per swap area; names escape spaces as \040. */
function _parseSwaps(path: string, text: string): { name: string; sizeKiB: number }[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (!lines[0]?.startsWith("Filename")) throw unexpectedContent(path, text, "the Filename/Type/Size/Used/Priority header");
  return lines.slice(1).map((line) => {
    const fields = line.trim().split(/\s+/);
    const size = fields[2];
    if (fields.length < 5 || size === undefined || !/^\d+$/.test(size)) throw unexpectedContent(path, line, "NAME TYPE SIZE USED PRIORITY");
    return { name: fields[0]!.replace(/\\040/g, " "), sizeKiB: Number(size) };
  });
}
