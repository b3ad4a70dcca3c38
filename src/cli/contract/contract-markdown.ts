/** The host-contract table of docs/runtime/host-os.md, generated from the catalog (a test keeps them equal). */
import type { CheckDef } from "../../contract/index.js";

const GROUP_TITLES: Record<string, string> = {
  kvm: "KVM and virtualization", kernel: "Kernel", cgroup: "cgroup v2", network: "Networking",
  storage: "Storage", services: "Services", hygiene: "Hygiene", nix: "Nix trust",
};

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderContractMarkdown(checks: readonly CheckDef[]): string {
  const out: string[] = [];
  for (const [group, title] of Object.entries(GROUP_TITLES)) {
    const rows = checks.filter((c) => c.group === group);
    if (rows.length === 0) continue;
    out.push(`### ${title}`, "", "| check | severity | profiles | what and why | NixOS options |", "| --- | --- | --- | --- | --- |");
    for (const c of rows) {
      const anchor = c.id.replace(/[^a-z0-9-]/g, "-");
      const profiles = c.profiles.length === 2 ? "all" : c.profiles.join(", ");
      const options = c.nixos.length ? c.nixos.map((o) => `\`${o}\``).join("<br>") : "—";
      const unknown = c.whenUnknown === "skip" ? " Skipped when the fact cannot be read." : "";
      out.push(`| <a id="${anchor}"></a>\`${c.id}\` | ${c.severity} | ${profiles} | **${cell(c.title)}.** ${cell(c.why)}${unknown} If not: ${cell(c.hint)}. | ${options} |`);
    }
    out.push("");
  }
  return out.join("\n");
}
