/** Summarising /proc/cpuinfo for x86 and aarch64, and refusing truncated text. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { summarizeCpuinfo } from "./_cpuinfo.js";

const x86 = (n: number) => `processor\t: ${n}\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme  sse2 svm\n\n`;

/** The shape of an aarch64 kernel's cpuinfo (Neoverse-N1): per-CPU blocks without model name. */
const AARCH64 = [0, 1].map((n) => `processor\t: ${n}\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes crc32 atomics\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd0c\n\n`).join("");

test("x86: vendor, model and flags of the first processor; count of processor entries", () => {
  assert.deepEqual(summarizeCpuinfo(x86(0) + x86(1) + x86(2)), { vendor: "AuthenticAMD", model: "AMD EPYC", count: 3, flags: ["fpu", "vme", "sse2", "svm"] });
});

test("aarch64: implementer as vendor, part as model, Features as flags", () => {
  assert.deepEqual(summarizeCpuinfo(AARCH64), { vendor: "0x41", model: "part 0xd0c", count: 2, flags: ["fp", "asimd", "evtstrm", "aes", "crc32", "atomics"] });
});

test("truncated or foreign text says what is missing", () => {
  assert.equal(summarizeCpuinfo(""), "no processor entries");
  assert.match(summarizeCpuinfo("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel na") as string, /no flags line/);
  assert.match(summarizeCpuinfo("processor : 0\nfoo : bar\n") as string, /neither vendor_id/);
});
