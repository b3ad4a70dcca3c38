/** `hostplane cache scan-closure`: secrets that reached the store through evaluation, found in the built closure. */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { scanClosure } from "../../cache/index.js";
import { Nix } from "../../nix/index.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

export const SCAN_HELP = `Usage: hostplane cache scan-closure [--store DIR] [--jobs N] [--max-file-bytes N] [--json] PATH…

Read every file of the closure of each store PATH — regular files, symlink
targets, binaries — and run guard's credential detectors over the bytes.
Reports store path, file and kind of each credential, never its value. This
finds secrets that reach the store through evaluation (readFile of a file
outside the repository, an impure getEnv), which no source linter can see.

  --store DIR          a chroot store (files under DIR/nix/store); default: the machine's store
  --jobs N             scanning threads (default: all cores)
  --max-file-bytes N   skip (and list) files larger than N bytes

Exit codes: 0 no credential found, 1 credentials found, 2 usage error, 3 Nix failure.
`;

export async function scanCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: {
      store: { type: "string" }, jobs: { type: "string" }, "max-file-bytes": { type: "string" }, json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(SCAN_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("give at least one store path whose closure to scan");
  const positive = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer (got "${v}")`);
    return n;
  };
  const jobs = positive("--jobs", values.jobs);
  const maxFileBytes = positive("--max-file-bytes", values["max-file-bytes"]);
  const store = values.store === undefined ? undefined : resolve(io.cwd, values.store);
  const nix = new Nix(store === undefined ? {} : { store });
  const paths = await nix.closure(positionals);
  const result = await scanClosure({
    paths, storeDir: store === undefined ? "/nix/store" : join(store, "nix/store"),
    ...(jobs !== undefined ? { jobs } : {}), ...(maxFileBytes !== undefined ? { maxFileBytes } : {}),
  });
  if (values.json) io.stdout(JSON.stringify({ paths: paths.length, ...result }, null, 2) + "\n");
  else {
    const lines = [`scanned ${paths.length} store paths, ${result.files} files, ${(result.bytes / 1e6).toFixed(1)} MB`];
    for (const f of result.findings) lines.push(`  ${f.ruleId.padEnd(26)} ${f.storePath}${f.file ? "/" + f.file : ""}${f.source === "symlink-target" ? " (symlink target)" : ` @${f.offset}`}  ${f.masked}`);
    for (const s of result.skipped) lines.push(`  skipped ${s.path}: ${s.reason}`);
    lines.push(result.findings.length ? `✖ ${result.findings.length} credential(s) in the closure: they are world-readable in /nix/store — rotate them and deliver them at runtime` : "✔ no credentials found");
    io.stdout(lines.join("\n") + "\n");
  }
  return result.findings.length > 0 ? 1 : 0;
}
