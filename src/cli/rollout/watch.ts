/**
 * `hostplane rollout watch`: follows a rollout's events with the events
 * long-poll until it finishes. For scripts (--json) every event as one JSON
 * line; for people the rollout page redrawn in place on a terminal, or the
 * events and wave progress as appended lines when the output is a pipe or file.
 * Exit 0 when the rollout succeeded, 1 when it was aborted.
 */
import type { z } from "zod";
import { ApiServerError, type ApiClient } from "../../server/api-client.js";
import type { RolloutDetail, RolloutEventListSchema } from "../../server/rollout-schemas.js";
import { HttpError } from "../../http/index.js";
import type { CliIo } from "../io.js";
import { countsText, progressBar, renderRollout } from "./render.js";
import { operationSteps } from "./steps.js";

type EventPage = z.infer<typeof RolloutEventListSchema>;
type RolloutEvent = EventPage["events"][number];

/** Seconds each long-poll waits for an event (the server caps it at its own maximum). */
const WAIT_SECONDS = 25;
/** A watch outlives a server restart or a network blip of about this long. */
const RETRIES = [1000, 2000, 4000, 8000, 15000];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `fn`, tried again after a failure to reach the server or a 5xx (not after a 4xx: that will not change). */
async function retrying<T>(io: CliIo, what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const transient = err instanceof HttpError || err instanceof ApiServerError;
      const delay = RETRIES[attempt];
      if (!transient || delay === undefined) throw err;
      io.stderr(`hostplane: ${what}: ${(err as Error).message}; trying again in ${delay / 1000}s\n`);
      await sleep(delay);
    }
  }
}

function eventLine(e: RolloutEvent): string {
  return `${e.at.slice(11, 19)}  ${e.type.padEnd(16)} ${e.node === null ? "" : `${e.node}: `}${e.detail}`;
}

function progressLines(r: RolloutDetail): string[] {
  return r.progress.map((w) => `wave ${w.wave}${r.canaryWave && w.wave === 0 ? " (canary)" : ""} ${progressBar(w.counts)} ${countsText(w.counts)}`);
}

function fit(frame: string, columns: number | undefined, rows: number | undefined): string {
  let lines = frame.trimEnd().split("\n");
  if (columns !== undefined) lines = lines.map((l) => (l.length > columns - 1 ? l.slice(0, columns - 2) + "…" : l));
  if (rows !== undefined && lines.length > rows - 1) lines = [...lines.slice(0, rows - 2), `… (${lines.length - rows + 2} more lines; hostplane rollout show for all)`];
  return lines.join("\n") + "\n";
}

export async function watchRollout(api: ApiClient, id: string, io: CliIo, options: { json: boolean }): Promise<number> {
  let after = 0;
  let recent: RolloutEvent[] = [];
  let shownProgress = "";
  if (!options.json && !io.isTTY) {
    const r = await retrying(io, `reading rollout ${id}`, () => api.getRollout(id));
    io.stdout(`watching rollout ${r.id} of release ${r.release.name}: ${r.status}, ${r.nodes.length} nodes in ${r.waves} waves\n`);
  }
  for (;;) {
    const page = await retrying(io, `following rollout ${id}`, () => api.rolloutEvents(id, { after, waitSeconds: WAIT_SECONDS }));
    after = page.next;
    const finished = page.status === "succeeded" || page.status === "aborted";
    if (options.json) {
      for (const e of page.events) io.stdout(JSON.stringify({ rollout: id, ...e }) + "\n");
    } else if (io.isTTY) {
      recent = [...recent, ...page.events].slice(-8);
      const r = await retrying(io, `reading rollout ${id}`, () => api.getRollout(id));
      const steps = await retrying(io, `reading rollout ${id}'s operations`, () => operationSteps(api, r));
      const frame = renderRollout(r, { steps, nodes: "active" }) + (recent.length > 0 ? `\nrecent events:\n${recent.map((e) => `  ${eventLine(e)}`).join("\n")}\n` : "");
      // Home and clear, then the whole page: simple, and correct however the page's height changed.
      io.stdout(`\x1b[H\x1b[J${fit(frame, io.columns, io.rows)}`);
    } else if (page.events.length > 0 || finished) {
      for (const e of page.events) io.stdout(eventLine(e) + "\n");
      const r = await retrying(io, `reading rollout ${id}`, () => api.getRollout(id));
      const progress = progressLines(r).join("\n");
      if (progress !== shownProgress) { io.stdout(progress + "\n"); shownProgress = progress; }
    }
    // A finished rollout answers at once; keep reading until its last event is out.
    if (finished && page.events.length === 0) {
      if (!options.json) {
        const r = await api.getRollout(id);
        io.stdout(page.status === "succeeded" ? `rollout ${id} succeeded\n` : `rollout ${id} was aborted: ${r.abortReason ?? "no reason recorded"}\n`);
      }
      return page.status === "succeeded" ? 0 : 1;
    }
  }
}
