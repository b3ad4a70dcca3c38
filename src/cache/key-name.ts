/**
 * Key names carry a generation, `<base>-<N>` (fleet-1, fleet-2, …), the way
 * cache.nixos.org-1 does; rotation creates the next free N.
 */

export interface KeyGeneration {
  base: string;
  generation: number;
}

/** `fleet-3` → { base: "fleet", generation: 3 }; null without a `-<N>` suffix. */
export function splitKeyName(name: string): KeyGeneration | null {
  const dash = name.lastIndexOf("-");
  const digits = name.slice(dash + 1);
  if (dash <= 0 || !/^(?:0|[1-9][0-9]{0,8})$/.test(digits)) return null;
  return { base: name.slice(0, dash), generation: Number(digits) };
}

/** The next unused generation of `base` among `existingNames` (1 when there is none). */
export function nextKeyName(base: string, existingNames: Iterable<string>): string {
  if (!/^[!-9;-~]+$/.test(base)) throw new Error(`invalid key name base ${JSON.stringify(base)}: use printable ASCII without ':' or spaces`);
  let highest = 0;
  for (const name of existingNames) {
    const parts = splitKeyName(name);
    if (parts !== null && parts.base === base) highest = Math.max(highest, parts.generation);
  }
  return `${base}-${highest + 1}`;
}
