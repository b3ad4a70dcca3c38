/**
 * The one adapter over the nix CLI. Every method runs nix programs through
 * src/process/run (timeout + kill delay), parses their output into typed
 * values, and throws NixError with a code for what the stderr meant.
 * Works with Debian's Nix 2.8 and newer Nix where their formats differ.
 */
import { readFile, readlink } from "node:fs/promises";
import { basename } from "node:path";
import { NixRunner } from "./_runner.js";
import { parseConfigJson, parseVersion, type NixConfig, type NixVersion } from "./config.js";
import { NixError, nixErrorFromRun, parseOutput } from "./errors.js";
import { parseGcResult, parseGcRoots, parseStorePathLines, type GcResult, type GcRoot } from "./gc.js";
import { generateKey, type GeneratedKey } from "./keys.js";
import { parsePathInfoJson, type PathInfo } from "./path-info.js";
import {
  generationOfLink, generationSpecArgs, parseGenerations, parseRemoved, parseSwitch,
  type Generation, type GenerationSpec,
} from "./profile.js";
import { decodeVerify, type VerifyReport } from "./verify.js";

export interface NixOptions {
  /** Store for every call unless a call names another: a chroot dir, `local?root=/x`, `file://…`, `daemon`. */
  store?: string;
  /** Added to the process environment (e.g. NIX_CONFIG, XDG_CACHE_HOME). */
  env?: Readonly<Record<string, string>>;
  /** Per-call timeout unless a call sets its own (default 5 min). */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL on timeout (default 2 s). */
  killDelayMs?: number;
  /** Directory of the nix binaries (default /usr/bin if nix is there, else PATH). */
  bin?: string;
}

interface CallOptions {
  store?: string;
  timeoutMs?: number;
}

export interface BuildOptions extends CallOptions {
  /** `-A attr` for a file target. */
  attr?: string;
  /** Extra `--option name value` pairs. */
  options?: Readonly<Record<string, string>>;
}

export interface CopyOptions {
  from?: string;
  to?: string;
  paths: readonly string[];
  /** Replaces trusted-public-keys for this call; `[]` trusts no key. */
  trustedPublicKeys?: readonly string[];
  /** false → `--no-check-sigs`. */
  checkSigs?: boolean;
  substituters?: readonly string[];
  options?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

export interface VerifyOptions extends CallOptions {
  trustedPublicKeys?: readonly string[];
  sigsNeeded?: number;
  /** Check signatures only, not NAR contents. */
  noContents?: boolean;
  recursive?: boolean;
}

/** Paths a chroot (diverted) store builds in a forced sandbox that needs the host's shell and libraries. */
const CHROOT_SANDBOX_PATHS = "/bin /usr /lib /lib64";
const PATH_INFO_CHUNK = 1000;

function isChrootStore(store: string | undefined): boolean {
  return store !== undefined && (store.startsWith("/") || /^local\?(?:[^#]*&)?root=/.test(store));
}

function optionArgs(options: Readonly<Record<string, string>> | undefined): string[] {
  return Object.entries(options ?? {}).flatMap(([k, v]) => ["--option", k, v]);
}

function copiedPaths(stderr: string): string[] {
  return [...stderr.matchAll(/^copying path '(\/[^']+)' (?:from|to) /gm)].map((m) => m[1]!).sort();
}

export class Nix {
  private readonly runner: NixRunner;
  private configCommand: readonly string[] | undefined;
  private versionCache: NixVersion | undefined;

  constructor(options: NixOptions = {}) {
    this.runner = new NixRunner(options);
  }

  get store(): string | undefined {
    return this.runner.store;
  }

  /** Builds a file (optionally one attribute) or an expression; returns the output paths in nix-build's order. */
  async build(target: string | { expr: string }, options: BuildOptions = {}): Promise<string[]> {
    const store = options.store ?? this.runner.store;
    const extra = { ...options.options };
    if (isChrootStore(store) && extra["sandbox-paths"] === undefined) extra["sandbox-paths"] = CHROOT_SANDBOX_PATHS;
    const what = typeof target === "string" ? `nix-build ${target}${options.attr ? ` -A ${options.attr}` : ""}` : "nix-build of an expression";
    const args = [
      "--no-out-link", ...this.runner.storeArgs(store), ...optionArgs(extra),
      ...(typeof target === "string" ? [target] : ["-E", target.expr]),
      ...(options.attr === undefined ? [] : ["-A", options.attr]),
    ];
    const r = await this.runner.exec("nix-build", args, { what, timeoutMs: options.timeoutMs });
    return r.stdout.toString("utf8").split("\n").map((l) => l.trim()).filter((l) => l.startsWith("/"));
  }

  /** Store-path metadata; missing paths come back as `{ valid: false }`. */
  async pathInfo(paths: readonly string[], options: CallOptions & { recursive?: boolean; sigs?: boolean; closureSize?: boolean } = {}): Promise<PathInfo[]> {
    if (paths.length === 0) return [];
    const out = new Map<string, PathInfo>();
    for (let i = 0; i < paths.length; i += PATH_INFO_CHUNK) {
      const chunk = paths.slice(i, i + PATH_INFO_CHUNK);
      const args = [
        "path-info", "--json", ...this.runner.storeArgs(options.store),
        ...(options.recursive ? ["--recursive"] : []), ...(options.sigs ? ["--sigs"] : []), ...(options.closureSize ? ["--closure-size"] : []),
        "--", ...chunk,
      ];
      const what = `nix path-info of ${chunk.length} path(s)${this.where(options.store)}`;
      const r = await this.runner.exec("nix", args, { what, timeoutMs: options.timeoutMs });
      for (const info of parseOutput(what, r, parsePathInfoJson)) out.set(info.path, info);
    }
    return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Every path the given paths depend on, themselves included, sorted. */
  async closure(paths: string | readonly string[], options: CallOptions = {}): Promise<string[]> {
    const list = typeof paths === "string" ? [paths] : paths;
    if (list.length === 0) return [];
    const r = await this.runner.exec("nix-store", [...this.runner.storeArgs(options.store), "--query", "--requisites", ...list], {
      what: `closure of ${list.length === 1 ? list[0]! : `${list.length} paths`}${this.where(options.store)}`,
      timeoutMs: options.timeoutMs,
    });
    return parseStorePathLines(r.stdout.toString("utf8"));
  }

  /** `nix copy` with explicit trust; returns the paths actually copied (already-present ones are skipped by Nix). */
  async copy(options: CopyOptions): Promise<{ copied: string[] }> {
    if (options.paths.length === 0) return { copied: [] };
    const extra: Record<string, string> = { ...options.options };
    if (options.trustedPublicKeys !== undefined) extra["trusted-public-keys"] = options.trustedPublicKeys.join(" ");
    if (options.substituters !== undefined) extra.substituters = options.substituters.join(" ");
    const args = [
      "copy",
      ...(options.from === undefined || options.to === undefined ? this.runner.storeArgs() : []),
      ...(options.from === undefined ? [] : ["--from", options.from]),
      ...(options.to === undefined ? [] : ["--to", options.to]),
      ...(options.checkSigs === false ? ["--no-check-sigs"] : []),
      ...optionArgs(extra),
      "--", ...options.paths,
    ];
    const src = options.from ?? this.runner.store ?? "the default store";
    const dst = options.to ?? this.runner.store ?? "the default store";
    const r = await this.runner.exec("nix", args, { what: `nix copy of ${options.paths.length} path(s) from ${src} to ${dst}`, timeoutMs: options.timeoutMs });
    return { copied: copiedPaths(r.stderr) };
  }

  /** Signs paths with a secret key file (its contents never appear in errors); returns how many signatures were added. */
  async sign(paths: readonly string[], keyFile: string, options: CallOptions & { recursive?: boolean } = {}): Promise<{ added: number }> {
    if (paths.length === 0) return { added: 0 };
    const secret = await readFile(keyFile, "utf8").then((t) => t.trim(), () => "");
    const payload = secret.slice(secret.indexOf(":") + 1);
    const redact = (text: string): string => (payload.length >= 16 ? text.split(payload).join("<redacted>") : text);
    const args = ["store", "sign", ...this.runner.storeArgs(options.store), "--key-file", keyFile, ...(options.recursive ? ["--recursive"] : []), "--", ...paths];
    const r = await this.runner.exec("nix", args, { what: `signing ${paths.length} path(s) with ${keyFile}${this.where(options.store)}`, timeoutMs: options.timeoutMs, redact });
    const m = /added (\d+) signatures?/.exec(r.stderr);
    return { added: m ? Number(m[1]) : 0 };
  }

  /** `nix store verify`, decoded: which paths are modified, untrusted or in error. Throws only when the command itself failed. */
  async verify(target: readonly string[] | "all", options: VerifyOptions = {}): Promise<VerifyReport> {
    if (target !== "all" && target.length === 0) {
      return { ok: true, exitCode: 0, corrupted: false, untrusted: false, otherErrors: false, paths: [], errors: [] };
    }
    const args = [
      "store", "verify", ...this.runner.storeArgs(options.store),
      ...(options.trustedPublicKeys === undefined ? [] : ["--trusted-public-keys", options.trustedPublicKeys.join(" ")]),
      ...(options.sigsNeeded === undefined ? [] : ["--sigs-needed", String(options.sigsNeeded)]),
      ...(options.noContents ? ["--no-contents"] : []),
      ...(options.recursive ? ["--recursive"] : []),
      ...(target === "all" ? ["--all"] : ["--", ...target]),
    ];
    const what = `nix store verify of ${target === "all" ? "all paths" : `${target.length} path(s)`}${this.where(options.store)}`;
    const r = await this.runner.exec("nix", args, { what, timeoutMs: options.timeoutMs, okExit: (c) => c <= 7 });
    const report = decodeVerify(r.exitCode ?? -1, r.stderr);
    if (report) return report;
    // The exit code is not explained by per-path lines: the command itself failed.
    throw nixErrorFromRun(what, r);
  }

  /** A new Ed25519 cache key via `nix-store --generate-binary-cache-key`; the secret file is mode 0600 and never overwritten unless asked. */
  generateKey(name: string, secretPath: string, publicPath: string, options: { overwrite?: boolean; timeoutMs?: number } = {}): Promise<GeneratedKey> {
    return generateKey(this.runner, { name, secretPath, publicPath }, options);
  }

  // ---- profiles -------------------------------------------------------------------------------

  async listGenerations(profile: string, options: CallOptions = {}): Promise<Generation[]> {
    const what = `listing generations of ${profile}`;
    const r = await this.runner.exec("nix-env", [...this.runner.storeArgs(options.store), "-p", profile, "--list-generations"], { what, timeoutMs: options.timeoutMs });
    const gens = parseOutput(what, r, parseGenerations);
    await Promise.all(gens.map(async (g) => {
      const target = await readlink(`${profile}-${g.number}-link`).catch(() => undefined);
      if (target !== undefined && target.startsWith("/")) g.storePath = target;
    }));
    return gens;
  }

  /** Makes `path` the profile's new current generation; returns its number. */
  async setProfile(profile: string, path: string, options: CallOptions = {}): Promise<{ generation: number }> {
    await this.runner.exec("nix-env", [...this.runner.storeArgs(options.store), "-p", profile, "--set", path], {
      what: `setting profile ${profile} to ${path}`, timeoutMs: options.timeoutMs,
    });
    return { generation: await this.currentGeneration(profile) };
  }

  async switchGeneration(profile: string, generation: number, options: CallOptions = {}): Promise<{ from: number; to: number }> {
    const r = await this.runner.exec("nix-env", [...this.runner.storeArgs(options.store), "-p", profile, "--switch-generation", String(generation)], {
      what: `switching ${profile} to generation ${generation}`, timeoutMs: options.timeoutMs,
    });
    return parseSwitch(r.stderr) ?? { from: generation, to: generation };
  }

  async rollback(profile: string, options: CallOptions = {}): Promise<{ from: number; to: number }> {
    const r = await this.runner.exec("nix-env", [...this.runner.storeArgs(options.store), "-p", profile, "--rollback"], {
      what: `rolling back ${profile}`, timeoutMs: options.timeoutMs,
    });
    const s = parseSwitch(r.stderr);
    if (s) return s;
    const now = await this.currentGeneration(profile);
    return { from: now, to: now };
  }

  /** Deletes generations (never the current one: Nix refuses with generation-invalid). Returns the numbers removed. */
  async deleteGenerations(profile: string, spec: GenerationSpec, options: CallOptions = {}): Promise<{ removed: number[] }> {
    const r = await this.runner.exec("nix-env", [...this.runner.storeArgs(options.store), "-p", profile, "--delete-generations", ...generationSpecArgs(spec)], {
      what: `deleting generations ${typeof spec === "string" ? spec : spec.join(" ")} of ${profile}`, timeoutMs: options.timeoutMs,
    });
    return { removed: parseRemoved(r.stderr) };
  }

  private async currentGeneration(profile: string): Promise<number> {
    const target = await readlink(profile).catch((cause: unknown) => {
      throw new NixError("generation-invalid", `Cannot read profile ${profile}: it is not a symlink to a generation`, { cause });
    });
    const n = generationOfLink(basename(profile), target);
    if (n === null) throw new NixError("generation-invalid", `Profile ${profile} points at ${target}, not at a '${basename(profile)}-N-link' generation`);
    return n;
  }

  // ---- garbage collection ---------------------------------------------------------------------

  /** Makes `link` (a symlink Nix creates, anywhere) an indirect GC root of the valid path `path`; removing the link drops the root. */
  async addRoot(path: string, link: string, options: CallOptions = {}): Promise<void> {
    await this.runner.exec("nix-store", [...this.runner.storeArgs(options.store), "--realise", path, "--add-root", link], {
      what: `adding GC root ${link} for ${path}${this.where(options.store)}`, timeoutMs: options.timeoutMs,
    });
  }

  async gcRoots(options: CallOptions = {}): Promise<GcRoot[]> {
    const r = await this.runner.exec("nix-store", [...this.runner.storeArgs(options.store), "--gc", "--print-roots"], {
      what: `listing GC roots${this.where(options.store)}`, timeoutMs: options.timeoutMs,
    });
    return parseGcRoots(r.stdout.toString("utf8"));
  }

  async deadPaths(options: CallOptions = {}): Promise<string[]> {
    const r = await this.runner.exec("nix-store", [...this.runner.storeArgs(options.store), "--gc", "--print-dead"], {
      what: `listing dead paths${this.where(options.store)}`, timeoutMs: options.timeoutMs,
    });
    return parseStorePathLines(r.stdout.toString("utf8"));
  }

  /** Deletes unreachable paths, stopping once more than `maxFreedBytes` were freed. */
  async collectGarbage(options: CallOptions & { maxFreedBytes?: number } = {}): Promise<GcResult> {
    const max = options.maxFreedBytes;
    if (max !== undefined && (!Number.isSafeInteger(max) || max <= 0)) throw new RangeError(`maxFreedBytes must be a positive integer, got ${max}`);
    const r = await this.runner.exec("nix-store", [...this.runner.storeArgs(options.store), "--gc", ...(max === undefined ? [] : ["--max-freed", String(max)])], {
      what: `garbage collection${this.where(options.store)}`, timeoutMs: options.timeoutMs,
    });
    return parseGcResult(r.stdout.toString("utf8"), r.stderr);
  }

  // ---- configuration --------------------------------------------------------------------------

  /** Nix's effective settings: `nix show-config --json` (≤ 2.19), else `nix config show --json`. */
  async showConfig(options: { timeoutMs?: number } = {}): Promise<NixConfig> {
    const candidates = this.configCommand ? [this.configCommand] : [["show-config", "--json"], ["config", "show", "--json"]];
    let lastError: NixError | undefined;
    for (const cmd of candidates) {
      try {
        const what = `nix ${cmd.join(" ")}`;
        const r = await this.runner.exec("nix", cmd, { what, timeoutMs: options.timeoutMs });
        this.configCommand = cmd;
        return parseOutput(what, r, parseConfigJson);
      } catch (err) {
        if (!(err instanceof NixError) || !/not a recognised command|unrecognised command|unknown command/i.test(err.stderr ?? "")) throw err;
        lastError = err;
      }
    }
    throw lastError ?? new NixError("unknown", "nix offers neither 'show-config' nor 'config show'");
  }

  async version(options: { timeoutMs?: number } = {}): Promise<NixVersion> {
    if (!this.versionCache) {
      const r = await this.runner.exec("nix", ["--version"], { what: "nix --version", timeoutMs: options.timeoutMs });
      this.versionCache = parseOutput("nix --version", r, parseVersion);
    }
    return this.versionCache;
  }

  private where(store: string | undefined): string {
    const s = store ?? this.runner.store;
    return s === undefined ? "" : ` in ${s}`;
  }
}
