/**
 * A test host's mount and UTS namespaces, made once per boot and pinned by
 * file descriptors of this process (no init process to babysit).
 *
 * A short-lived helper, started with `nsenter --net=NETNS unshare --mount --uts
 * --propagation private`, binds the host's directories over /nix, /run, /boot
 * and /var/lib/hostplane, sets the hostname, says "ready" and waits. We open its
 * /proc/PID/ns/{mnt,uts} while it waits (so the pid cannot have been reused),
 * check they differ from ours, then let it exit: the open descriptors keep both
 * namespaces alive, and every later command enters them with
 * `nsenter --mount=/proc/OURPID/fd/N`. When the descriptors close — teardown,
 * reboot, or this process dying — the namespaces go with the last process in them.
 */
import { spawn } from "node:child_process";
import { closeSync, fstatSync, openSync, statSync } from "node:fs";
import { TOOLS } from "./_tools.js";

export interface BindMount {
  source: string;
  target: string;
}

export interface MountNamespace {
  /** Inode of the mount namespace (what /proc/PID/ns/mnt of a process inside resolves to). */
  readonly mntInode: number;
  /** `nsenter` options that enter the host (mount, UTS and network namespaces), ending with `--`. */
  enterArgs(): string[];
  close(): void;
}

// Untrusted values (paths, hostname) arrive as positional parameters; the script text is constant.
// /run/netns holds binds of every named network namespace; unmounting our private copies of them
// keeps this namespace from pinning other fleets' namespaces after they are deleted.
const BOOT_SCRIPT = `set -e
umount -R -l /run/netns 2>/dev/null || true
hostname "$1"
shift
while [ $# -gt 1 ]; do mount --bind "$1" "$2"; shift 2; done
echo ready
read -r _ || true
`;

export async function bootMountNamespace(netns: string, hostname: string, mounts: readonly BindMount[], options: { timeoutMs?: number } = {}): Promise<MountNamespace> {
  const args = [
    `--net=/run/netns/${netns}`, "--", TOOLS.unshare, "--mount", "--uts", "--propagation", "private", "--",
    "/bin/sh", "-c", BOOT_SCRIPT, "boot", hostname, ...mounts.flatMap((m) => [m.source, m.target]),
  ];
  const child = spawn(TOOLS.nsenter, args, { stdio: ["pipe", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString("utf8"); });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const fail = (why: string): Error => new Error(`Cannot boot the mount namespace of test host ${hostname} (netns ${netns}): ${why}${stderr ? `: ${stderr.trim()}` : ""}`);

  const ready = await new Promise<boolean>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(fail("no 'ready' within the timeout")); }, options.timeoutMs ?? 15_000);
    child.on("error", (err) => { clearTimeout(timer); reject(fail(err.message)); });
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      if (out.includes("ready\n")) { clearTimeout(timer); resolve(true); }
    });
    void exited.then(() => { clearTimeout(timer); resolve(false); });
  });
  if (!ready) throw fail(`the boot helper exited with ${String(await exited)} before it was ready`);

  let mntFd: number | undefined;
  let utsFd: number | undefined;
  try {
    // The helper is our unreaped child and still waiting on stdin, so its pid is its own.
    mntFd = openSync(`/proc/${child.pid}/ns/mnt`, "r");
    utsFd = openSync(`/proc/${child.pid}/ns/uts`, "r");
    if (fstatSync(mntFd).ino === statSync("/proc/self/ns/mnt").ino) throw fail("the helper is in our own mount namespace");
  } catch (err) {
    for (const fd of [mntFd, utsFd]) if (fd !== undefined) closeSync(fd);
    child.kill("SIGKILL");
    await exited;
    throw err;
  }
  child.stdin.end("\n");
  await exited;

  const mntInode = fstatSync(mntFd).ino;
  const m = mntFd;
  const u = utsFd;
  let closed = false;
  return {
    mntInode,
    enterArgs: () => {
      if (closed) throw new Error(`test host ${hostname} is shut down (its namespaces are closed)`);
      return [`--mount=/proc/${process.pid}/fd/${m}`, `--uts=/proc/${process.pid}/fd/${u}`, `--net=/run/netns/${netns}`, "--"];
    },
    close: () => {
      if (closed) return;
      closed = true;
      closeSync(m);
      closeSync(u);
    },
  };
}
