/**
 * A seeded generator of Nix source covering every syntactic form, for the
 * differential test against the real parser and for fuzzing. Most output is
 * valid; `mutate` then breaks it in small random ways.
 */

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const NAMES = ["a", "b", "x", "pkgs", "lib", "config", "foo-bar", "x'", "_u", "or"];
const BOUND = ["a", "b", "x"];
const BIN = ["+", "-", "*", "/", "++", "//", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "->"];
const STR_BITS = ["hello", "\\n", "\\\"", "$$", "$x", "\\${x}", "a b", "ü", "'"];
const IND_BITS = ["line", "\n  more", "''$", "'''", "''\\n", "$$", "' x", "\t"];
const PATHS = ["./a", "../b/c.nix", "/etc/nixos", "~/x", "a/b", "./a-b_c+d.nix", "<nixpkgs>", "<nixpkgs/lib>"];
const URIS = ["https://example.org/x.tar.gz", "git+ssh://git@host/repo", "mirror://gnu/hello"];

export function genExpr(rng: Rng, depth = 0): string {
  const leafOnly = depth > 4;
  const r = rng.int(leafOnly ? 6 : 24);
  const sub = (): string => genExpr(rng, depth + 1);
  const name = (): string => (rng.int(4) === 0 ? `"${rng.pick(STR_BITS)}"` : rng.pick(NAMES.filter((n) => n !== "or")));
  const attrName = (): string => {
    const k = rng.int(6);
    if (k === 0) return `"${rng.pick(["a.b", "x y", "${x}", ""])}"`;
    if (k === 1) return `\${${sub()}}`;
    return rng.pick(NAMES);
  };
  switch (r) {
    case 0: return String(rng.int(1000));
    case 1: return rng.pick(["1.5", ".5", "1e3", "2.", "0.25e-2"]);
    case 2: return rng.pick(BOUND.concat(["true", "null", "builtins", "undefinedName"]));
    case 3: return `"${Array.from({ length: rng.int(3) }, () => rng.pick(STR_BITS)).join("")}${rng.int(3) === 0 ? `\${${sub()}}` : ""}"`;
    case 4: return `''${Array.from({ length: rng.int(3) }, () => rng.pick(IND_BITS)).join("")}${rng.int(3) === 0 ? `\${${sub()}}` : ""}''`;
    case 5: return rng.int(3) === 0 ? rng.pick(URIS) : rng.pick(PATHS);
    case 6: return `./dir/\${${sub()}}/f.nix`;
    case 7: return `{ ${Array.from({ length: rng.int(4) }, () => `${attrName()}${rng.int(3) === 0 ? "." + attrName() : ""} = ${sub()};`).join(" ")} }`;
    case 8: return `rec { ${Array.from({ length: rng.int(3) }, () => `${rng.pick(NAMES)} = ${sub()};`).join(" ")} inherit a; }`;
    case 9: return `[ ${Array.from({ length: rng.int(4) }, () => `(${sub()})`).join(" ")} ]`;
    case 10: return `(${sub()}).${attrName()}${rng.int(2) ? ` or ${genSelectable(rng)}` : ""}`;
    case 11: return `(${sub()}) ? ${attrName()}`;
    case 12: return `(${sub()}) ${rng.pick(BIN)} (${sub()})`;
    case 13: return `${sub()} ${rng.pick(BIN)} ${sub()}`;
    case 14: return `${rng.pick(["!", "-"])}${sub()}`;
    case 15: return `${rng.pick(BOUND)}: ${sub()}`;
    case 16: return `{ ${rng.pick(["a", "a ? 1", "a, b", "a, b,", "a ? 1, ...", "..."])} }${rng.int(2) ? "@x" : ""}: ${sub()}`;
    case 17: return `let ${Array.from({ length: 1 + rng.int(3) }, () => `${rng.pick(BOUND)}${rng.int(4) === 0 ? ".c" : ""} = ${sub()};`).join(" ")} in ${sub()}`;
    case 18: return `with ${sub()}; ${sub()}`;
    case 19: return `assert ${sub()}; ${sub()}`;
    case 20: return `if ${sub()} then ${sub()} else ${sub()}`;
    case 21: return `(${sub()}) (${sub()})`;
    case 22: return `{ inherit ${rng.pick(["a", "(x) y z", "\"a\"", "a b"])}; ${name()} = ${sub()}; }`;
    default: return `/* c */ ${sub()} # t\n`;
  }
}

function genSelectable(rng: Rng): string {
  return rng.pick(["1", "a", "\"d\"", "[ ]", "{ }", "(x: x)"]);
}

/** Wrap in a lambda that binds the common names, so most output is scope-valid. */
export function genProgram(rng: Rng): string {
  const body = genExpr(rng);
  return rng.int(4) === 0 ? body : `{ a, b, x, ... }: ${body}\n`;
}

const MUTATION_CHARS = ["{", "}", "(", ")", "[", "]", ";", ":", ".", ",", "@", "=", "?", "\"", "''", "${", "/", "<", ">", " ", "\n", "a", "1", "#", "/*", "*/", "or", "let", "in", "|>"];

/** Insert, delete or duplicate a few characters at random. */
export function mutate(rng: Rng, src: string): string {
  let s = src;
  const count = 1 + rng.int(3);
  for (let k = 0; k < count; k++) {
    const at = rng.int(s.length + 1);
    const op = rng.int(3);
    if (op === 0) s = s.slice(0, at) + rng.pick(MUTATION_CHARS) + s.slice(at);
    else if (op === 1) s = s.slice(0, at) + s.slice(at + 1 + rng.int(3));
    else s = s.slice(0, at) + s.slice(at, at + 4) + s.slice(at);
  }
  return s;
}
