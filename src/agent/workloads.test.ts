import assert from "node:assert/strict";
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileWorkloads, parseSystemdUnits, systemdWorkloads, workloadAdapter, WorkloadError } from "./workloads.js";

// As printed by systemd 252: `systemctl list-units --type=service --all --output=json 'microvm@*'`.
const RECORDED = `[{"unit":"microvm@web-1.service","load":"loaded","active":"active","sub":"running","description":"MicroVM 'web-1'"},{"unit":"microvm@db-2.service","load":"loaded","active":"inactive","sub":"dead","description":"MicroVM 'db-2'"},{"unit":"microvm@x\\\\x2dy.service","load":"loaded","active":"failed","sub":"failed","description":"MicroVM"},{"unit":"microvm-tap-interfaces@web-1.service","load":"loaded","active":"active","sub":"exited","description":"taps"}]`;

test("systemd JSON: microvm@ instances with their sub state, sorted; other units ignored", () => {
  assert.deepEqual(parseSystemdUnits(RECORDED), [
    { id: "db-2", state: "dead" }, { id: "web-1", state: "running" }, { id: "x\\x2dy", state: "failed" },
  ]);
  assert.deepEqual(parseSystemdUnits("[]"), []);
  assert.throws(() => parseSystemdUnits("UNIT LOAD ACTIVE"), WorkloadError);
  assert.throws(() => parseSystemdUnits("{}"), /not an array/);
});

test("systemd adapter on a host without systemd as PID 1 throws a WorkloadError naming the cause", async () => {
  const root = await mkdtemp(join(tmpdir(), "hp-wl-"));
  try {
    await assert.rejects(systemdWorkloads({ root }).list(), (err: Error) => err instanceof WorkloadError && /not running as PID 1/.test(err.message));
    await mkdir(join(root, "run/systemd/system"), { recursive: true });
    const script = join(root, "systemctl");
    await writeFile(script, `#!/bin/sh\ncat <<'X'\n${RECORDED}\nX\n`, { mode: 0o755 });
    assert.equal((await systemdWorkloads({ root, systemctl: script }).list()).length, 3);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("file adapter reads the inventory on every call and names bad items", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hp-wl-"));
  const file = join(dir, "inventory.json");
  try {
    const a = workloadAdapter(`file:${file}`)!;
    assert.equal(a.name, `file:${file}`);
    await assert.rejects(a.list(), /cannot read the workload inventory .*ENOENT/);
    await writeFile(file, JSON.stringify([{ id: "vm-1", state: "running" }]));
    assert.deepEqual(await a.list(), [{ id: "vm-1", state: "running" }]);
    await writeFile(file, JSON.stringify([{ id: "vm-1", state: "running" }, { id: 3 }]));
    await assert.rejects(fileWorkloads(file).list(), /item 1 needs a non-empty string "id"/);
    await writeFile(file, "{");
    await assert.rejects(a.list(), /not valid JSON/);
    assert.equal(workloadAdapter("docker"), null);
    assert.equal(workloadAdapter("file:"), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("systemd stop runs systemctl stop microvm@ID.service; a failure or a timeout is a WorkloadError with the command", async () => {
  const root = await mkdtemp(join(tmpdir(), "hp-wl-"));
  try {
    const record = join(root, "args");
    const ok = join(root, "systemctl-ok");
    await writeFile(ok, `#!/bin/sh\necho "$@" >> ${record}\n`, { mode: 0o755 });
    await systemdWorkloads({ root, systemctl: ok }).stop("web-1");
    assert.equal(await readFile(record, "utf8"), "stop microvm@web-1.service\n");
    const failing = join(root, "systemctl-fail");
    await writeFile(failing, "#!/bin/sh\necho 'Job for microvm@web-1.service failed' >&2\nexit 1\n", { mode: 0o755 });
    await assert.rejects(systemdWorkloads({ root, systemctl: failing }).stop("web-1"), (err: Error) => err instanceof WorkloadError && /stop microvm@web-1\.service exited with 1: Job for/.test(err.message));
    const hanging = join(root, "systemctl-hang");
    await writeFile(hanging, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    await assert.rejects(systemdWorkloads({ root, systemctl: hanging, stopTimeoutMs: 200 }).stop("web-1"), /timed out after 200 ms/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("file adapter stop removes the item by rewriting the inventory whole (no temp file left)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hp-wl-"));
  const file = join(dir, "inventory.json");
  try {
    await writeFile(file, JSON.stringify([{ id: "vm-1", state: "running" }, { id: "vm-2", state: "running" }]));
    const a = fileWorkloads(file);
    await a.stop("vm-1");
    assert.deepEqual(await a.list(), [{ id: "vm-2", state: "running" }]);
    await a.stop("vm-9"); // not there: nothing to do
    assert.deepEqual(await a.list(), [{ id: "vm-2", state: "running" }]);
    assert.deepEqual(await readdir(dir), ["inventory.json"]);
    await writeFile(file, "{");
    await assert.rejects(a.stop("vm-2"), WorkloadError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
