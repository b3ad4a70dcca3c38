/**
 * Test hosts on this machine: each a network namespace joined to a bridge by
 * a veth pair, plus mount and UTS namespaces with its own /nix store, /run,
 * /boot and /var/lib/hostplane. Later suites run a real agent in each and a
 * real server in the root namespace. Needs root; tests skip on HOSTS_SKIP.
 *
 * Topology. One bridge per fleet in the root namespace, `hpt-PREFIX`, holding
 * the server's addresses: fd68:7074:N::1/64 (ULA) and 10.(192+N/256).(N%256).1/24,
 * N chosen from the prefix's hash and moved on while it overlaps any address
 * or route of the machine (concurrent fleets need distinct subnets). Host hK
 * is network namespace `hpt-PREFIX-hK` with eth0 = ::(100+K) and .(100+K); its
 * veth's other end `hpt-PREFIX-K` is a bridge port. No DAD, so addresses work
 * at once; no default route, so only the fleet's subnet is reachable. The
 * server listens in the root namespace on `serverAddress` (or ::); hosts use
 * IPv6 first (`fleet.serverUrl(port)`).
 *
 * Mount namespaces. A boot helper (nsenter into the netns, then `unshare
 * --mount --uts --propagation private`) bind-mounts the host's directories
 * and sets the hostname; this process keeps /proc/HELPER/ns/{mnt,uts} open and
 * lets the helper exit. Every exec/spawn is then `nsenter --mount=/proc/SELF/fd/N
 * --uts=… --net=/run/netns/NS -- CMD ARGS…`: argv only, no shell, mounts made
 * once. Chosen over a per-command `unshare … sh -c 'mount …'` (mounts redone
 * per command, a shell on the path) and over a `sleep infinity` init per host
 * (a process to babysit whose pid could be reused under nsenter -t, entering
 * the wrong namespace): descriptors cannot be reused, no process is needed,
 * and the namespaces die with this process unless something still runs inside
 * (teardown and sweeps end those). There is no PID namespace: `ps` inside shows
 * the machine's processes, and a spawned pid is the command's own (nsenter
 * execs in place), so signals reach it directly. Processes inside are found by
 * namespace inode (/proc/PID/ns/*), so teardown and power cycles end
 * grandchildren and daemons too. /tmp and the rest of the file system are
 * shared with the machine (the repo, node and the fleet's caches are visible);
 * the empty mount points /nix, /boot and /var/lib/hostplane are created on the
 * machine if missing and left there.
 *
 * Stores. Each host's /nix is `root/nix`, initialised at first boot (a real
 * host's store always exists, and Nix 2.8 processes that open a fresh store at
 * once can read a half-written schema).
 * Commands get a clean environment (host.env) with offline NIX_CONFIG
 * (no substituters, no build users, nix-command, sandbox = false). Since
 * `root/nix/store` is /nix/store inside, `root` is also a chroot store seen from
 * the root namespace: build once into `fleet.buildStore`, then copyToHosts.
 * With `disks`, a host's nix/, boot/ or state/ is a tmpfs of the given size
 * mounted in the root namespace (the only mounts the harness makes there):
 * statvfs inside reports that size and a full disk fails with ENOSPC, for
 * free-space preflights; tmpfs lives in RAM, so keep payloads small.
 *
 * Teardown. Everything is named after the prefix; teardown ends processes
 * (SIGTERM, then SIGKILL), closes the namespaces, unmounts whatever is mounted
 * under the fleet directory, deletes veths, bridge and
 * netns (`ip -force -batch`), removes the directory, and checks nothing named
 * by the fleet is left. An exit hook and SIGINT/SIGTERM hooks do the same
 * synchronously; createTestFleet first sweeps leftovers of its prefix from a
 * crashed run (sweepStaleTestFleets), never a prefix whose owner is alive.
 */
export { HOSTS_SKIP } from "./_tools.js";
export { createTestFleet, type TestFleet, type TestFleetOptions } from "./fleet.js";
export type { TestHost, HostExecOptions } from "./host.js";
export type { HostProcess, HostProcessExit } from "./_host-process.js";
export type { CutMode } from "./_net.js";
export type { DiskLimits } from "./_mounts.js";
export { sweepStaleTestFleets, type SweepReport } from "./sweep.js";
export { bootInto, buildSystem, copyToHosts, reboot, storeNix, SYSTEM_FIXTURE, type SystemOptions } from "./system.js";
export { makeBinaryCache, type BinaryCache, type BinaryCacheOptions } from "./binary-cache.js";
