/**
 * Store paths named by a release manifest, validated at the edge:
 *   { "nodes": { "<node>": { "system": "/nix/store/…" } } }
 *   { "closures": ["/nix/store/…"] }
 *   ["/nix/store/…"]
 * Every problem is reported with the file and its JSON path; closurePaths
 * expands the roots into what an audit checks.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { jsonErrorOffset } from "./_json-position.js";
import { STORE_DIR, storePathProblem } from "./_store-path.js";
import { closurePaths, type ClosurePaths, type ClosurePathsOptions } from "./closure-paths.js";

export class ManifestError extends Error {
  override readonly name = "ManifestError";
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super(`invalid release manifest ${file}:\n${problems.map((p) => `  ${p}`).join("\n")}`, options);
  }
}

function schemas(storeDir: string) {
  const storePath = z.string().superRefine((value, ctx) => {
    const problem = storePathProblem(value, storeDir);
    if (problem !== null) ctx.addIssue({ code: "custom", message: `expected a store path ${storeDir}/<hash>-<name>: ${problem}` });
  });
  return {
    // Manifests carry more per node (generation, closure size, …): extra keys are allowed.
    nodes: z.looseObject({
      nodes: z.record(z.string().min(1), z.looseObject({ system: storePath })),
    }),
    closures: z.looseObject({ closures: z.array(storePath) }),
    list: z.array(storePath),
  };
}

/** `$.nodes["web-3"].system`, `$.closures[2]`. */
function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][\w]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** "line L, column C: " of the first JSON syntax error. */
function syntaxWhere(text: string): string {
  const pos = jsonErrorOffset(text);
  if (pos === null) return "";
  const before = text.slice(0, pos);
  return `line ${before.split("\n").length}, column ${pos - before.lastIndexOf("\n")}: `;
}

/** Root store paths of a manifest (unique, in manifest order). `source` names the file in errors. */
export function parseManifest(text: string, source: string, options: { storeDir?: string } = {}): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    // V8 appends a quote of the text (", ...\"…\" is not valid JSON"); the position says more.
    const first = (cause as Error).message.split("\n")[0] ?? "";
    const cut = first.search(/, (?:\.\.\.)?"/);
    const message = cut < 0 ? first : first.slice(0, cut);
    throw new ManifestError(source, [`${syntaxWhere(text)}not valid JSON (${message})`], { cause });
  }
  const s = schemas(options.storeDir ?? STORE_DIR);
  const obj = typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  const fail = (error: z.ZodError): never => {
    throw new ManifestError(source, error.issues.map((i) => `${jsonPath(i.path)}: ${i.message}`));
  };
  let roots: string[];
  if (Array.isArray(data)) {
    const r = s.list.safeParse(data);
    roots = r.success ? r.data : fail(r.error);
  } else if (obj !== undefined && "nodes" in obj) {
    const r = s.nodes.safeParse(obj);
    roots = r.success ? Object.values(r.data.nodes).map((n) => n.system) : fail(r.error);
  } else if (obj !== undefined && "closures" in obj) {
    const r = s.closures.safeParse(obj);
    roots = r.success ? r.data.closures : fail(r.error);
  } else {
    throw new ManifestError(source, [`$: expected {"nodes": {"<node>": {"system": "<store path>"}}}, {"closures": ["<store path>", …]} or an array of store paths`]);
  }
  return [...new Set(roots)];
}

/** Read and validate a manifest file; errors name the file. */
export async function readManifest(file: string, options: { storeDir?: string } = {}): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ManifestError(file, [`cannot read it: ${(cause as Error).message}`], { cause });
  }
  return parseManifest(text, file, options);
}

/** A manifest's roots and everything they reference: through the store when it holds them, else through the cache. */
export async function manifestPaths(file: string, options: ClosurePathsOptions): Promise<ClosurePaths & { roots: string[] }> {
  const roots = await readManifest(file, options.cache.storeDir === undefined ? {} : { storeDir: options.cache.storeDir });
  return { roots, ...(await closurePaths(roots, options)) };
}
