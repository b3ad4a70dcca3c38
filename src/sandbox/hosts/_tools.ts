/**
 * The host tools the harness drives, by absolute path, and why test hosts
 * cannot run here (HOSTS_SKIP), decided once when the harness is loaded.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function which(name: string): string | undefined {
  return DIRS.map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

const found = {
  ip: which("ip"),
  nsenter: which("nsenter"),
  unshare: which("unshare"),
  mount: which("mount"),
  nft: which("nft"),
  nixBuild: which("nix-build"),
  nixStore: which("nix-store"),
};

function skipReason(): string | undefined {
  if (process.platform !== "linux") return "test hosts need Linux namespaces";
  if (process.getuid?.() !== 0) return "test hosts need root (network namespaces, veth pairs, bind mounts)";
  const missing = (["ip", "nsenter", "unshare", "mount"] as const).filter((k) => found[k] === undefined);
  if (missing.length > 0) return `missing ${missing.join(", ")} (install iproute2 and util-linux)`;
  if (found.nixBuild === undefined || found.nixStore === undefined) return "Nix is not installed (nix-build missing; apt-get install nix-bin)";
  const r = spawnSync(found.ip!, ["netns", "list"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) return `'ip netns' does not work here: ${(r.stderr || r.error?.message || "").trim()}`;
  return undefined;
}

/** Why test hosts cannot run on this machine, or undefined when they can. */
export const HOSTS_SKIP: string | undefined = skipReason();

/** Resolved tool paths; only read when HOSTS_SKIP is undefined (then the required ones exist). */
export const TOOLS = {
  ip: found.ip ?? "ip",
  nsenter: found.nsenter ?? "nsenter",
  unshare: found.unshare ?? "unshare",
  nft: found.nft,
  nixStore: found.nixStore ?? "nix-store",
};
