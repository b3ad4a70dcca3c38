/** The git adapter: the staged file list and staged contents, for `hostplane guard --staged`. */
import { run, type RunResult } from "../process/run.js";

export class GitError extends Error {
  override readonly name = "GitError";
  constructor(message: string, readonly result?: RunResult) {
    super(message);
  }
}

async function git(cwd: string, args: string[]): Promise<Buffer> {
  const result = await run("git", args, { cwd, timeoutMs: 30_000 });
  if (result.timedOut) throw new GitError(`git ${args[0]} timed out after 30 s in ${cwd}`, result);
  if (result.exitCode !== 0) {
    throw new GitError(`git ${args.join(" ")} failed in ${cwd} (exit ${result.exitCode}): ${result.stderr.trim().split("\n")[0] ?? ""}`, result);
  }
  return result.stdout;
}

/** Absolute path of the work tree containing `cwd`. */
export async function gitRoot(cwd: string): Promise<string> {
  return (await git(cwd, ["rev-parse", "--show-toplevel"])).toString("utf8").trim();
}

/** Paths (relative to the work tree root) added, copied, modified or renamed in the index. */
export async function stagedPaths(root: string): Promise<string[]> {
  const out = await git(root, ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"]);
  return out.toString("utf8").split("\0").filter((p) => p.length > 0);
}

/** The staged (index) content of a path: what the commit will contain, not the work tree. */
export async function stagedContent(root: string, path: string): Promise<string> {
  return (await git(root, ["show", `:${path}`])).toString("utf8");
}
