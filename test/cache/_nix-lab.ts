/**
 * A throwaway Nix lab for the differential tests: a chroot store, binary
 * caches under one mkdtemp directory, and Nix 2.8 run offline with its
 * narinfo disk cache isolated. Tests spawn nix directly here; product code
 * will go through src/nix.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const NIX_STORE_BIN = "/usr/bin/nix-store";

/** Why the differential tests cannot run here, or false. */
export function nixLabUnavailable(): string | false {
  if (!existsSync(NIX_STORE_BIN)) return `${NIX_STORE_BIN} is missing (apt-get install nix-bin): differential tests against real Nix skipped`;
  if (process.getuid?.() !== 0) return "building in a chroot Nix store needs root: differential tests against real Nix skipped";
  return false;
}

export interface NixResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class NixLab {
  readonly store: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly dir: string) {
    this.store = join(dir, "store");
    this.env = {
      ...process.env,
      NIX_CONFIG: ["substituters =", "build-users-group =", "experimental-features = nix-command"].join("\n"),
      XDG_CACHE_HOME: join(dir, "xdg-cache"),
      NIX_REMOTE: "",
    };
  }

  run(command: string, args: readonly string[]): Promise<NixResult> {
    return new Promise((resolve, reject) => {
      execFile(command, args, { env: this.env, timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") return reject(new Error(`${command} ${args.join(" ")}: ${err.message}\n${stderr}`, { cause: err }));
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      });
    });
  }

  /** Run and require exit 0; returns stdout. */
  async ok(command: string, args: readonly string[]): Promise<string> {
    const r = await this.run(command, args);
    if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
    return r.stdout;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Copy a cache directory to a new name (to tamper with it). */
  cloneCache(from: string, to: string): string {
    cpSync(this.path(from), this.path(to), { recursive: true });
    return this.path(to);
  }

  narinfoFile(cache: string, storePath: string): string {
    return join(this.path(cache), `${storePath.slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`);
  }

  readNarinfo(cache: string, storePath: string): string {
    return readFileSync(this.narinfoFile(cache, storePath), "utf8");
  }

  editNarinfo(cache: string, storePath: string, edit: (text: string) => string): void {
    const file = this.narinfoFile(cache, storePath);
    const before = readFileSync(file, "utf8");
    const after = edit(before);
    if (after === before) throw new Error(`edit of ${file} changed nothing`);
    writeFileSync(file, after);
  }

  mkdir(name: string): string {
    mkdirSync(this.path(name), { recursive: true });
    return this.path(name);
  }
}

/** Three input-addressed paths (top → mid → leaf, top → leaf) built without nixpkgs. */
export const FIXTURE_NIX = `
let
  mk = name: script: derivation {
    inherit name; system = builtins.currentSystem; builder = "/bin/sh";
    PATH = "/usr/bin:/bin"; args = [ "-c" script ];
  };
  leaf = mk "hp-leaf" "echo leaf > $out";
  mid = mk "hp-mid" "mkdir $out; echo \${leaf} > $out/ref";
  top = mk "hp-top" "mkdir $out; echo \${mid} > $out/ref; echo \${leaf} >> $out/ref";
in { inherit leaf mid top; }
`;

/** Directories the chroot-store sandbox needs for /bin/sh and coreutils. */
export function sandboxPaths(): string {
  return ["/bin", "/usr", "/lib", "/lib64", "/lib32"].filter((p) => existsSync(p)).join(" ");
}
