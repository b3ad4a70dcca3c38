/**
 * Which files guard checks: walks the given paths honouring .gitignore files
 * (at every level) and the config's `exclude` patterns, keeping `*.nix`,
 * `flake.lock` and `nix.conf` files. Symlinked directories are not followed.
 */
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, relative, resolve, sep, dirname } from "node:path";
import ignore, { type Ignore } from "ignore";
import { fileKindOf } from "../../guard/lint.js";
import { UsageError } from "../errors.js";

export interface GuardTarget {
  abs: string;
  /** Relative to the scan root, forward slashes. */
  rel: string;
  /** Bytes, or -1 when not yet read. */
  size: number;
  /** For a flake.nix: the flake.lock beside it (null when missing). */
  siblingLock?: string | null;
}

const ALWAYS_SKIPPED = new Set([".git", ".hg", ".svn", "node_modules", ".direnv", "result"]);

const toPosix = (p: string): string => (sep === "/" ? p : p.split(sep).join("/"));

interface IgnoreLayer {
  dir: string;
  matcher: Ignore;
}

function loadGitignore(dir: string, known?: boolean): IgnoreLayer | null {
  const file = join(dir, ".gitignore");
  if (known === false || (known === undefined && !existsSync(file))) return null;
  try {
    return { dir, matcher: ignore().add(readFileSync(file, "utf8")) };
  } catch {
    return null;
  }
}

function ignoredBy(layers: readonly IgnoreLayer[], abs: string, isDir: boolean): boolean {
  for (const layer of layers) {
    const rel = toPosix(relative(layer.dir, abs));
    if (rel === "" || rel.startsWith("..")) continue;
    if (layer.matcher.ignores(isDir ? rel + "/" : rel)) return true;
  }
  return false;
}

export function collectTargets(paths: readonly string[], options: { root: string; exclude: readonly string[] }): GuardTarget[] {
  const root = resolve(options.root);
  const excluded = ignore().add([...options.exclude]);
  const out = new Map<string, GuardTarget>();
  const relOf = (abs: string): string => toPosix(relative(root, abs)) || ".";
  const isExcluded = (abs: string, isDir: boolean): boolean => {
    const rel = relOf(abs);
    return !rel.startsWith("..") && rel !== "." && excluded.ignores(isDir ? rel + "/" : rel);
  };

  const add = (abs: string, size: number): void => {
    out.set(abs, { abs, rel: relOf(abs), size });
  };

  const walk = (dir: string, layers: IgnoreLayer[]): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new UsageError(`cannot read directory ${relOf(dir)}: ${(err as Error).message}`, { cause: err });
    }
    const own = loadGitignore(dir, entries.some((e) => e.name === ".gitignore"));
    const here = own ? [...layers, own] : layers;
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (ALWAYS_SKIPPED.has(entry.name) || ignoredBy(here, abs, true) || isExcluded(abs, true)) continue;
        walk(abs, here);
      } else if (entry.isFile()) {
        if (fileKindOf(entry.name) === null || ignoredBy(here, abs, false) || isExcluded(abs, false)) continue;
        add(abs, -1); // size read only if the worker pool needs it (one stat per file saved)
      }
    }
  };

  for (const p of paths.length ? paths : ["."]) {
    const abs = resolve(root, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new UsageError(`no such file or directory: ${p}`);
    }
    if (st.isDirectory()) {
      // .gitignore files above the starting directory (up to the root) apply too.
      const layers: IgnoreLayer[] = [];
      for (let d = dirname(abs); d.startsWith(root) && d !== abs; d = dirname(d)) {
        const layer = loadGitignore(d);
        if (layer) layers.unshift(layer);
        if (d === root) break;
      }
      walk(abs, layers);
    } else if (fileKindOf(abs) === null) {
      throw new UsageError(`${p} is not a Nix file, flake.lock or nix.conf; guard checks *.nix, flake.lock and nix.conf files`);
    } else {
      add(abs, st.size); // an explicitly named file is checked even when ignored
    }
  }
  const targets = [...out.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  for (const t of targets) {
    if (!t.rel.endsWith("flake.nix") || fileKindOf(t.abs) !== "nix" || !/(^|\/)flake\.nix$/.test(t.rel)) continue;
    const lock = join(dirname(t.abs), "flake.lock");
    t.siblingLock = existsSync(lock) ? readFileSync(lock, "utf8") : null;
  }
  return targets;
}
