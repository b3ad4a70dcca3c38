/** The agent's identity file: atomic replacement, modes, leftovers of a crash, damaged files. */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { StateDir, StateDirError } from "../../src/agent/index.js";

const base = await mkdtemp(join(tmpdir(), "hp-agent-state-"));
after(() => rm(base, { recursive: true, force: true }));

const identity = { nodeId: "n_0123456789abcdef", name: "web-3", server: "http://[::1]:8443", credential: "hp_node_0123456789abcdef_" + "x".repeat(43), enrolledAt: "2026-11-20T10:00:00.000Z" };

test("a fresh directory is created 0700 and holds no identity; save writes identity.json 0600 and load reads it back", async () => {
  const dir = join(base, "fresh", "agent");
  const sd = new StateDir(dir);
  assert.equal(await sd.load(), null);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  await sd.save(identity);
  assert.equal((await stat(sd.file)).mode & 0o777, 0o600);
  assert.deepEqual(await new StateDir(dir).load(), identity);
  assert.deepEqual(await readdir(dir), ["identity.json"], "no temp file stays behind");
  await sd.wipe();
  assert.equal(await sd.load(), null);
  await sd.wipe(); // idempotent
});

test("a too-open existing directory is tightened to 0700", async () => {
  const dir = join(base, "open");
  const sd = new StateDir(dir);
  await sd.load();
  await chmod(dir, 0o755);
  await sd.load();
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
});

test("a crash between writing the temp file and renaming it leaves the old identity; the half-written temp file is removed", async () => {
  const dir = join(base, "crash");
  const sd = new StateDir(dir);
  await sd.save(identity);
  // What a crash mid-write leaves: a truncated temp file beside the intact identity.
  const temp = join(dir, ".identity.json.tmp-4242-deadbeef");
  await writeFile(temp, '{"schema":"hostplane.agent-identity/v1","nodeId":"n_ff', { mode: 0o600 });
  assert.deepEqual(await sd.load(), identity);
  assert.deepEqual(await readdir(dir), ["identity.json"]);
  // A crash before the first rename: only a temp file, so no identity (the agent enrolls).
  await sd.wipe();
  await writeFile(temp, "{", { mode: 0o600 });
  assert.equal(await sd.load(), null);
});

test("save replaces the file by rename: a reader never sees a mix of old and new", async () => {
  const dir = join(base, "replace");
  const sd = new StateDir(dir);
  await sd.save(identity);
  const before = (await stat(sd.file)).ino;
  await sd.save({ ...identity, nodeId: "n_1111111111111111" });
  assert.notEqual((await stat(sd.file)).ino, before, "a new inode: replaced, not rewritten in place");
  assert.equal((await sd.load())?.nodeId, "n_1111111111111111");
});

test("a damaged identity file is a StateDirError that says what to do and does not print the credential", async () => {
  const dir = join(base, "damaged");
  const sd = new StateDir(dir);
  await sd.load();
  await writeFile(sd.file, "not json " + identity.credential);
  await assert.rejects(sd.load(), (err: Error) => err instanceof StateDirError && /remove it and enroll again/.test(err.message) && !err.message.includes(identity.credential));
  await writeFile(sd.file, JSON.stringify({ schema: "hostplane.agent-identity/v1", nodeId: "n_1" }));
  await assert.rejects(sd.load(), /is not an agent identity \(name:/);
  assert.match(await readFile(sd.file, "utf8"), /n_1/, "load never deletes a damaged identity");
});
