/**
 * nixos/flake.lock is a lock file Nix would use as is: version 7, every input
 * resolved to a node, every node locked by revision and content hash, and the
 * lock's `original` matching flake.nix's input (otherwise Nix re-locks it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NIX, NIXOS_DIR, NO_NIX, nixEvalJson } from "./_nix.js";

interface LockNode {
  inputs?: Record<string, string | string[]>;
  locked?: Record<string, unknown>;
  original?: Record<string, unknown>;
}
interface Lock {
  nodes: Record<string, LockNode>;
  root: string;
  version: number;
}

const LOCK_PATH = join(NIXOS_DIR, "flake.lock");

function readLock(): Lock {
  const text = readFileSync(LOCK_PATH, "utf8");
  const lock = JSON.parse(text) as Lock;
  assert.equal(typeof lock.nodes, "object", "flake.lock has no nodes object");
  return lock;
}

/** The node an input refers to: a node name, or a `follows` path from the root. */
function resolveInput(lock: Lock, ref: string | string[]): string | undefined {
  if (typeof ref === "string") return ref;
  let node: string | undefined = lock.root;
  for (const name of ref) {
    const next: string | string[] | undefined = node === undefined ? undefined : lock.nodes[node]?.inputs?.[name];
    node = next === undefined ? undefined : resolveInput(lock, next);
  }
  return node;
}

test("flake.lock is version 7 and every root input resolves to a node", () => {
  const lock = readLock();
  assert.equal(lock.version, 7);
  assert.equal(lock.root, "root");
  const inputs = lock.nodes[lock.root]?.inputs ?? {};
  assert.ok(Object.keys(inputs).length > 0, "the root node has no inputs");
  for (const [name, ref] of Object.entries(inputs)) {
    const target = resolveInput(lock, ref);
    assert.ok(target !== undefined && lock.nodes[target] !== undefined, `root input ${name} → ${JSON.stringify(ref)} is not a node`);
  }
});

test("every locked node has a sha256 narHash, a 40-hex rev and a lastModified", () => {
  const lock = readLock();
  const locked = Object.entries(lock.nodes).filter(([name]) => name !== lock.root);
  assert.ok(locked.length > 0);
  for (const [name, node] of locked) {
    const l = node.locked ?? {};
    // SRI form of a SHA-256: 32 bytes are 44 base64 characters.
    assert.match(String(l["narHash"]), /^sha256-[A-Za-z0-9+/]{43}=$/, `${name}: narHash`);
    assert.match(String(l["rev"]), /^[0-9a-f]{40}$/, `${name}: rev`);
    assert.ok(Number.isInteger(l["lastModified"]) && (l["lastModified"] as number) > 1.6e9, `${name}: lastModified`);
    assert.equal(l["type"], "github", `${name}: type`);
    // Same spelling in locked and original: Nix compares them when deciding whether the lock is stale.
    assert.equal(l["owner"], node.original?.["owner"], `${name}: owner differs between locked and original`);
    assert.equal(l["repo"], node.original?.["repo"], `${name}: repo differs between locked and original`);
  }
});

test("flake.nix declares exactly the locked inputs, with the lock's original references", { skip: NIX ? false : NO_NIX }, async () => {
  const lock = readLock();
  // flake.nix is a plain attribute set: its inputs evaluate without fetching anything.
  const flake = (await nixEvalJson(NIX!, ["--expr", "let f = import ./nixos/flake.nix; in { inherit (f) description inputs; outputsIsFunction = builtins.isFunction f.outputs; }"])) as {
    description: string;
    inputs: Record<string, { url: string }>;
    outputsIsFunction: boolean;
  };
  assert.ok(flake.description.length > 0);
  assert.equal(flake.outputsIsFunction, true);
  const rootInputs = lock.nodes[lock.root]?.inputs ?? {};
  assert.deepEqual(Object.keys(flake.inputs).sort(), Object.keys(rootInputs).sort());
  for (const [name, input] of Object.entries(flake.inputs)) {
    const original = lock.nodes[resolveInput(lock, rootInputs[name]!)!]?.original ?? {};
    const expected = `${String(original["type"])}:${String(original["owner"])}/${String(original["repo"])}/${String(original["ref"])}`;
    assert.equal(input.url, expected, `input ${name}: flake.nix says ${input.url}, the lock was made for ${expected}`);
  }
});
