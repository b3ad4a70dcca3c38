/** The ip-batch script and reading its outcome back, with output recorded from iproute2 6.1 on Debian 12 (kernel 6.18, no wireguard module). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { linkProbeBatch, linkSteps, parseBatchErrors, PROBE_LINKS } from "./_ip-batch.js";

/** stdout of `unshare --net -- ip -oneline -force -batch -` fed linkProbeBatch(), recorded. */
const RECORDED_STDOUT = String.raw`1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: hp-probe-br: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/ether fe:8c:00:fa:1d:b3 brd ff:ff:ff:ff:ff:ff
3: hp-probe-tap: <BROADCAST,MULTICAST> mtu 1500 qdisc noop master hp-probe-br state DOWN mode DEFAULT group default qlen 1000\    link/ether fe:8c:00:fa:1d:b3 brd ff:ff:ff:ff:ff:ff
4: hp-probe-v1@hp-probe-v0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/ether 62:01:ca:9f:42:79 brd ff:ff:ff:ff:ff:ff
5: hp-probe-v0@hp-probe-v1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/ether 92:07:19:bc:47:04 brd ff:ff:ff:ff:ff:ff
1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: hp-probe-br: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff
3: hp-probe-tap: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/ether fe:8c:00:fa:1d:b3 brd ff:ff:ff:ff:ff:ff
1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
`;

const RECORDED_STDERR = `Error: Unknown device type.
Command failed -:5
Cannot find device "wg-probe"
Command failed -:8
`;

const lines = linkProbeBatch();
const lineNo = (text: string) => lines.findIndex((l) => l.text === text) + 1;

test("the batch creates, dumps, undoes in reverse, and dumps after each removal round", () => {
  assert.deepEqual(lines.map((l) => l.text), [
    "link add hp-probe-br type bridge",
    "tuntap add dev hp-probe-tap mode tap",
    "link set dev hp-probe-tap master hp-probe-br",
    "link add hp-probe-v0 type veth peer name hp-probe-v1",
    "link add wg-probe type wireguard",
    "link show",
    "link set dev hp-probe-tap nomaster",
    "link del dev wg-probe",
    "link del dev hp-probe-v0",
    "link show",
    "link del dev hp-probe-tap",
    "link del dev hp-probe-br",
    "link show",
  ]);
  for (const name of Object.values(PROBE_LINKS)) assert.ok(name.length <= 15, `${name} fits IFNAMSIZ`);
});

test("parseBatchErrors attributes each error to the batch line named by 'Command failed -:N'", () => {
  const { failed, unattributed } = parseBatchErrors(RECORDED_STDERR);
  assert.deepEqual([...failed], [[5, "Error: Unknown device type."], [8, 'Cannot find device "wg-probe"']]);
  assert.deepEqual(unattributed, []);
});

test("parseBatchErrors keeps several message lines for one command, and lines with no Command failed after them", () => {
  const { failed, unattributed } = parseBatchErrors(
    "RTNETLINK answers: File exists\nsecond line\nCommand failed -:3\nCannot send link get request: No such device\n",
  );
  assert.equal(failed.get(3), "RTNETLINK answers: File exists\nsecond line");
  assert.deepEqual(unattributed, ["Cannot send link get request: No such device"]);
  assert.deepEqual(parseBatchErrors("unshare: unshare failed: Operation not permitted\n").unattributed, ["unshare: unshare failed: Operation not permitted"]);
});

test("recorded run: bridge, tap, tap-on-bridge and veth made and undone; wireguard an unknown device type", () => {
  const steps = linkSteps(lines, RECORDED_STDERR, RECORDED_STDOUT);
  assert.deepEqual(steps, {
    bridge: { created: true, removed: true },
    tap: { created: true, removed: true },
    tapOnBridge: { created: true, removed: true },
    veth: { created: true, removed: true },
    wireguard: { created: false, removed: null, error: "Error: Unknown device type." },
  });
});

test("a link still listed in the last dump is created but not removed, with the removal's error", () => {
  const dumps = RECORDED_STDOUT.split(/(?=^1: lo:)/m);
  const stuck = dumps[0]!.split("\n").find((l) => l.includes("hp-probe-br:"))!;
  const stdout = `${dumps[0]}${dumps[1]}${dumps[2]!.trimEnd()}\n${stuck}\n`;
  const stderr = `${RECORDED_STDERR}RTNETLINK answers: Operation not permitted\nCommand failed -:${lineNo("link del dev hp-probe-br")}\n`;
  const steps = linkSteps(lines, stderr, stdout);
  assert.deepEqual(steps.bridge, { created: true, removed: false, error: "RTNETLINK answers: Operation not permitted" });
  assert.deepEqual(steps.tap, { created: true, removed: true });
});

test("a tap that never joined the bridge: tapOnBridge not created, with ip's error", () => {
  const stdout = RECORDED_STDOUT.replace(" master hp-probe-br ", " ");
  const stderr = `RTNETLINK answers: Invalid argument\nCommand failed -:3\n${RECORDED_STDERR}`;
  const steps = linkSteps(lines, stderr, stdout);
  assert.deepEqual(steps.tapOnBridge, { created: false, removed: null, error: "RTNETLINK answers: Invalid argument" });
  assert.deepEqual(steps.tap, { created: true, removed: true });
});

test("output that does not match the batch is an error, not a guess", () => {
  assert.throws(() => linkSteps(lines, RECORDED_STDERR, ""), /expected 3 link dumps in ip's output, found 0/);
  assert.throws(() => linkSteps(lines, RECORDED_STDERR, "2: eth0: <UP> mtu 1500\n"), /does not start with the loopback link/);
});
