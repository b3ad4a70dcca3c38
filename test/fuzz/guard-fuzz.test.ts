/**
 * Never crash, never hang: random and mutated inputs through the lexer,
 * parser and every rule, and adversarial inputs against every regular
 * expression that touches file content.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseNix } from "../../src/guard/nix/parser.js";
import { NixSyntaxError } from "../../src/guard/nix/syntax-error.js";
import { lintFile, type LintInput } from "../../src/guard/lint.js";
import { defaultGuardConfig } from "../../src/guard/config.js";
import { genProgram, mutate, Rng } from "../harness/nix-gen.js";

const config = defaultGuardConfig(1795564800);
const options = { policy: config.policy, severities: config.severities };

function checkLint(input: LintInput): void {
  const { findings } = lintFile(input, options);
  const lines = input.text.split("\n").length;
  for (const f of findings) {
    assert.ok(f.region.start.line >= 1 && f.region.start.line <= lines, `line out of range: ${JSON.stringify(f)}`);
    assert.ok(f.region.end.line >= f.region.start.line);
    assert.ok(!/undefined|NaN/.test(f.message), `message: ${f.message}`);
  }
}

function parseOrSyntaxError(src: string): void {
  try {
    parseNix(src);
  } catch (err) {
    if (!(err instanceof NixSyntaxError) && !(err instanceof RangeError)) throw err;
  }
}

const NIXISH = fc.constantFrom(
  "{", "}", "(", ")", "[", "]", ";", ":", ".", ",", "@", "=", "?", "!", "\"", "''", "${", "$", "\\", "/", "//", "<", ">",
  "./a", "~/", "<nixpkgs>", "a", "or", "let", "in", "rec", "with", "inherit", "if", "then", "else", "assert", "1", ".5",
  "# c\n", "/*", "*/", "\n", " ", "password = ", "ghp_", "-----BEGIN PRIVATE KEY-----", "sha256-", "http://", "pkgs.writeText",
  "builtins.readFile", "users.users.a.password", "nix.settings", "require-sigs", "mkIf", "é", "\u2028",
);

test("parser throws only syntax errors on arbitrary text", () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => parseOrSyntaxError(s)), { numRuns: 3000 });
  fc.assert(fc.property(fc.array(NIXISH, { maxLength: 80 }).map((xs) => xs.join("")), (s) => parseOrSyntaxError(s)), { numRuns: 5000 });
});

test("lintFile never throws and keeps findings inside the file, for random and mutated inputs", () => {
  fc.assert(fc.property(fc.array(NIXISH, { maxLength: 80 }).map((xs) => xs.join("")), (s) => checkLint({ file: "x.nix", text: s })), { numRuns: 3000 });
  fc.assert(fc.property(fc.string({ maxLength: 400 }), fc.constantFrom("flake.lock", "nix.conf", "flake.nix"), (s, file) => checkLint({ file, text: s, siblingLock: null })), { numRuns: 2000 });
  const rng = new Rng(7);
  for (let i = 0; i < 2000; i++) {
    const program = genProgram(rng);
    checkLint({ file: "m.nix", text: program });
    checkLint({ file: "m.nix", text: mutate(rng, program) });
  }
});

/** Time one lint of a large adversarial input: a catastrophic-backtracking regex would take far longer. */
function timedLint(name: string, text: string, file = "adversarial.nix"): void {
  const t0 = performance.now();
  lintFile({ file, text }, options);
  const ms = performance.now() - t0;
  // A safety bound against exponential blow-up, not a speed target (those live in bench/).
  assert.ok(ms < 5000, `${name}: ${ms.toFixed(0)} ms for ${text.length} chars`);
}

test("adversarial inputs finish promptly (no catastrophic backtracking, no stack overflow crash)", () => {
  const n = 200_000;
  timedLint("long string of near-miss PEM headers", `{ a = "${"-----BEGIN ".repeat(n / 11)}"; }`);
  timedLint("long string of url-ish text", `{ a = "${"postgres://a:".repeat(n / 13)}"; }`);
  timedLint("long JWT-like run", `{ a = "eyJ${"a".repeat(n)}.eyJ${"b".repeat(n)}"; }`);
  timedLint("many key=value lines", `{ a = ''\n${"password = $x\n".repeat(n / 14)}''; }`);
  timedLint("long single line of credentials words", `{ a = "${"token: ".repeat(n / 7)}"; }`);
  timedLint("long attribute path", `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}`).join(".")} = 1; }`);
  timedLint("deep nesting", `${"[".repeat(20000)}${"]".repeat(20000)}`);
  timedLint("deep attribute sets", `${"{ a = ".repeat(5000)}1${"; }".repeat(5000)}`);
  timedLint("long binary chain", Array.from({ length: 50000 }, () => "1").join(" + "));
  timedLint("unterminated string", `"${"\\$".repeat(n)}`);
  timedLint("base64 soup", `{ k = "${"A".repeat(n)}="; }`);
  timedLint("nix.conf long line", `substituters = ${"https://a.b ".repeat(n / 12)}\n`, "nix.conf");
  timedLint("flake.lock deep", `${"[".repeat(10000)}${"]".repeat(10000)}`, "flake.lock");
  timedLint("suppression marker spam", `# ${"hostplane-guard: allow ".repeat(n / 24)}\n1`);
});

test("a file nested too deeply is reported, not crashed on", () => {
  const { findings } = lintFile({ file: "deep.nix", text: `${"[".repeat(100000)}${"]".repeat(100000)}` }, options);
  assert.equal(findings[0]?.ruleId, "guard/parse-error");
});
