/**
 * Recognising secrets by where they live rather than what they look like:
 * secret file names, runtime secret directories, sops-nix/agenix paths, and
 * options whose purpose is to point at a secret file.
 */
import type { Expr } from "../nix/ast.js";
import { dottedName } from "../analyze/calls.js";

const RUNTIME_SECRET_DIRS = ["/run/secrets", "/run/agenix", "/run/keys", "/run/credentials", "/var/lib/secrets", "/etc/secrets"];

// Linear patterns over one path string: a bounded segment class, anchored alternatives, no nested quantifiers.
const STRONG_SECRET_FILE =
  /(?:^|\/)(?:id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?|[^/]{0,100}_(?:rsa|dsa|ecdsa|ed25519)_key|[^/]{0,200}\.(?:key|priv|psk|p12|pfx|keytab)|[^/]{0,200}private[-_]?key[^/]{0,200}|[^/]{0,200}(?:password|passwd|token|secret)(?:\.txt|\.env)?)$/i;
const SECRET_DIR_SEGMENT = /(?:^|\/)(?:secrets?|private|credentials)(?:\/|$)/i;
const NOT_SECRET_FILE = /\.(?:pub|age|enc|gpg|asc|crt|cert|umbriel)$|\.sops\.(?:ya?ml|json)$/i;
/** sops-nix files are YAML/JSON whose values are encrypted; as path literals they are meant for the store. */
const STRUCTURED_DATA = /\.(?:ya?ml|json|toml)$/i;

/** Public keys, certificates and encrypted files (agenix, sops, gpg): safe in the store as path literals. */
export function isPublicOrEncryptedFile(pathText: string): boolean {
  return NOT_SECRET_FILE.test(pathText) || STRUCTURED_DATA.test(pathText);
}

/** File name that plainly names a secret (`id_ed25519`, `wg0.key`, `ssh_host_rsa_key`, `db-password`). */
export function isSecretFileName(pathText: string): boolean {
  return !NOT_SECRET_FILE.test(pathText) && STRONG_SECRET_FILE.test(pathText);
}

/** A secret file, or any file under a `secrets/`-like directory: what `readFile` must not read at evaluation. */
export function isSecretLocation(pathText: string): boolean {
  return !NOT_SECRET_FILE.test(pathText) && (STRONG_SECRET_FILE.test(pathText) || SECRET_DIR_SEGMENT.test(pathText));
}

/** An absolute runtime secret location (`/run/secrets/db`, `/run/agenix/wg`). */
export function isRuntimeSecretPath(text: string): boolean {
  return RUNTIME_SECRET_DIRS.some((d) => text === d || text.startsWith(d + "/"));
}

/** `config.sops.secrets.<n>.path`, `config.age.secrets.<n>.path`, `config.sops.templates.<n>.path`. */
export function isSecretManagerPath(e: Expr): boolean {
  const name = dottedName(e);
  if (name === null) return false;
  return /^(?:config\.)?(?:sops\.(?:secrets|templates)|age\.secrets)\.[^.]{1,200}\.path$/.test(name);
}

const SECRET_WORDS = /pass|secret|token|credential|private|psk|preshared|apikey|api_key|identity|key/i;
const PUBLIC_WORDS = /public|pubkey|bypass|passthru|cert(?!ificateKey)/i;
const SECRET_INTENT_EXACT = new Set([
  "environmentFile", "environmentFiles", "EnvironmentFile", "LoadCredential", "LoadCredentialEncrypted",
  "keyFile", "keyFiles", "sslCertificateKey", "sslKey", "tlsKey", "key", "identityPaths", "sshKey",
  "secret-key-files", "secretKeyFile", "secretKeyFiles", "htpasswdFile", "basicAuthFile", "authFile",
]);

/** Options whose value is the location of a secret: `passwordFile`, `privateKeyFile`, `environmentFile`, … */
export function isSecretFileOption(name: string): boolean {
  if (SECRET_INTENT_EXACT.has(name)) return true;
  const fileish = /(?:File|Files|Path|Paths|file|_file)$/.test(name);
  return fileish && SECRET_WORDS.test(name) && !PUBLIC_WORDS.test(name);
}

/** Last segment of an option path that is not a list marker. */
export function lastName(path: readonly string[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) if (path[i] !== "*") return path[i];
  return undefined;
}

/** sops-nix and agenix options take encrypted files by design: a path literal there is fine. */
export function isEncryptedSecretContext(path: readonly string[]): boolean {
  const first = path[0];
  return first === "sops" || first === "age";
}
