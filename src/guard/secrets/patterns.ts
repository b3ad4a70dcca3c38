/**
 * Pattern-based secret detection for `hostplane guard`.
 *
 * `detectSecrets(text)` scans the literal content of one Nix string fragment
 * (or one nix.conf line) and returns the offsets of credential-shaped values.
 * It is pure (no I/O) and is called on every string of large trees, so:
 *
 *  - a single combined "trigger" regex gates all detectors: strings with no
 *    distinctive prefix or label cost one linear regex scan and nothing else;
 *  - only the detectors whose trigger fired run, each over the whole text once;
 *  - every regex is linear: each token regex starts with a literal prefix
 *    behind a one-character negative lookbehind (so a run of token characters
 *    is attempted at most once), repetition counts are bounded, and no
 *    quantified group contains alternatives that can match the same text.
 *
 * WireGuard private keys are deliberately not detected here: they are 44-char
 * base64 with no prefix, indistinguishable from WireGuard public keys. Callers
 * decide by attribute name and may use `isWireGuardKeyShaped`.
 */
import type { RuleMeta } from "../rule-meta.js";

export interface SecretMatch {
  ruleId: string;
  /** Offsets into the scanned text (UTF-16 code units), half-open, covering only the secret value. */
  start: number;
  end: number;
}

// ---------------------------------------------------------------------------
// Rule metadata
// ---------------------------------------------------------------------------

/** Joins parts so that no credential-shaped literal appears verbatim in this source file. */
const j = (...parts: string[]): string => parts.join("");

const RUNTIME_HELP =
  "Anything written in a Nix expression is copied into the world-readable /nix/store and stays in git history. " +
  "Revoke or rotate the credential, then deliver it at runtime: encrypt it with sops-nix or agenix and point the " +
  "module at the decrypted file through its `…File` option (e.g. `passwordFile`, `tokenFile`, `environmentFile`, " +
  "or systemd `LoadCredential`).";

const GOOD_TOKEN_FILE = [
  "# secrets/token.age is encrypted; agenix decrypts it to /run/agenix/ at activation",
  "age.secrets.api-token.file = ./secrets/token.age;",
  "services.example.tokenFile = config.age.secrets.api-token.path;",
].join("\n");

const GOOD_ENV_FILE = [
  "sops.secrets.\"example.env\" = { };",
  "# the file contains KEY=value lines and is read by systemd at start-up",
  "systemd.services.example.serviceConfig.EnvironmentFile = config.sops.secrets.\"example.env\".path;",
].join("\n");

function secretRule(name: string, title: string, what: string, bad: string, good: string = GOOD_TOKEN_FILE): RuleMeta {
  return {
    id: `secret/${name}`,
    category: "secret",
    severity: "error",
    title,
    help: `${what} ${RUNTIME_HELP}`,
    bad,
    good,
  };
}

const F = "FAKE";
const FAKE16 = F.repeat(4);

export const SECRET_RULES: RuleMeta[] = [
  secretRule(
    "aws-access-key",
    "AWS access key ID in a Nix string",
    "An AWS access key ID (AKIA…/ASIA…) is half of an AWS credential pair and is almost always committed together with its secret key.",
    j('environment.variables.AWS_ACCESS_KEY_ID = "', "AK", "IA", FAKE16, '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "aws-secret-key",
    "AWS secret access key in a Nix string",
    "A 40-character value labelled aws_secret_access_key / SecretAccessKey grants the permissions of its AWS IAM principal.",
    j("environment.etc.\"aws/credentials\".text = ''\n  [default]\n  aws_secret_access_key = ", F.repeat(10), "\n'';"),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "gcp-api-key",
    "Google API key in a Nix string",
    "Google API keys (AIza…) are billed to their project and often unrestricted.",
    j('services.example.settings.maps_key = "', "AI", "za", F.repeat(8), 'FAK";'),
  ),
  secretRule(
    "gcp-service-account",
    "Google Cloud service-account private key in a Nix string",
    "A service-account JSON key file embeds an RSA private key that authenticates as the service account.",
    j(
      "environment.etc.\"gcp-sa.json\".text = ''\n",
      '  { "type": "service_account", "private_key": "-----BEGIN ',
      "PRIVATE KEY-----\\n",
      F.repeat(16),
      "\\n-----END PRIVATE KEY-----\\n\" }\n'';",
    ),
    j(
      "age.secrets.gcp-sa.file = ./secrets/gcp-sa.json.age;\n",
      "systemd.services.example.environment.GOOGLE_APPLICATION_CREDENTIALS = \"%d/gcp-sa\";\n",
      "systemd.services.example.serviceConfig.LoadCredential = \"gcp-sa:${config.age.secrets.gcp-sa.path}\";",
    ),
  ),
  secretRule(
    "azure-key",
    "Azure storage account key or shared access key in a Nix string",
    "AccountKey= / SharedAccessKey= values in Azure connection strings give full access to the storage account or namespace.",
    j('services.example.connectionString = "DefaultEndpointsProtocol=https;AccountName=fake;Account', "Key=", F.repeat(21), 'FA==";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "github-token",
    "GitHub token in a Nix string",
    "GitHub personal access, OAuth, app and refresh tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_) act as the user or app that owns them.",
    j('nix.settings.access-tokens = [ "github.com=', "gh", "p_", F.repeat(9), '" ];'),
    "sops.secrets.nix-access-tokens = { };\n# file contents: access-tokens = github.com=…\nnix.extraOptions = \"!include ${config.sops.secrets.nix-access-tokens.path}\";",
  ),
  secretRule(
    "gitlab-token",
    "GitLab token in a Nix string",
    "GitLab personal, runner, deploy and trigger tokens (glpat-, glrt-, gldt-, glptt-, …) grant API or runner access.",
    j('services.example.runnerToken = "', "gl", "rt-", F.repeat(6), '";'),
    "services.gitlab-runner.services.default.authenticationTokenConfigFile = config.age.secrets.runner.path;",
  ),
  secretRule(
    "slack-token",
    "Slack token in a Nix string",
    "Slack bot, user and app tokens (xoxb-, xoxp-, xapp-, …) can read and post in the workspace.",
    j('services.example.slackToken = "', "xo", "xb-", "0000000000-", F.repeat(6), '";'),
  ),
  secretRule(
    "slack-webhook",
    "Slack incoming-webhook URL in a Nix string",
    "Anyone holding a Slack webhook URL can post into its channel.",
    j('services.example.webhookUrl = "https://hooks.', "slack.com/services/", "TFAKE0000/BFAKE0000/", F.repeat(6), '";'),
  ),
  secretRule(
    "discord-token",
    "Discord bot token in a Nix string",
    "A Discord bot token logs in as the bot with all of its permissions.",
    j('services.example.discordToken = "', "MT", "FAKE".repeat(6), ".FAKEAB.", F.repeat(8), '";'),
  ),
  secretRule(
    "discord-webhook",
    "Discord webhook URL in a Nix string",
    "Anyone holding a Discord webhook URL can post into its channel.",
    j('services.example.webhookUrl = "https://discord.', "com/api/webhooks/", "000000000000000000/", F.repeat(16), '";'),
  ),
  secretRule(
    "stripe-key",
    "Stripe secret, restricted or webhook key in a Nix string",
    "Stripe secret (sk_live_, sk_test_), restricted (rk_…) and webhook-signing (whsec_) keys act on the Stripe account.",
    j('services.example.stripeKey = "', "sk", "_live_", F.repeat(6), '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "twilio-key",
    "Twilio API key or auth token in a Nix string",
    "Twilio API keys (SK…) and auth tokens send messages and place calls billed to the account.",
    j('environment.variables.TWILIO_AUTH_TOKEN = "', "deadbeef", "deadbeef".repeat(3), '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "sendgrid-key",
    "SendGrid API key in a Nix string",
    "SendGrid API keys (SG.…) send mail as the account.",
    j('services.example.smtpPassword = "', "SG", ".", "FAKE".repeat(5), "FA.", F.repeat(10), 'FAK";'),
  ),
  secretRule(
    "npm-token",
    "npm access token in a Nix string",
    "npm tokens (npm_…) can publish packages as their owner.",
    j('environment.etc.npmrc.text = "//registry.npmjs.org/:_authToken=', "np", "m_", F.repeat(9), '";'),
  ),
  secretRule(
    "pypi-token",
    "PyPI API token in a Nix string",
    "PyPI API tokens (pypi-AgE…) can upload releases of the projects they are scoped to.",
    j('environment.variables.TWINE_PASSWORD = "', "py", "pi-AgEI", F.repeat(14), '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "dockerhub-token",
    "Docker Hub access token in a Nix string",
    "Docker Hub personal and organisation access tokens (dckr_pat_, dckr_oat_) push and pull images as their owner.",
    j('virtualisation.oci-containers.containers.app.login.password = "', "dc", "kr_pat_", F.repeat(7), '";'),
    "virtualisation.oci-containers.containers.app.login.passwordFile = config.age.secrets.dockerhub.path;",
  ),
  secretRule(
    "openai-key",
    "OpenAI API key in a Nix string",
    "OpenAI API keys (sk-…, sk-proj-…) are billed to their organisation.",
    j('services.example.openaiKey = "', "sk", "-proj-", F.repeat(10), '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "anthropic-key",
    "Anthropic API key in a Nix string",
    "Anthropic API keys (sk-ant-…) are billed to their organisation.",
    j('services.example.anthropicKey = "', "sk", "-ant-api03-", F.repeat(22), '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "vault-token",
    "HashiCorp Vault token in a Nix string",
    "Vault service, batch and recovery tokens (hvs., hvb., hvr.) carry the policies of whoever created them.",
    j('environment.variables.VAULT_TOKEN = "', "hv", "s.", F.repeat(7), '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "tailscale-key",
    "Tailscale auth key or API key in a Nix string",
    "Tailscale auth keys (tskey-auth-…) join machines to the tailnet; API and OAuth client keys administer it.",
    j('services.tailscale.authKey = "', "ts", "key-auth-", "kFAKE0CNTRL-", F.repeat(8), '";'),
    "services.tailscale.authKeyFile = config.age.secrets.tailscale-authkey.path;",
  ),
  secretRule(
    "digitalocean-token",
    "DigitalOcean token in a Nix string",
    "DigitalOcean personal access, OAuth and refresh tokens (dop_v1_, doo_v1_, dor_v1_) manage the account's resources.",
    j('environment.variables.DIGITALOCEAN_TOKEN = "', "do", "p_v1_", "deadbeef".repeat(8), '";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "heroku-key",
    "Heroku API key in a Nix string",
    "Heroku API keys (HRKU-… or a UUID labelled heroku) control the account's apps.",
    j('environment.variables.HEROKU_API_KEY = "', "HR", "KU-AA", F.repeat(14), 'FA";'),
    GOOD_ENV_FILE,
  ),
  secretRule(
    "cloudflare-token",
    "Cloudflare API token or key in a Nix string",
    "Values labelled CLOUDFLARE_API_TOKEN / CF_DNS_API_TOKEN / CLOUDFLARE_API_KEY control DNS zones (and often more) of the account.",
    j("environment.etc.\"acme.env\".text = ''\n  CF_DNS", "_API_TOKEN=", F.repeat(10), "\n'';"),
    'security.acme.certs."example.org".environmentFile = config.age.secrets.acme-cloudflare.path;',
  ),
  secretRule(
    "private-key",
    "Private key (PEM, OpenSSH or PGP) in a Nix string",
    "A PEM / OpenSSH / PGP private key block authenticates or decrypts as its owner, and a key in the store is readable by every local user.",
    j("environment.etc.\"ssl/private/site.key\".text = ''\n  -----BEGIN ", "PRIVATE KEY-----\n  ", F.repeat(16), "\n  -----END PRIVATE KEY-----\n'';"),
    'services.nginx.virtualHosts."example.org".sslCertificateKey = config.age.secrets.site-key.path;',
  ),
  secretRule(
    "age-secret-key",
    "age identity (secret key) in a Nix string",
    "An age identity (AGE-SECRET-KEY-1…) decrypts every secret encrypted to its recipient, so committing it defeats agenix/sops.",
    j('environment.etc."age/key.txt".text = "', "AGE-SECRET", "-KEY-1", "QQQQQQQQQQ".repeat(5), 'QQQQQQQQ";'),
    'sops.age.keyFile = "/var/lib/sops-nix/key.txt"; # created on the host, never committed',
  ),
  secretRule(
    "nix-signing-key",
    "Nix binary-cache signing secret key in a Nix string",
    "A binary-cache secret key (name-N: followed by 88 base64 characters) lets its holder sign store paths that every machine trusting the cache will install. Public keys (44 base64 characters) are fine to commit.",
    j('environment.etc."nix/cache-key.sec".text = "cache.example.org-1:', "FAKE".repeat(21), 'FA==";'),
    "nix.settings.secret-key-files = [ config.age.secrets.cache-signing-key.path ];",
  ),
  secretRule(
    "jwt",
    "JSON Web Token in a Nix string",
    "A JWT (eyJ….eyJ….signature) is a bearer credential: whoever holds it is authenticated until it expires, and service tokens often never expire.",
    j('services.example.apiToken = "', "ey", "JGAKE0000000.", "ey", "JGAKE0000000.", F.repeat(5), '";'),
  ),
  secretRule(
    "grafana-token",
    "Grafana service-account or Cloud token in a Nix string",
    "Grafana service-account tokens (glsa_…) and Grafana Cloud tokens (glc_…) act with the account's role on the instance or the whole Cloud stack.",
    j('services.example.grafanaToken = "', "gl", "sa_", "FAKEfake".repeat(4), "_0a1b2c3d", '";'),
  ),
  secretRule(
    "url-query-token",
    "Credential in a URL query parameter",
    "A URL such as https://host/api?auth_token=… or ?api_key=… carries the credential in clear text, and URLs are logged by proxies and servers.",
    j('services.example.endpoint = "https://grafana.example.org/d/x?auth_token=', "Fk3Lm9Qz7Rt2Vw8Xy4", '";'),
    'services.example.endpoint = "https://grafana.example.org/d/x";  # token sent from a runtime file',
  ),
  secretRule(
    "url-password",
    "URL or connection string with an embedded password",
    "A scheme://user:password@host URL (database DSNs, AMQP/Redis URLs, HTTP basic auth) carries the password in clear text.",
    j('services.example.databaseUrl = "postgres://app:', "fake-Passw0rd", '@db.internal/app";'),
    [
      "# keep the password out of the URL and let the service read it from a file",
      'services.example.databaseUrl = "postgres://app@db.internal/app";',
      "services.example.databasePasswordFile = config.age.secrets.db-password.path;",
    ].join("\n"),
  ),
  {
    id: "secret/crypt-hash",
    category: "secret",
    severity: "warning",
    title: "crypt(3) password hash in a Nix string",
    help:
      "Password hashes ($y$, $6$, $5$, $2b$, $argon2id$, $1$ …) in a Nix expression end up world-readable in /nix/store " +
      "and in git history, where they can be cracked offline (see nixpkgs#165858). Put the hash in an encrypted sops-nix or " +
      "agenix secret and use `hashedPasswordFile` (with `neededForUsers = true` for user passwords).",
    bad: j('users.users.alice.hashedPassword = "', "$6$", "fakesalt$", F.repeat(21), 'FA";'),
    good: [
      "sops.secrets.alice-password.neededForUsers = true;",
      "users.users.alice.hashedPasswordFile = config.sops.secrets.alice-password.path;",
    ].join("\n"),
  },
  {
    id: "secret/literal-credential",
    category: "secret",
    severity: "error",
    title: "Password- or token-like attribute set to a literal value",
    help:
      "An attribute whose name says it holds a credential (password, token, secret, apiKey, psk, …) is set to a literal " +
      `string, so the credential is in the Nix source and the store. ${RUNTIME_HELP}`,
    bad: 'systemd.services.backup.environment.RESTIC_PASSWORD = "correct-horse-battery";',
    good: "services.example.settings.database.passwordFile = config.sops.secrets.db-password.path;",
  },
];

// ---------------------------------------------------------------------------
// Detectors
// ---------------------------------------------------------------------------

interface Detector {
  ruleId: string;
  /** Regex source (no capture groups) that must occur somewhere in the text before `find` runs. */
  trigger: string;
  /** Lower wins when two matches overlap. Specific token formats are 0, generic shapes are higher. */
  priority: number;
  find(text: string, out: Candidate[]): void;
}

interface Candidate extends SecretMatch {
  priority: number;
}

interface RegexDetectorOptions {
  /** Capture group holding the secret; the whole match when absent. The regex must then have the `d` flag. */
  group?: number;
  priority?: number;
  /** Return true to drop a match (placeholders, documentation examples). */
  reject?: (value: string) => boolean;
  /** Trailing characters to trim from the match (e.g. a sentence-ending dot). */
  trimTrailing?: string;
}

/** Token bodies that are only x/X/* /. or only zeroes are documentation placeholders, not secrets. */
const PLACEHOLDER_BODY = /^(?:[xX*.]+|0+)$/;

function regexDetector(ruleId: string, trigger: string, re: RegExp, opts: RegexDetectorOptions = {}): Detector {
  if (!re.global) throw new Error(`detector regex for ${ruleId} must be global`);
  if (opts.group !== undefined && !re.hasIndices) throw new Error(`detector regex for ${ruleId} needs the d flag`);
  const priority = opts.priority ?? 0;
  return {
    ruleId,
    trigger,
    priority,
    find(text, out) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        let start = m.index;
        let end = m.index + m[0].length;
        if (opts.group !== undefined) {
          const span = m.indices?.[opts.group];
          if (span === undefined) continue;
          [start, end] = span;
        }
        if (opts.trimTrailing !== undefined) {
          while (end > start && opts.trimTrailing.includes(text.charAt(end - 1))) end--;
        }
        const value = text.slice(start, end);
        if (opts.reject?.(value) === true) continue;
        out.push({ ruleId, start, end, priority });
      }
    },
  };
}

/** Rejects a prefixed token whose body after `prefixLength` characters is an obvious placeholder. */
const placeholderAfter =
  (prefixLength: number) =>
  (value: string): boolean =>
    PLACEHOLDER_BODY.test(value.slice(prefixLength));

/** Separator between a label and its value: `=`, `:`, `=>`, JSON `": "`, with optional quotes and spaces. */
const SEP = String.raw`["']?[ \t]{0,8}(?:=>?|:)[ \t]{0,8}["']?`;

/** Passwords in URLs and labelled values that are placeholders or references, not secrets. */
const PLACEHOLDER_WORDS = new Set([
  "password",
  "passwd",
  "pass",
  "pw",
  "pwd",
  "secret",
  "token",
  "changeme",
  "change-me",
  "change_me",
  "replaceme",
  "replace-me",
  "replace_me",
  "placeholder",
  "example",
  "dummy",
  "redacted",
  "hidden",
  "todo",
  "fixme",
  "yourpassword",
  "your-password",
  "your_password",
  "mypassword",
]);

/** True for a URL password that is a placeholder or a reference: `$VAR`, `${…}`, `<…>`, `***`, `xxx`, `{{…}}`, common words. */
function isPlaceholderPassword(pw: string): boolean {
  if (pw.length === 0) return true;
  const c = pw.charAt(0);
  if (c === "$" || c === "<" || c === "{") return true;
  if (/^(?:[xX]+|\*+|\.+)$/.test(pw)) return true;
  return PLACEHOLDER_WORDS.has(pw.toLowerCase());
}

// --- PEM / PGP private keys -------------------------------------------------

const PEM_HEADER = /-----BEGIN ((?:[A-Z0-9]{1,20} ){0,3})PRIVATE KEY( BLOCK)?-----/g;
const BASE64_RUN = /[A-Za-z0-9+/]{40}/;
const GCP_LABEL_BEFORE = /"private_key"[ \t]{0,8}:[ \t]{0,8}"?[ \t]{0,8}$/;
/** Characters of a PEM body line: base64 and padding. */
const PEM_BODY_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") PEM_BODY_CHAR[c.charCodeAt(0)] = 1;

/**
 * End of a PEM body without an END line: the following whole lines made of base64
 * (optionally indented; real or JSON-escaped newlines); a line holding anything
 * else ends the body before it.
 */
function pemBodyEnd(text: string, from: number): number {
  let end = from;
  let lineEnd = from;
  let lineStart = true;
  for (let pos = from; pos < text.length; pos++) {
    const c = text.charCodeAt(pos);
    if (c === 10 || c === 13) {
      end = lineEnd;
      lineStart = true;
    } else if (c === 92 && (text.charAt(pos + 1) === "n" || text.charAt(pos + 1) === "r")) {
      // a JSON-escaped newline
      end = lineEnd;
      lineStart = true;
      pos++;
    } else if ((c === 32 || c === 9) && lineStart) {
      // indentation
    } else if (c < 128 && PEM_BODY_CHAR[c] === 1) {
      lineStart = false;
      lineEnd = pos + 1;
    } else {
      return end;
    }
  }
  return lineEnd;
}

const pemDetector: Detector = {
  ruleId: "secret/private-key",
  trigger: String.raw`-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY`,
  priority: 0,
  find(text, out) {
    PEM_HEADER.lastIndex = 0;
    // Cache of the last END search: headers come in increasing order, so the
    // indexOf calls scan the text at most once in total.
    let cachedFrom = -1;
    let cachedEnd = -1;
    const nextEnd = (from: number): number => {
      if (cachedFrom !== -1 && from >= cachedFrom && (cachedEnd === -1 || cachedEnd >= from)) return cachedEnd;
      cachedFrom = from;
      cachedEnd = text.indexOf("-----END ", from);
      return cachedEnd;
    };
    let m: RegExpExecArray | null;
    while ((m = PEM_HEADER.exec(text)) !== null) {
      const start = m.index;
      const headerEnd = start + m[0].length;
      const endFound = nextEnd(headerEnd);
      let end = -1;
      if (endFound !== -1) {
        const nextHeader = text.indexOf("-----BEGIN ", headerEnd);
        if (nextHeader === -1 || nextHeader > endFound) {
          const footerClose = text.slice(endFound + 9, endFound + 89).indexOf("-----");
          if (footerClose !== -1 && BASE64_RUN.test(text.slice(headerEnd, endFound))) end = endFound + 9 + footerClose + 5;
        }
      }
      if (end === -1) {
        // No END line (truncated or split by interpolation): require key material right after the header.
        const window = text.slice(headerEnd, headerEnd + 1024);
        if (!BASE64_RUN.test(window)) continue;
        end = pemBodyEnd(text, headerEnd);
      }
      const before = text.slice(Math.max(0, start - 40), start);
      const ruleId = GCP_LABEL_BEFORE.test(before) ? "secret/gcp-service-account" : "secret/private-key";
      out.push({ ruleId, start, end, priority: 0 });
      PEM_HEADER.lastIndex = Math.max(PEM_HEADER.lastIndex, end);
    }
  },
};

// --- Nix binary-cache signing secret keys -------------------------------------

const NIX_SECRET_KEY = /:[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])/g;
const NIX_KEY_NAME_CHAR = /[A-Za-z0-9._@+-]/;
const NIX_KEY_BEFORE_NAME = /[\s"'=,;[({]/;

const nixSigningKeyDetector: Detector = {
  ruleId: "secret/nix-signing-key",
  trigger: "==",
  priority: 1,
  find(text, out) {
    NIX_SECRET_KEY.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = NIX_SECRET_KEY.exec(text)) !== null) {
      const colon = m.index;
      let start = colon;
      while (start > 0 && colon - start < 128 && NIX_KEY_NAME_CHAR.test(text.charAt(start - 1))) start--;
      if (start === colon) continue;
      if (start > 0 && !NIX_KEY_BEFORE_NAME.test(text.charAt(start - 1))) continue;
      out.push({ ruleId: "secret/nix-signing-key", start, end: colon + m[0].length, priority: 1 });
    }
  },
};

// --- Table of regex detectors ---------------------------------------------------

const B64URL = "A-Za-z0-9_-";

const DETECTORS: Detector[] = [
  regexDetector(
    "secret/aws-access-key",
    "A(?:KIA|SIA|BIA|CCA|3T)",
    /(?<![A-Za-z0-9/+])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}(?![A-Za-z0-9/+])/g,
    // AWS documentation uses AKIAIOSFODNN7EXAMPLE; never a real key.
    { reject: (v) => v.endsWith("EXAMPLE") },
  ),
  regexDetector(
    "secret/aws-secret-key",
    "[Ss]ecret[_-]?[Aa]ccess|SECRET_ACCESS|[Aa]ws[_-]?[Ss]ecret|AWS_SECRET",
    new RegExp(
      String.raw`(?<![A-Za-z0-9])(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)${SEP}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      "gid",
    ),
    { group: 1, reject: (v) => v.includes("EXAMPLE") },
  ),
  regexDetector("secret/gcp-api-key", "AIza", /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g),
  regexDetector(
    "secret/azure-key",
    "AccountKey=|SharedAccessKey=",
    /(?<![A-Za-z0-9])AccountKey=([A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])/dg,
    { group: 1 },
  ),
  regexDetector("secret/azure-key", "AccountKey=|SharedAccessKey=", /(?<![A-Za-z0-9])SharedAccessKey=([A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])/dg, {
    group: 1,
  }),
  regexDetector(
    "secret/github-token",
    "gh[pousr]_|github_pat_",
    /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{80,251})/g,
    { reject: (v) => PLACEHOLDER_BODY.test(v.slice(v.startsWith("github_pat_") ? 11 : 4)) },
  ),
  regexDetector(
    "secret/gitlab-token",
    "gl(?:pat|rt|rtr|dt|ptt|ft|cbt|oas|soat|imt|agent|ffct|wt)-|GR1348941",
    /(?<![A-Za-z0-9_-])(?:gl(?:pat|rt|rtr|dt|ptt|ft|cbt|oas|soat|imt|agent|ffct|wt)-[A-Za-z0-9_.-]{20,300}|GR1348941[A-Za-z0-9_-]{20,64})/g,
    { trimTrailing: ".", reject: (v) => PLACEHOLDER_BODY.test(v.slice(v.indexOf("-") + 1)) },
  ),
  regexDetector(
    "secret/slack-token",
    String.raw`xox[abeoprs]-|xapp-\d`,
    /(?<![A-Za-z0-9])(?:xox[abeoprs]-[0-9]{1,20}-[A-Za-z0-9-]{8,250}|xapp-\d-[A-Za-z0-9-]{20,250})/g,
  ),
  regexDetector(
    "secret/slack-webhook",
    String.raw`hooks\.slack\.com/`,
    /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/+-]{20,200}/g,
  ),
  regexDetector(
    "secret/discord-webhook",
    String.raw`discord(?:app)?\.com/api/`,
    new RegExp(
      String.raw`(?:https?://)?(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v\d{1,2}/)?webhooks/\d{5,30}/[${B64URL}]{30,100}`,
      "g",
    ),
  ),
  regexDetector(
    "secret/discord-token",
    String.raw`[MNO][DTjz][A-Za-z0-9_-]{21,26}\.`,
    new RegExp(
      String.raw`(?<![${B64URL}])[MNO][DTjz][${B64URL}]{21,26}\.[${B64URL}]{6,7}\.[${B64URL}]{27,40}(?![${B64URL}])`,
      "g",
    ),
  ),
  regexDetector(
    "secret/stripe-key",
    "[sr]k_(?:live|test)_|whsec_",
    /(?<![A-Za-z0-9_])(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9+/=]{32,100})/g,
    { reject: (v) => PLACEHOLDER_BODY.test(v.slice(v.startsWith("whsec_") ? 6 : 8)) },
  ),
  regexDetector("secret/twilio-key", "SK[0-9a-f]{32}", /(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])/g),
  regexDetector(
    "secret/twilio-key",
    "[Tt]wilio|TWILIO",
    new RegExp(String.raw`(?<![A-Za-z0-9])twilio[_-]?(?:auth[_-]?token|api[_-]?secret)${SEP}([A-Za-z0-9]{32})(?![A-Za-z0-9])`, "gid"),
    { group: 1 },
  ),
  regexDetector(
    "secret/sendgrid-key",
    String.raw`SG\.`,
    new RegExp(String.raw`(?<![${B64URL}])SG\.[${B64URL}]{22}\.[${B64URL}]{43}(?![${B64URL}])`, "g"),
  ),
  regexDetector("secret/npm-token", "npm_", /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g, {
    reject: placeholderAfter(4),
  }),
  regexDetector("secret/pypi-token", "pypi-AgE", new RegExp(String.raw`(?<![${B64URL}])pypi-AgE[IN][${B64URL}]{50,1000}`, "g")),
  regexDetector("secret/dockerhub-token", "dckr_", new RegExp(String.raw`(?<![${B64URL}])dckr_(?:pat|oat)_[${B64URL}]{20,100}`, "g"), {
    reject: placeholderAfter(9),
  }),
  regexDetector(
    "secret/openai-key",
    "sk-",
    /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,300}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?![A-Za-z0-9_-])|[A-Za-z0-9]{48}(?![A-Za-z0-9_-]))/g,
    { reject: (v) => PLACEHOLDER_BODY.test(v.replace(/^sk-(?:proj-|svcacct-|admin-)?/, "")) },
  ),
  regexDetector(
    "secret/anthropic-key",
    "sk-",
    /(?<![A-Za-z0-9_-])sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{32,300}/g,
    { reject: (v) => PLACEHOLDER_BODY.test(v.slice(v.indexOf("-", 7) + 1)) },
  ),
  regexDetector("secret/vault-token", String.raw`hv[sbr]\.`, /(?<![A-Za-z0-9_.-])hv[sbr]\.[A-Za-z0-9_-]{24,300}/g, {
    reject: placeholderAfter(4),
  }),
  regexDetector(
    "secret/tailscale-key",
    "tskey-",
    /(?<![A-Za-z0-9_-])tskey-(?:[a-z]{3,10}-)?[A-Za-z0-9]{6,64}-[A-Za-z0-9]{16,128}/g,
    { reject: (v) => PLACEHOLDER_BODY.test(v.slice(v.lastIndexOf("-") + 1)) },
  ),
  regexDetector("secret/digitalocean-token", "do[opr]_v1_", /(?<![A-Za-z0-9_])do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])/g),
  regexDetector(
    "secret/heroku-key",
    "HRKU-",
    /(?<![A-Za-z0-9_-])HRKU-(?:AA[A-Za-z0-9_-]{58}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![A-Za-z0-9_-])/g,
  ),
  regexDetector(
    "secret/heroku-key",
    "[Hh]eroku|HEROKU",
    new RegExp(
      String.raw`(?<![A-Za-z0-9])heroku[A-Za-z0-9_-]{0,24}${SEP}([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![A-Za-z0-9-])`,
      "gid",
    ),
    { group: 1 },
  ),
  regexDetector(
    "secret/cloudflare-token",
    "[Cc]loudflare|CLOUDFLARE|CF_|cf_",
    new RegExp(
      String.raw`(?<![A-Za-z0-9])(?:cloudflare|cf)[_-]?(?:(?:dns|zone)[_-]?)?(?:api[_-]?)?(?:token|key)${SEP}([A-Za-z0-9_-]{37,40})(?![A-Za-z0-9_-])`,
      "gid",
    ),
    { group: 1, reject: (v) => PLACEHOLDER_BODY.test(v) },
  ),
  pemDetector,
  regexDetector(
    "secret/age-secret-key",
    "AGE-SECRET-KEY-1|age-secret-key-1",
    /(?<![A-Za-z0-9-])(?:AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}|age-secret-key-1[02-9ac-hj-np-z]{58})(?![A-Za-z0-9])/g,
  ),
  nixSigningKeyDetector,
  regexDetector(
    "secret/jwt",
    "eyJ",
    /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{16,1024}/g,
    { priority: 1 },
  ),
  regexDetector(
    "secret/grafana-token",
    "glsa_|glc_",
    /(?<![A-Za-z0-9_])(?:glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})(?![A-Za-z0-9_])/g,
  ),
  regexDetector(
    "secret/url-query-token",
    "(?:token|key|secret|password|signature)=",
    /[?&](?:access_token|auth_token|api_?key|apikey|token|secret|client_secret|password|private_token|sig|signature)=([A-Za-z0-9._~%+/-]{16,256})/dgi,
    // A credential mixes letters and digits; words, ${} templates and placeholders are not one.
    { group: 1, priority: 3, reject: (v) => !/[0-9]/.test(v) || !/[A-Za-z]/.test(v) || v.includes("%7B") || isPlaceholderPassword(v) },
  ),
  regexDetector(
    "secret/url-password",
    "://",
    /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,31}:\/\/[^\s:/?#@"'<>`]{0,256}:([^\s/?#@"'<>`]{1,512})@/dg,
    { group: 1, priority: 2, reject: isPlaceholderPassword },
  ),
  regexDetector(
    "secret/crypt-hash",
    String.raw`\$(?:g?y|[12567]|2[abxy]|argon2[di]{1,2}|pbkdf2-sha\d{1,3})\$`,
    new RegExp(
      [
        String.raw`(?<![A-Za-z0-9./$])\$(?:`,
        // yescrypt / gost-yescrypt: $y$params$salt$hash
        String.raw`g?y\$[./A-Za-z0-9]{1,32}\$[./A-Za-z0-9]{1,86}\$[./A-Za-z0-9]{43}`,
        // scrypt: $7$params+salt$hash
        String.raw`|7\$[./A-Za-z0-9]{11,100}\$[./A-Za-z0-9]{43}`,
        // sha512-crypt / sha256-crypt
        String.raw`|[56]\$(?:rounds=\d{1,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}`,
        // md5-crypt
        String.raw`|1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}`,
        // bcrypt
        String.raw`|2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}`,
        // argon2
        String.raw`|argon2(?:id|i|d)\$(?:v=\d{1,3}\$)?m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]{8,128}\$[A-Za-z0-9+/]{16,256}`,
        // passlib pbkdf2
        String.raw`|pbkdf2-sha(?:1|256|512)\$\d{1,9}\$[./A-Za-z0-9+]{4,128}\$[./A-Za-z0-9+]{16,256}`,
        String.raw`)(?![./A-Za-z0-9+])`,
      ].join(""),
      "g",
    ),
  ),
];

// --- Trigger index -------------------------------------------------------------

interface TriggerGroup {
  source: string;
  detectors: Detector[];
}

const TRIGGER_GROUPS: TriggerGroup[] = [];
for (const d of DETECTORS) {
  const existing = TRIGGER_GROUPS.find((g) => g.source === d.trigger);
  if (existing) existing.detectors.push(d);
  else TRIGGER_GROUPS.push({ source: d.trigger, detectors: [d] });
}

for (const g of TRIGGER_GROUPS) {
  // a capture group inside a trigger would shift the group numbering used for dispatch
  if (new RegExp(`${g.source}|`).exec("")?.length !== 1) throw new Error(`trigger ${g.source} has a capture group`);
}

/** One alternation of every trigger; capture group i+1 belongs to TRIGGER_GROUPS[i]. */
const PREFILTER = new RegExp(TRIGGER_GROUPS.map((g) => `(${g.source})`).join("|"), "g");

/** The shortest text any detector can match; shorter strings are skipped outright. */
const MIN_SECRET_LENGTH = 8;

/**
 * Finds credential-shaped values in `text`. Matches are sorted by `start` and never overlap;
 * when two detectors claim overlapping text the more specific one wins.
 */
export function detectSecrets(text: string): SecretMatch[] {
  if (text.length < MIN_SECRET_LENGTH) return [];
  PREFILTER.lastIndex = 0;
  let m = PREFILTER.exec(text);
  if (m === null) return [];

  const wanted = new Set<Detector>();
  const groupDone = new Array<boolean>(TRIGGER_GROUPS.length).fill(false);
  let remaining = TRIGGER_GROUPS.length;
  while (m !== null) {
    for (let i = 0; i < TRIGGER_GROUPS.length; i++) {
      if (m[i + 1] !== undefined) {
        if (!groupDone[i]) {
          groupDone[i] = true;
          remaining--;
          for (const d of TRIGGER_GROUPS[i]!.detectors) wanted.add(d);
        }
        break;
      }
    }
    if (remaining === 0) break;
    // Restart one code unit later so triggers that overlap at different offsets are all seen.
    PREFILTER.lastIndex = m.index + 1;
    m = PREFILTER.exec(text);
  }

  const candidates: Candidate[] = [];
  for (const d of DETECTORS) if (wanted.has(d)) d.find(text, candidates);
  return resolveOverlaps(candidates);
}

function resolveOverlaps(candidates: Candidate[]): SecretMatch[] {
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => a.start - b.start || a.priority - b.priority || b.end - a.end);
  const kept: Candidate[] = [];
  for (const c of candidates) {
    const last = kept[kept.length - 1];
    if (last === undefined || c.start >= last.end) {
      kept.push(c);
    } else if (c.priority < last.priority) {
      // `c` starts inside `last` and is more specific; it cannot overlap the one before `last`.
      kept[kept.length - 1] = c;
    }
  }
  return kept.map(({ ruleId, start, end }) => ({ ruleId, start, end }));
}

/**
 * True when `s` has the exact shape of a WireGuard key (private or public): base64 of
 * 32 bytes, i.e. 43 base64 characters whose last one carries 2 zero bits, then `=`.
 */
export function isWireGuardKeyShaped(s: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(s);
}
