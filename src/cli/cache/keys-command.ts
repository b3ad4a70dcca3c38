/** `hostplane cache key generate`: a new signing key `<name>-<N>` with the next free N. */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatPublicKey, generateKeyPair, nextKeyName, writeSecretKeyFile } from "../../cache/index.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { editPolicy, keyIndex, loadPolicy } from "./policy-file.js";
import { writeFileAtomic } from "../write-file.js";

export const KEY_HELP = `Usage: hostplane cache key generate --name NAME [--out-dir DIR] [--policy FILE --add-to-policy]

Generate an Ed25519 binary-cache signing key named NAME-N, where N is the next
free generation (looking at DIR and at the keys in the trust policy). Writes
DIR/NAME-N.sec (mode 0600, never overwritten) and DIR/NAME-N.pub, and prints
only the public key. The secret key is never printed or logged.

  --name NAME        key base name, e.g. fleet (letters, digits, dots, dashes)
  --out-dir DIR      where to write the key files (default: .)
  --policy FILE      trust policy consulted for existing generations
  --add-to-policy    also add the public key to the policy as trusted (not as signer)
`;

export async function keyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "-h" || sub === "--help" || sub === undefined) {
    io.stdout(KEY_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "generate") throw new UsageError(`unknown subcommand "cache key ${sub}" (expected: generate)`);
  const { values } = parseArgs({
    args: rest, strict: true,
    options: { name: { type: "string" }, "out-dir": { type: "string" }, policy: { type: "string" }, "add-to-policy": { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.stdout(KEY_HELP);
    return 0;
  }
  const base = values.name;
  if (base === undefined) throw new UsageError("--name is required (e.g. --name fleet)");
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(base) || /-\d+$/.test(base)) {
    throw new UsageError(`--name "${base}" must be letters, digits, dots and dashes, without a trailing -N (the generation is added)`);
  }
  const dir = resolve(io.cwd, values["out-dir"] ?? ".");
  if (!existsSync(dir)) throw new UsageError(`--out-dir ${values["out-dir"]} does not exist`);
  const existing = readdirSync(dir).filter((f) => f.endsWith(".sec") || f.endsWith(".pub")).map((f) => f.slice(0, -4));
  const loaded = values.policy !== undefined || values["add-to-policy"] ? loadPolicy(io.cwd, values.policy) : null;
  if (loaded) existing.push(...loaded.policy.keys.map((k) => k.name));
  const name = nextKeyName(base, existing);

  const pair = generateKeyPair(name);
  const secretPath = join(dir, `${name}.sec`);
  await writeSecretKeyFile(secretPath, pair.secretKey);
  const publicText = formatPublicKey(pair.publicKey);
  writeFileAtomic(join(dir, `${name}.pub`), publicText + "\n");
  if (values["add-to-policy"] && loaded) {
    editPolicy(loaded, (keys, doc) => {
      if (keyIndex(keys, name) >= 0) throw new UsageError(`the policy already has a key named ${name}`);
      keys.items.push(doc.createNode({ publicKey: publicText, status: "trusted" }));
    });
  }
  io.stdout(publicText + "\n");
  io.stderr(`wrote ${join(values["out-dir"] ?? ".", `${name}.sec`)} (mode 0600) and ${name}.pub` +
    (values["add-to-policy"] ? `; added ${name} to ${values.policy ?? "the trust policy"} as trusted` : "") + "\n");
  return 0;
}
