/**
 * A release manifest file, read and checked here before anything is sent:
 * JSON syntax (with line and column), then ReleaseManifestSchema with every
 * problem and its path. Also the manifest's JSON Schema, as published in
 * schema/release.schema.json.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { ReleaseManifestSchema, type ReleaseManifest } from "../../fleet/release.js";
import { UsageError } from "../errors.js";
import { issuesError, zodIssues } from "../issues.js";

/** JSON Schema of a release manifest, published as `schema/release.schema.json`. */
export function releaseManifestJsonSchema(): Record<string, unknown> {
  const { $schema, $defs = {}, ...rest } = z.toJSONSchema(ReleaseManifestSchema, { io: "input" });
  // The manifest carries an id for the OpenAPI document, so zod puts it under $defs; here it is the document itself.
  const { ReleaseManifest: root, ...others } = $defs;
  return { $schema, ...(root ?? rest), ...(Object.keys(others).length > 0 ? { $defs: others } : {}) };
}

/** Line and column (1-based) of character `offset` in `text`. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/** Does `prefix` read as the start of a JSON text (the parser ran out of input rather than into a bad character)? */
function validPrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    return message.includes("end of JSON input") || (at !== null && Number(at[1]) >= prefix.length);
  }
}

/** Parse `text` as JSON; a UsageError naming `file` and the line and column where the syntax breaks. */
export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Node 20's messages do not always give the position: find the longest prefix that still reads as JSON.
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (validPrefix(text.slice(0, mid))) lo = mid; else hi = mid - 1;
    }
    // V8 quotes the text around the error, newlines and all: the position says where, so the first clause is enough.
    const why = (err as Error).message.split(/, "|\n/)[0];
    throw new UsageError(`${file} is not valid JSON (${position(text, lo)}): ${why}`, { cause: err });
  }
}

/** Read `file` (relative to `cwd`) as text; a UsageError when it cannot be read. */
export function readTextFile(cwd: string, file: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, file), "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** The manifest in `file`, checked; a UsageError listing every problem with its path when it is not one. */
export function loadManifest(cwd: string, file: string): { raw: unknown; manifest: ReleaseManifest } {
  const raw = parseJsonFile(readTextFile(cwd, file, "release manifest"), file);
  const parsed = ReleaseManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw issuesError(`release manifest ${file} is not valid, nothing was sent`, zodIssues(parsed.error), {
      hint: "The format: hostplane release schema (or schema/release.schema.json).",
    });
  }
  return { raw, manifest: parsed.data };
}
