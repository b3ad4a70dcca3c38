/** KVM: the device node and its access, the ioctl answers, and the kvm modules' parameters. */
import { constants } from "node:fs";
import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Facts } from "../facts.js";
import { at, type GatherContext } from "./_context.js";
import { readText, statOf } from "./_fs.js";
import { kvmIoctls, type KvmIoctlResult } from "./_kvm-ioctl.js";
import { codeOf, probe, ProbeError } from "./_probe.js";

const PARAM_MODULES = ["kvm", "kvm_intel", "kvm_amd"];

export async function gatherKvm(ctx: GatherContext, capabilities: Readonly<Record<string, number>>): Promise<Facts["kvm"]> {
  const device = at(ctx, "dev", "kvm");
  const [deviceProbe, ioctls, moduleParams] = await Promise.all([
    probe("kvm device", async () => ({ ...(await statOf(device)), readable: await _can(device, constants.R_OK), writable: await _can(device, constants.W_OK) })),
    _ioctls(device, capabilities),
    probe("kvm module parameters", () => _moduleParams(ctx)),
  ]);
  const apiVersion = ioctls.ok ? { ok: true as const, value: ioctls.value.apiVersion } : ioctls;
  const extensions = ioctls.ok ? { ok: true as const, value: ioctls.value.extensions } : ioctls;
  return { device: deviceProbe, apiVersion, extensions, moduleParams };
}

async function _can(path: string, mode: number): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** A regular file where /dev/kvm should be (a fake tree, a botched bind mount) must not get an ioctl. */
async function _ioctls(device: string, capabilities: Readonly<Record<string, number>>) {
  return probe<KvmIoctlResult>("kvm ioctls", async () => {
    const st = await statOf(device);
    if (!st.exists) throw new ProbeError(`${device} does not exist`);
    if (st.type !== "char") throw new ProbeError(`${device} is a ${st.type ?? "?"}, not a character device`);
    return kvmIoctls(device, capabilities);
  });
}

/** "kvm.nx_huge_pages" → "auto". Parameters the kernel will not let us read are left out. */
async function _moduleParams(ctx: GatherContext): Promise<Record<string, string>> {
  const kvmDir = at(ctx, "sys", "module/kvm");
  const out: Record<string, string> = {};
  const perModule = await Promise.all(PARAM_MODULES.map(async (mod) => {
    const dir = at(ctx, "sys", `module/${mod}/parameters`);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      if (mod === "kvm") throw new ProbeError(`cannot list ${dir}: ${codeOf(err)} (is the kvm module loaded? see ${kvmDir})`, { cause: err });
      return [];
    }
    const values = await Promise.all(names.map(async (n) => {
      try {
        return [`${mod}.${n}`, (await readText(join(dir, n))).trim()] as const;
      } catch {
        return undefined; // some parameters are write-only or root-only; the rest still count
      }
    }));
    return values.filter((v) => v !== undefined);
  }));
  for (const [k, v] of perModule.flat()) out[k] = v;
  return out;
}
