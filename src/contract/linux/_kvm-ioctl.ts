/**
 * The two KVM ioctls the contract needs, through koffi: KVM_GET_API_VERSION
 * and KVM_CHECK_EXTENSION on the system fd of /dev/kvm.
 *
 * Why koffi rather than a small compiled helper: it ships prebuilt binaries for
 * every Linux arch we run on, so hosts need no compiler or build step at
 * install; it is actively maintained and widely used (~2M downloads a month);
 * and calling libc's ioctl directly keeps the probe in-process. It is loaded
 * lazily, so a host where it cannot load still gathers every other fact.
 */
import { closeSync, openSync } from "node:fs";
import { codeOf, ProbeError } from "./_probe.js";

type Ioctl = (fd: number, request: number, ...variadic: unknown[]) => number;

interface Libc {
  ioctl: Ioctl;
  errno: () => number;
}

/** _IO(0xAE, 0x00) and _IO(0xAE, 0x03): the asm-generic _IOC encoding. */
const KVM_GET_API_VERSION = 0xae00;
const KVM_CHECK_EXTENSION = 0xae03;

/** Architectures whose ioctl numbers use the asm-generic encoding (powerpc, mips and sparc do not). */
const GENERIC_IOCTL_ARCHES = new Set(["x64", "arm64", "riscv64", "loong64", "s390x"]);

let libcPromise: Promise<Libc> | undefined;

function _libc(): Promise<Libc> {
  libcPromise ??= (async () => {
    try {
      const koffi = await import("koffi");
      const lib = koffi.load("libc.so.6");
      const ioctl: Ioctl = lib.func("int ioctl(int fd, unsigned long req, ...)");
      return { ioctl, errno: () => koffi.errno() };
    } catch (err) {
      throw new ProbeError(`cannot load koffi to call ioctl on /dev/kvm: ${(err as Error).message}`, { cause: err });
    }
  })();
  return libcPromise;
}

export interface KvmIoctlResult {
  apiVersion: number;
  extensions: Record<string, number>;
}

/** Opens the device read-write (KVM needs it), asks, and always closes it. */
export async function kvmIoctls(device: string, capabilities: Readonly<Record<string, number>>): Promise<KvmIoctlResult> {
  if (process.platform !== "linux" || !GENERIC_IOCTL_ARCHES.has(process.arch)) {
    throw new ProbeError(`KVM ioctls are not supported on ${process.platform}/${process.arch} (this gatherer knows the asm-generic ioctl encoding only)`);
  }
  const libc = await _libc();
  let fd: number;
  try {
    fd = openSync(device, "r+");
  } catch (err) {
    throw new ProbeError(`cannot open ${device} read-write: ${codeOf(err)}`, { cause: err });
  }
  try {
    const apiVersion = libc.ioctl(fd, KVM_GET_API_VERSION);
    if (apiVersion < 0) throw new ProbeError(`ioctl KVM_GET_API_VERSION on ${device} failed: errno ${libc.errno()}`);
    const extensions: Record<string, number> = {};
    for (const [name, cap] of Object.entries(capabilities)) {
      const r = libc.ioctl(fd, KVM_CHECK_EXTENSION, "long", cap);
      if (r < 0) throw new ProbeError(`ioctl KVM_CHECK_EXTENSION(${name} = ${cap}) on ${device} failed: errno ${libc.errno()}`);
      extensions[name] = r;
    }
    return { apiVersion, extensions };
  } finally {
    closeSync(fd);
  }
}
