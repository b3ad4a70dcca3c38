/**
 * Name- and value-level helpers for the guard's AST rules: is this attribute
 * name one that holds a credential, is this value harmless whatever its name,
 * and how to show a secret in a report without revealing it.
 */
import { detectSecrets } from "./patterns.js";

// ---------------------------------------------------------------------------
// Attribute names
// ---------------------------------------------------------------------------

/**
 * Attribute names repeat across a tree (`enable`, `package`, `settings`), and
 * every definition asks about its name: remember the answers. Bounded, so a
 * hostile tree of unique names cannot grow it without limit.
 */
function memoized(fn: (name: string) => boolean): (name: string) => boolean {
  const cache = new Map<string, boolean>();
  return (name) => {
    let hit = cache.get(name);
    if (hit === undefined) {
      hit = name.length > 256 ? false : fn(name);
      if (cache.size >= 100_000) cache.clear();
      cache.set(name, hit);
    }
    return hit;
  };
}

/**
 * Splits an attribute name into lower-case words: camelCase / PascalCase /
 * ACRONYMWords / snake_case / kebab-case / dotted. Digits stay with the
 * preceding letters (`vendorSha256` → `vendor`, `sha256`).
 */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z])(?=[A-Z][a-z])/g, "$1 ")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/** Words before `pass` that make it the verb (pass a request on), as in nginx's `proxyPass`. */
const PASS_VERB_PREFIXES = new Set(["proxy", "uwsgi", "scgi", "fastcgi", "fcgi", "grpc", "memcached", "by", "upstream"]);

/** Words that on their own mean "this holds a credential". */
const SECRET_WORDS = new Set([
  "password",
  "passwords",
  "passwd",
  "pass",
  "pw",
  "pwd",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "tokens",
  "apikey",
  "credential",
  "credentials",
  "creds",
  "bearer",
  "psk",
  "privatekey",
  "secretkey",
  "accesskey",
  "presharedkey",
  "masterkey",
  "authkey",
]);

/** Single-word concatenations (`dbpassword`, `authtoken`, `clientsecret`) are recognised by these endings. */
const SECRET_SUFFIXES = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "privatekey",
  "secretkey",
  "accesskey",
  "presharedkey",
];

/** `<qualifier> key` pairs that name a secret key (`apiKey`, `private_key`, `preSharedKey`, `masterKey`, …). */
const SECRET_KEY_QUALIFIERS = new Set([
  "api",
  "private",
  "priv",
  "secret",
  "access",
  "master",
  "encryption",
  "enc",
  "session",
  "shared",
  "preshared",
  "hmac",
  "auth",
  "client",
  "cookie",
  "jwt",
]);

/**
 * Last words that make the name refer to something *about* the secret (where it
 * lives, how to get it, its policy) rather than the secret itself.
 * Note: `hash` is not here — `passwordHash`, like `hashedPassword`, holds a
 * crackable hash and counts as secret-like.
 */
const NON_SECRET_ENDINGS = new Set([
  "file",
  "files",
  "path",
  "paths",
  "dir",
  "dirs",
  "directory",
  "folder",
  "location",
  "command",
  "commands",
  "cmd",
  "exec",
  "eval",
  "script",
  "program",
  "helper",
  "env",
  "environment",
  "var",
  "variable",
  "length",
  "len",
  "policy",
  "url",
  "urls",
  "uri",
  "endpoint",
  "host",
  "port",
  "name",
  "names",
  "ref",
  "prompt",
  "authentication",
  "method",
  "methods",
  "mechanism",
  "type",
  "types",
  "mode",
  "format",
  "scheme",
  "algorithm",
  "algo",
  "cipher",
  "encrypted",
  "id",
  "ids",
  "user",
  "username",
  "login",
  "owner",
  "group",
  "enable",
  "enabled",
  "disable",
  "disabled",
  "required",
  "support",
  "store",
  "storage",
  "backend",
  "provider",
  "manager",
  "service",
  "socket",
  "timeout",
  "ttl",
  "lifetime",
  "expiry",
  "interval",
  "tries",
  "retries",
  "attempts",
  "limit",
  "rounds",
  "min",
  "max",
  "size",
  "count",
  "prefix",
  "suffix",
  "header",
  "label",
  "description",
  "hint",
  "regex",
  "pattern",
  "chars",
  "charset",
]);

/** First words that make the name a switch or a reference to a secret stored elsewhere. */
const NON_SECRET_FIRST_WORDS = new Set([
  "enable",
  "use",
  "allow",
  "require",
  "disable",
  "with",
  "has",
  "is",
  "no",
  "permit",
  "skip",
  "show",
  "ask",
  "load",
  "import",
  "min",
  "max",
  "num",
]);

/** Words anywhere in the name that mean the value is public. */
const PUBLIC_WORDS = new Set(["public", "pub", "pubkey", "pubkeys", "publickey", "publickeys", "fingerprint", "fingerprints"]);

function isSecretWord(w: string): boolean {
  return SECRET_WORDS.has(w) || SECRET_SUFFIXES.some((s) => w.endsWith(s));
}

function hasSecretWord(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (isSecretWord(w)) return true;
    if ((w === "key" || w === "keys") && i > 0 && SECRET_KEY_QUALIFIERS.has(words[i - 1]!)) return true;
  }
  return false;
}

/**
 * True when an attribute name says it holds a credential itself: `password`,
 * `hashedPassword`, `apiKey`, `api_key`, `client-secret`, `privateKey`, `psk`,
 * `presharedKey`, `access-tokens`, `basicAuth`, `DB_PASSWORD`, …
 *
 * False for names about a credential rather than the credential: `passwordFile`,
 * `tokenFile`, `environmentFile`, `credentialsFile`, `keyFile`, `sshKeyPaths`,
 * `passwordCommand`, `PasswordAuthentication`, `passwordPrompt`, `tokenUrl`,
 * `tokenEndpoint`, `secretName`, `secretRef`, `publicKey`, `passwordMinLength`,
 * `enable*`, `useToken`, `authMethod`, `LoadCredential`, `accessKeyId`.
 */
function isSecretLikeNameUncached(attrName: string): boolean {
  if (SECRET_NAME_EXCEPTIONS.has(attrName.toLowerCase())) return true;
  const words = nameWords(attrName);
  if (words.length === 0) return false;
  // `proxyPass`, `uwsgiPass`, `grpcPass`: nginx/HTTP "pass to upstream", not a password.
  const passAt = words.indexOf("pass");
  if (passAt > 0 && PASS_VERB_PREFIXES.has(words[passAt - 1]!)) return false;
  if (!hasSecretWord(words)) return false;
  if (words.some((w) => PUBLIC_WORDS.has(w))) return false;
  const first = words[0]!;
  const last = words[words.length - 1]!;
  if (words.length > 1 && NON_SECRET_FIRST_WORDS.has(first)) return false;
  if (NON_SECRET_ENDINGS.has(last) && !(last === "id" && words[words.length - 2] === "secret")) return false;
  return endsInSecret(words);
}

/** Names that hold a credential although their words say otherwise (redis `requirePass`). */
const SECRET_NAME_EXCEPTIONS = new Set(["requirepass", "require_pass", "masterauth", "adminpass", "dbpass", "rootpass", "userpass", "mysqlpass"]);
/** Trailing words that still describe the credential itself (`passwordHash`, `tokenValue`). */
const SECRET_TRAILERS = new Set(["value", "base", "hash", "hashed", "plain", "plaintext", "raw", "string", "str", "text", "b64", "base64", "hex", "secret"]);

/**
 * The credential word must be the name's head (its last word, after trailers
 * such as `Value`/`Hash`): `client_secret`, `dbPassword`, `apiKey` hold one;
 * `auth_mechanisms`, `password_encryption`, `tokenFormatStyle`,
 * `smtp_sasl_password_maps` and `IPv6Token` do not.
 */
function endsInSecret(words: readonly string[]): boolean {
  let end = words.length;
  while (end > 1 && SECRET_TRAILERS.has(words[end - 1]!) && !isSecretWord(words[end - 1]!)) end--;
  const last = words[end - 1]!;
  const before = end > 1 ? words[end - 2] : undefined;
  if (before !== undefined && /^(?:i?pv6|v6|ipv6)$/.test(before) && last === "token") return false;
  if (isSecretWord(last)) return true;
  if (last === "id" && before === "secret") return true; // Vault AppRole `secretId`
  return (last === "key" || last === "keys") && before !== undefined && SECRET_KEY_QUALIFIERS.has(before);
}

const HASH_WORDS = new Set([
  "hash",
  "hashes",
  "sha1",
  "sha256",
  "sha384",
  "sha512",
  "md5",
  "checksum",
  "checksums",
  "digest",
  "digests",
  "integrity",
  "rev",
  "revision",
  "commit",
]);

/**
 * True for names of content hashes and revisions (`hash`, `sha256`, `narHash`,
 * `outputHash`, `vendorHash`, `cargoHash`, `npmDepsHash`, `vendorSha256`, `rev`, …).
 * False when the name also says it holds a credential (`hashedPassword`,
 * `passwordHash`): those are crackable password hashes, not content hashes.
 */
function isHashLikeNameUncached(name: string): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1];
  if (last === undefined || hasSecretWord(words)) return false;
  if (HASH_WORDS.has(last)) return true;
  return words.length === 1 && /(?:hash|sha1|sha256|sha512)$/.test(last);
}

function isPublicKeySegment(segment: string): boolean {
  const words = nameWords(segment);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = words[i + 1];
    if (PUBLIC_WORDS.has(w) && w !== "public" && w !== "pub") return true;
    if ((w === "public" || w === "pub") && (next === "key" || next === "keys")) return true;
    if (w === "recipient" || w === "recipients" || w === "authorizedkeys") return true;
    if (w === "authorized" && (next === "key" || next === "keys")) return true;
    if (w === "known" && next === "hosts") return true;
    if (w === "knownhosts") return true;
  }
  return false;
}

/**
 * True for names (or dotted attribute paths) whose values are public keys:
 * `publicKey(s)`, `pubkey`, `trusted-public-keys`, `trustedPublicKeys`,
 * `authorizedKeys`, `openssh.authorizedKeys.keys`, `recipients`, `fingerprint`,
 * `knownHosts`.
 */
function isPublicKeyNameUncached(name: string): boolean {
  return name.split(".").some(isPublicKeySegment);
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/**
 * Values that are never reported as a secret, even under a secret-like name.
 * Each entry is exact (anchored) so that a secret cannot hide behind a benign prefix.
 *
 *  - references: absolute / relative / home paths (`/run/secrets/x`, `./x`,
 *    `~/x`), store paths, `file:` URLs, `name:/path` (systemd LoadCredential),
 *    `$VAR`, `${VAR}`, `$VAR/…` (e.g. `$CREDENTIALS_DIRECTORY/x`), `${…}` alone,
 *    systemd specifiers (`%d/x`), `env:NAME` / `ext:NAME`, Grafana
 *    `$__file{…}` / `$__env{…}`, `{{ template }}`;
 *  - content hashes: SRI (`sha256-…=`), `sha256:<hex>` digests, nix base32
 *    (52 / 103 chars);
 *  - public material: SSH public keys (`ssh-ed25519 AAAA…`, `ssh-rsa`, `ecdsa-sha2-…`,
 *    `sk-ssh-…@openssh.com`, certificates), binary-cache public keys
 *    (`name:` + 44 base64), age recipients (`age1…`), PEM public keys, certificates,
 *    PGP public key blocks and signatures;
 *  - already-encrypted material: sops values (`ENC[AES256_GCM,data:…]`), age and
 *    PGP armored messages;
 *  - placeholders: `<…>`, `@NAME@`, runs of `x` / `*` / `.`, `YOUR_…` /
 *    `…_HERE`, and a fixed list of words (changeme, replace_me, placeholder,
 *    example, dummy, test, password, secret, token, none, null, …).
 *
 * Bare hex strings (32/40/64/128) are deliberately NOT benign: `openssl rand
 * -hex 32`, WPA PSKs, old GitHub tokens and many API keys are hex. Whether a
 * hex value is a content hash is decided by its attribute name (`isHashLikeName`).
 */
export function isBenignValue(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  if (BENIGN_WORDS.has(v.toLowerCase())) return true;
  if (v.length > 100_000) return false;
  return BENIGN_PATTERNS.some((re) => re.test(v));
}

const BENIGN_WORDS = new Set([
  "unused",
  "disabled",
  "unset",
  "changeme",
  "change-me",
  "change_me",
  "changethis",
  "change-this",
  "replaceme",
  "replace-me",
  "replace_me",
  "todo",
  "fixme",
  "tbd",
  "placeholder",
  "example",
  "dummy",
  "test",
  "testing",
  "fake",
  "sample",
  "password",
  "passwd",
  "secret",
  "token",
  "apikey",
  "api-key",
  "api_key",
  "redacted",
  "hidden",
  "none",
  "null",
  "nil",
  "unset",
  "undefined",
]);

const B64 = "A-Za-z0-9+/";
const BENIGN_PATTERNS: readonly RegExp[] = [
  // paths and file references
  // (a base64 blob that happens to start with "/", e.g. a WireGuard key, is not a path)
  /^\/(?![A-Za-z0-9+/]{20,}={1,2}$)\S*$/,
  /^\.{1,2}\/\S*$/,
  /^~\/\S*$/,
  /^file:\/{0,3}\S+$/,
  /^[A-Za-z0-9_.@-]{1,128}:\/(?!\/)(?![A-Za-z0-9+/]{20,}={1,2}$)\S*$/,
  // shell / systemd / template references
  /^\$\{?[A-Za-z_][A-Za-z0-9_]{0,127}\}?(?:\/\S*)?$/,
  /^\$\{[^{}]{1,512}\}$/,
  /^\$__(?:file|env)\{[^{}]{1,512}\}$/,
  /^%[A-Za-z](?:\/\S*)?$/,
  /^(?:env|ext):[A-Za-z_][A-Za-z0-9_]{0,127}$/,
  /^\{\{[^{}]{1,512}\}\}$/,
  // content hashes
  new RegExp(`^(?:sha1|sha256|sha384|sha512|md5)-[${B64}]{22,86}={0,2}$`),
  /^(?:sha1|sha256|sha384|sha512|md5):[0-9a-f]{32,128}$/,
  /^[0-9a-df-np-sv-z]{52}$/,
  /^[0-9a-df-np-sv-z]{103}$/,
  // SSH public keys and certificates, optionally with options before and a comment after
  /^(?:[^\s]{1,512}\s+)?(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521))-cert-v01@openssh\.com)\s+AAAA[A-Za-z0-9+/]{8,16384}={0,3}(?:\s[^\n]{0,512})?$/,
  // binary-cache public key: name:base64(32 bytes)
  new RegExp(`^[A-Za-z0-9._@+-]{1,128}:[${B64}]{43}=$`),
  // age recipient (bech32; plugin recipients are longer)
  /^age1[02-9ac-hj-np-z]{20,400}$/,
  // already encrypted
  /^ENC\[AES256_GCM,data:/,
  /^-----BEGIN (?:AGE ENCRYPTED FILE|PGP MESSAGE)-----/,
  // public PEM / PGP material
  /^-----BEGIN (?:(?:RSA |EC |DSA )?PUBLIC KEY|CERTIFICATE|X509 CRL|PGP PUBLIC KEY BLOCK|PGP SIGNATURE|SSH SIGNATURE)-----(?![\s\S]*PRIVATE KEY)/,
  // placeholders
  /^<[^<>]{0,200}>$/,
  /^@[A-Za-z0-9_]{1,100}@$/,
  /^(?:[xX]{3,}|\*{3,}|\.{3,}|•{3,}|#{3,})$/,
  /^(?:your|insert|enter|put)[-_ ][\w -]{0,60}$/i,
  /^[\w-]{0,60}[-_ ]here$/i,
];

/**
 * Masks a secret for reports: at most the first 4 characters and the length,
 * e.g. `ghp_…(40 chars)`. Values under 12 characters show no prefix, values
 * under 20 show 2 characters. Lengths count code points.
 */
export function maskSecret(value: string): string {
  const chars = Array.from(value);
  const n = chars.length;
  const keep = n < 12 ? 0 : n < 20 ? 2 : 4;
  const prefix = chars
    .slice(0, keep)
    .map((c) => (/[\s\p{Cc}]/u.test(c) ? "·" : c))
    .join("");
  return `${prefix}…(${n} ${n === 1 ? "char" : "chars"})`;
}

const DURATION = /^\d{1,9}\s?(?:ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?|months?|y|years?)$/i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?$/;
const DOTTED_REFERENCE = /^[A-Za-z_][\w]{0,100}(?:\.[A-Za-z_][\w]{0,100}){1,20}$/;

/**
 * False for values that are references or settings rather than credentials:
 * templates (`%env(X)%`, `{{ x }}`, `!secret x`, `!rbw get x`, `@PASSWORD@`),
 * durations (`1 hour`), IP addresses and IPv6 tokens, hash scheme names
 * (`{ARGON2}`), code references (`process.env.X`), and the *name* of a secret
 * (`gmaps-api-key`, an entry in a password manager).
 */
function looksLikeValueNotReference(v: string): boolean {
  const c = v[0];
  if (c === "%" || c === "!" || c === "@" || c === "<" || v.startsWith("{{")) return false;
  if (DURATION.test(v) || IPV4.test(v) || (v.includes("::") && /^[0-9a-f:./]+$/i.test(v))) return false;
  if (/^\{[A-Z0-9-]{1,40}\}$/.test(v)) return false;
  if (DOTTED_REFERENCE.test(v) && !/\d{3}/.test(v)) return false;
  if (/^[a-z0-9]+(?:[-_][a-z0-9]+)+$/.test(v) && isSecretLikeName(v)) return false;
  return true;
}

/** Literal values under a secret-like name that are configuration keywords, not credentials. */
const CONFIG_KEYWORDS = new Set([
  "true",
  "false",
  "yes",
  "no",
  "on",
  "off",
  "auto",
  "default",
  "enabled",
  "disabled",
  "required",
  "optional",
  "sufficient",
  "requisite",
  "plain",
  "login",
  "trust",
  "peer",
  "ident",
  "reject",
  "md5",
  "scram-sha-256",
  "basic",
  "digest",
  "bearer",
  "oauth",
  "oauth2",
  "oauthbearer",
  "xoauth2",
  "cram-md5",
  "ntlm",
  "kerberos",
  "gssapi",
  "ldap",
  "pam",
  "internal",
  "external",
  "prompt",
  "starttls",
  "builtin",
  "inherit",
  "anonymous",
]);

/** Minimum length of a literal under a secret-like name that is reported (`hunter2` is 7). */
const MIN_LITERAL_SECRET_LENGTH = 6;

/**
 * For the "secret-like attribute holds a literal" rule: true when `value`
 * plausibly is the credential itself. Anything `detectSecrets` recognises is a
 * secret; otherwise the value must not be benign (see `isBenignValue`), must be
 * at least 6 characters, and must not be a configuration keyword (`true`,
 * `plain`, `scram-sha-256`, …), an environment-variable name (`GITHUB_TOKEN`),
 * a shell expansion (`$…`), a URL without credentials, or prose (more than six words).
 */
export function looksLikeLiteralSecret(value: string): boolean {
  if (detectSecrets(value).length > 0) return true;
  const v = value.trim();
  // Several lines are a file or a script, and `!secret name` is a Home Assistant / zigbee2mqtt reference.
  if (v.includes("\n") || v.startsWith("!secret ")) return false;
  if (isBenignValue(v)) return false;
  if (v.length < MIN_LITERAL_SECRET_LENGTH) return false;
  if (CONFIG_KEYWORDS.has(v.toLowerCase())) return false;
  if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(v)) return false;
  if (v.startsWith("$") || v.includes("${") || v.includes("$(")) return false;
  if (!looksLikeValueNotReference(v)) return false;
  if (/^[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s@]*$/.test(v)) return false;
  if (v.split(/\s+/).length > 6) return false;
  return true;
}

/** See isSecretLikeNameUncached. */
export const isSecretLikeName: (attrName: string) => boolean = memoized((n) => isSecretLikeNameUncached(n));
/** See isHashLikeNameUncached. */
export const isHashLikeName: (name: string) => boolean = memoized((n) => isHashLikeNameUncached(n));
/** See isPublicKeyNameUncached. */
export const isPublicKeyName: (name: string) => boolean = memoized((n) => isPublicKeyNameUncached(n));
