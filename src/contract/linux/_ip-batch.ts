/**
 * The scratch-namespace link probes as one `ip -oneline -force -batch -`
 * script, and reading its outcome back: which lines failed (stderr), and which
 * links each `link show` dump listed (stdout). Pure.
 *
 * Checks are whole dumps, not `link show dev X`: ip caches name → ifindex, and
 * asking by name for a link deleted behind that cache (a veth's peer) makes
 * iproute2 6.1 abort the whole batch ("Cannot send link get request").
 */
import type { ScratchStep } from "../facts.js";

export type LinkStep = "bridge" | "tap" | "tapOnBridge" | "veth" | "wireguard";

export const PROBE_LINKS = { bridge: "hp-probe-br", tap: "hp-probe-tap", vethA: "hp-probe-v0", vethB: "hp-probe-v1", wireguard: "wg-probe" } as const;

const { bridge: BR, tap: TAP, vethA: V0, vethB: V1, wireguard: WG } = PROBE_LINKS;

/** "created": after every creation; "detached": after unslaving the tap and deleting wireguard and veth; "removed": at the end. */
type DumpName = "created" | "detached" | "removed";
/** A dump: link name → its one -oneline line. */
type Dump = ReadonlyMap<string, string>;

interface StepPlan {
  create: string;
  remove: string;
  /** Holds in the "created" dump when the step worked. */
  made: (d: Dump) => boolean;
  /** Which dump shows the undoing, and what it must show. */
  undone: [DumpName, (d: Dump) => boolean];
}

const has = (...names: string[]) => (d: Dump) => names.every((n) => d.has(n));
const lacks = (...names: string[]) => (d: Dump) => names.every((n) => !d.has(n));
const enslaved = (d: Dump) => d.get(TAP)?.includes(` master ${BR} `) ?? false;

const PLAN: Record<LinkStep, StepPlan> = {
  bridge: { create: `link add ${BR} type bridge`, remove: `link del dev ${BR}`, made: has(BR), undone: ["removed", lacks(BR)] },
  tap: { create: `tuntap add dev ${TAP} mode tap`, remove: `link del dev ${TAP}`, made: has(TAP), undone: ["removed", lacks(TAP)] },
  tapOnBridge: {
    create: `link set dev ${TAP} master ${BR}`, remove: `link set dev ${TAP} nomaster`,
    made: enslaved, undone: ["detached", (d) => d.has(TAP) && !enslaved(d)],
  },
  veth: { create: `link add ${V0} type veth peer name ${V1}`, remove: `link del dev ${V0}`, made: has(V0, V1), undone: ["removed", lacks(V0, V1)] },
  wireguard: { create: `link add ${WG} type wireguard`, remove: `link del dev ${WG}`, made: has(WG), undone: ["removed", lacks(WG)] },
};

const ORDER: LinkStep[] = ["bridge", "tap", "tapOnBridge", "veth", "wireguard"];

export type BatchLine =
  | { text: string; kind: "create" | "remove"; step: LinkStep }
  | { text: "link show"; kind: "dump"; dump: DumpName };

export function linkProbeBatch(): BatchLine[] {
  const act = (kind: "create" | "remove", step: LinkStep): BatchLine => ({ text: PLAN[step][kind], kind, step });
  const dump = (name: DumpName): BatchLine => ({ text: "link show", kind: "dump", dump: name });
  return [
    ...ORDER.map((s) => act("create", s)),
    dump("created"),
    act("remove", "tapOnBridge"), act("remove", "wireguard"), act("remove", "veth"),
    dump("detached"),
    act("remove", "tap"), act("remove", "bridge"),
    dump("removed"),
  ];
}

export interface BatchErrors {
  /** 1-based batch line → what ip said about it (the lines it printed before "Command failed -:N"). */
  failed: Map<number, string>;
  /** stderr lines not followed by a "Command failed" line: from unshare, or ip dying before the end. */
  unattributed: string[];
}

/** ip prints a command's error lines first, then `Command failed -:N` (N = line of the batch read from stdin). */
export function parseBatchErrors(stderr: string): BatchErrors {
  const failed = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const m = /^Command failed (?:-|\S+):(\d+)$/.exec(line);
    if (m) {
      failed.set(Number(m[1]), pending.join("\n") || "(no message)");
      pending = [];
    } else {
      pending.push(line);
    }
  }
  return { failed, unattributed: pending };
}

/**
 * Splits stdout into the dumps that succeeded. A new network namespace's first
 * link is always `1: lo`, so each dump starts with that line.
 */
function _dumps(lines: readonly BatchLine[], failed: ReadonlyMap<number, string>, stdout: string): Map<DumpName, Dump> {
  const chunks: Map<string, string>[] = [];
  for (const line of stdout.split("\n")) {
    const name = /^\d+: ([^\s:@]+)/.exec(line)?.[1];
    if (name === undefined) continue;
    if (line.startsWith("1: lo:")) chunks.push(new Map());
    const current = chunks.at(-1);
    if (current === undefined) throw new Error(`ip output does not start with the loopback link: ${JSON.stringify(line.slice(0, 80))}`);
    current.set(name, line);
  }
  const ran = lines.flatMap((l, i) => (l.kind === "dump" && !failed.has(i + 1) ? [l.dump] : []));
  if (ran.length !== chunks.length) throw new Error(`expected ${ran.length} link dumps in ip's output, found ${chunks.length}`);
  return new Map(ran.map((name, i) => [name, chunks[i]!]));
}

/** Turns the batch's stderr and stdout into one ScratchStep per link step. Throws if stdout does not match the batch. */
export function linkSteps(lines: readonly BatchLine[], stderr: string, stdout: string): Record<LinkStep, ScratchStep> {
  const { failed } = parseBatchErrors(stderr);
  const dumps = _dumps(lines, failed, stdout);
  const lineOf = (kind: "create" | "remove" | "dump", key: string) => lines.findIndex((l) => l.kind === kind && (l.kind === "dump" ? l.dump : l.step) === key) + 1;
  const errorAt = (n: number) => failed.get(n)?.split("\n")[0];
  const result = {} as Record<LinkStep, ScratchStep>;
  for (const step of ORDER) {
    const plan = PLAN[step];
    const createError = errorAt(lineOf("create", step));
    const createdDump = dumps.get("created");
    const created = createError === undefined && createdDump !== undefined && plan.made(createdDump);
    if (!created) {
      const why = createError ?? errorAt(lineOf("dump", "created")) ?? "the link dump after creation does not show it";
      result[step] = { created, removed: null, error: why };
      continue;
    }
    const [dumpName, check] = plan.undone;
    const removeError = errorAt(lineOf("remove", step));
    const undoneDump = dumps.get(dumpName);
    const removed = removeError === undefined && undoneDump !== undefined && check(undoneDump);
    const why = removeError ?? errorAt(lineOf("dump", dumpName)) ?? "the link dump after removal still shows it";
    result[step] = removed ? { created, removed } : { created, removed, error: why };
  }
  return result;
}
