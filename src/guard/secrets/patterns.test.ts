/**
 * Tests for the pattern detectors. Every credential-shaped value is assembled at
 * run time from a prefix and a deterministic pseudo-random body, so no literal
 * in this file looks like a real secret to push protection or other scanners.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { detectSecrets, isWireGuardKeyShaped, SECRET_RULES, type SecretMatch } from "./patterns.js";
import { ALNUM, B64, DIGITS, HEX, SeededRandom, UPPER } from "../../../test/harness/random.js";

// --- deterministic fake material -------------------------------------------

const B64URL = ALNUM + "_-";
const AWS_B32 = UPPER + "234567";
const BECH32_UPPER = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
const CRYPT = "./" + ALNUM;

const random = new SeededRandom(0x9e3779b9);
const rand = (alphabet: string, n: number): string => random.string(alphabet, n);
/** Joins parts; used so that prefixes never stand next to their bodies in the source. */
const cat = (...parts: string[]): string => parts.join("");

// --- helpers ------------------------------------------------------------------

function matched(text: string): Array<{ ruleId: string; value: string }> {
  return detectSecrets(text).map((m) => ({ ruleId: m.ruleId, value: text.slice(m.start, m.end) }));
}

/** Asserts that `text` yields exactly one match, of `ruleId`, covering exactly `value`. */
function assertFinds(text: string, ruleId: string, value: string): void {
  assert.deepEqual(matched(text), [{ ruleId, value }], `in ${JSON.stringify(text.slice(0, 200))}`);
}

function assertNone(text: string): void {
  assert.deepEqual(matched(text), [], `in ${JSON.stringify(text.slice(0, 200))}`);
}

function checkRanges(text: string, matches: SecretMatch[]): void {
  let prevEnd = 0;
  for (const m of matches) {
    assert.ok(Number.isInteger(m.start) && Number.isInteger(m.end));
    assert.ok(m.start >= 0 && m.end <= text.length && m.start < m.end, `range ${m.start}-${m.end} of ${text.length}`);
    assert.ok(m.start >= prevEnd, "ranges are sorted and do not overlap");
    assert.ok(m.ruleId.startsWith("secret/"));
    prevEnd = m.end;
  }
}

// --- rule metadata --------------------------------------------------------------

void describe("SECRET_RULES", () => {
  void it("has unique secret/ ids with complete metadata", () => {
    const ids = new Set<string>();
    for (const r of SECRET_RULES) {
      assert.match(r.id, /^secret\/[a-z0-9-]+$/);
      assert.equal(r.category, "secret");
      assert.ok(!ids.has(r.id), `duplicate ${r.id}`);
      ids.add(r.id);
      for (const field of [r.title, r.help, r.bad, r.good]) assert.ok(field.trim().length > 0, r.id);
    }
    assert.ok(ids.has("secret/literal-credential"));
    assert.ok(ids.has("secret/crypt-hash"));
  });

  void it("uses error severity for every credential kind", () => {
    for (const r of SECRET_RULES) if (r.id !== "secret/crypt-hash") assert.equal(r.severity, "error", r.id);
  });

  void it("flags every bad snippet with its own rule and no good snippet", () => {
    for (const r of SECRET_RULES) {
      assertNone(r.good);
      if (r.id === "secret/literal-credential") continue; // detected by attribute name, not by pattern
      assert.ok(
        detectSecrets(r.bad).some((m) => m.ruleId === r.id),
        `${r.id} bad snippet: ${JSON.stringify(matched(r.bad))}`,
      );
    }
  });

  void it("every pattern rule id is produced by some detector", () => {
    const produced = new Set(SECRET_RULES.flatMap((r) => detectSecrets(r.bad).map((m) => m.ruleId)));
    for (const r of SECRET_RULES) if (r.id !== "secret/literal-credential") assert.ok(produced.has(r.id), r.id);
  });
});

// --- detectors --------------------------------------------------------------------

void describe("detectSecrets basics", () => {
  void it("returns nothing for short and ordinary strings", () => {
    for (const s of [
      "",
      "short",
      "hello world, this is a description",
      "https://github.com/NixOS/nixpkgs/archive/abc.tar.gz",
      "/nix/store/0c0fyqn6bn9qvfksf0s1bm2mr2r7fng3-hello-2.12",
      cat("sha256-", rand(B64, 43), "="),
      "exec ${pkgs.foo}/bin/foo --flag \"$@\"",
    ]) {
      assertNone(s);
    }
  });

  void it("reports several secrets in order, without overlap", () => {
    const gh = cat("gh", "p_", rand(ALNUM, 36));
    const npm = cat("np", "m_", rand(ALNUM, 36));
    const text = `A=${gh}\nB=${npm}\n`;
    const found = matched(text);
    assert.deepEqual(found, [
      { ruleId: "secret/github-token", value: gh },
      { ruleId: "secret/npm-token", value: npm },
    ]);
    checkRanges(text, detectSecrets(text));
  });

  void it("prefers the specific token over the generic URL password", () => {
    const gh = cat("gh", "p_", rand(ALNUM, 36));
    assertFinds(`https://x-access-token:${gh}@github.com/org/repo`, "secret/github-token", gh);
  });
});

void describe("AWS", () => {
  void it("finds access key ids", () => {
    for (const prefix of ["AK" + "IA", "AS" + "IA"]) {
      const key = cat(prefix, rand(AWS_B32, 16));
      assertFinds(`aws_access_key_id = ${key}`, "secret/aws-access-key", key);
      assertFinds(`"${key}"`, "secret/aws-access-key", key);
    }
  });
  void it("ignores near misses and the documentation example", () => {
    assertNone(cat("AK", "IA", rand(AWS_B32, 15)));
    assertNone(cat("AK", "IA", rand(AWS_B32, 17)));
    assertNone(cat("x", "AK", "IA", rand(AWS_B32, 16)));
    assertNone(cat("AK", "IA", rand(AWS_B32, 9), "EXA", "MPLE"));
  });
  void it("finds labelled secret access keys", () => {
    const secret = rand(B64, 40);
    assertFinds(`aws_secret_access_key = ${secret}\n`, "secret/aws-secret-key", secret);
    assertFinds(`AWS_SECRET_ACCESS_KEY=${secret}`, "secret/aws-secret-key", secret);
    assertFinds(`{"SecretAccessKey": "${secret}"}`, "secret/aws-secret-key", secret);
  });
  void it("needs the label and the exact length", () => {
    assertNone(`key = ${rand(B64, 40)}`);
    assertNone(`aws_secret_access_key = ${rand(B64, 39)}`);
    assertNone(`aws_secret_access_key = ${rand(B64, 41)}`);
    assertNone(`aws_secret_access_key = ${cat(rand(B64, 30), "EXAMPLEKEY")}`);
  });
});

void describe("Google Cloud", () => {
  void it("finds API keys", () => {
    const key = cat("AI", "za", rand(B64URL, 35));
    assertFinds(`key=${key}&q=1`, "secret/gcp-api-key", key);
  });
  void it("ignores wrong lengths", () => {
    assertNone(cat("AI", "za", rand(B64URL, 34)));
    assertNone(cat("AI", "za", rand(ALNUM, 36)));
  });
  void it("labels a private key inside service-account JSON", () => {
    const pem = cat("-----BEGIN ", "PRIVATE KEY-----\\n", rand(B64, 64), "\\n", rand(B64, 30), "==\\n-----END PRIVATE KEY-----");
    const json = `{"type": "service_account", "private_key_id": "${rand(HEX, 40)}", "private_key": "${pem}\\n", "client_email": "x@y.iam.gserviceaccount.com"}`;
    assertFinds(json, "secret/gcp-service-account", pem);
  });
});

void describe("Azure", () => {
  void it("finds account keys in connection strings", () => {
    const key = cat(rand(B64, 86), "==");
    assertFinds(
      `DefaultEndpointsProtocol=https;AccountName=acct;Account${"Key="}${key};EndpointSuffix=core.windows.net`,
      "secret/azure-key",
      key,
    );
  });
  void it("finds shared access keys", () => {
    const key = cat(rand(B64, 43), "=");
    assertFinds(`Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;Shared${"AccessKey="}${key}`, "secret/azure-key", key);
  });
  void it("ignores short values and other fields", () => {
    assertNone(`Account${"Key="}${rand(B64, 40)}==`);
    assertNone("AccountName=acct;EndpointSuffix=core.windows.net");
  });
});

void describe("GitHub", () => {
  void it("finds every token kind", () => {
    for (const p of ["p", "o", "u", "s", "r"]) {
      const t = cat("gh", p, "_", rand(ALNUM, 36));
      assertFinds(`token ${t} end`, "secret/github-token", t);
    }
    const pat = cat("github", "_pat_", rand(ALNUM, 22), "_", rand(ALNUM, 59));
    assertFinds(`"${pat}"`, "secret/github-token", pat);
  });
  void it("ignores short, unknown-prefix, embedded and placeholder tokens", () => {
    assertNone(cat("gh", "p_", rand(ALNUM, 35)));
    assertNone(cat("gh", "x_", rand(ALNUM, 36)));
    assertNone(cat("a", "gh", "p_", rand(ALNUM, 36)));
    assertNone(cat("gh", "p_", "x".repeat(36)));
  });
});

void describe("GitLab", () => {
  void it("finds personal, runner, deploy and registration tokens", () => {
    for (const p of ["glpat-", "glrt-", "gldt-", "glptt-"]) {
      const t = cat(p.slice(0, 2), p.slice(2), rand(B64URL, 20));
      assertFinds(`x ${t}.`, "secret/gitlab-token", t);
    }
    const reg = cat("GR", "1348941", rand(B64URL, 20));
    assertFinds(reg, "secret/gitlab-token", reg);
  });
  void it("ignores short and placeholder tokens", () => {
    assertNone(cat("gl", "pat-", rand(B64URL, 19)));
    assertNone(cat("gl", "pat-", "x".repeat(20)));
  });
});

void describe("Slack", () => {
  void it("finds bot, user and app tokens", () => {
    const bot = cat("xo", "xb-", rand(DIGITS, 12), "-", rand(DIGITS, 13), "-", rand(ALNUM, 24));
    assertFinds(`SLACK_BOT_TOKEN=${bot}`, "secret/slack-token", bot);
    const user = cat("xo", "xp-", rand(DIGITS, 12), "-", rand(DIGITS, 12), "-", rand(DIGITS, 13), "-", rand(HEX, 32));
    assertFinds(user, "secret/slack-token", user);
    const app = cat("xa", "pp-1-", rand(UPPER + DIGITS, 11), "-", rand(DIGITS, 13), "-", rand(HEX, 64));
    assertFinds(app, "secret/slack-token", app);
  });
  void it("ignores documentation placeholders", () => {
    assertNone(cat("xo", "xb-your-token-here"));
    assertNone(cat("xo", "xz-", rand(DIGITS, 10), "-", rand(ALNUM, 24)));
  });
  void it("finds webhook URLs", () => {
    const url = cat("https://hooks.", "slack.com/services/T", rand(UPPER + DIGITS, 8), "/B", rand(UPPER + DIGITS, 8), "/", rand(ALNUM, 24));
    assertFinds(`url = "${url}"`, "secret/slack-webhook", url);
  });
  void it("ignores other Slack URLs", () => {
    assertNone("https://hooks.slack.com/");
    assertNone("https://api.slack.com/apps/A0000/incoming-webhooks");
  });
});

void describe("Discord", () => {
  void it("finds webhook URLs", () => {
    const url = cat("https://discord.", "com/api/webhooks/", rand(DIGITS, 18), "/", rand(B64URL, 68));
    assertFinds(url, "secret/discord-webhook", url);
    const app = cat("https://canary.discord", "app.com/api/webhooks/", rand(DIGITS, 19), "/", rand(B64URL, 68));
    assertFinds(app, "secret/discord-webhook", app);
  });
  void it("finds bot tokens", () => {
    for (const lead of ["MT", "Nz", "OD"]) {
      const t = cat(lead, rand(B64URL, 22), ".", rand(B64URL, 6), ".", rand(B64URL, 38));
      assertFinds(`token=${t}`, "secret/discord-token", t);
    }
  });
  void it("ignores lookalikes", () => {
    assertNone("https://discord.com/api/v10/users/@me");
    assertNone(cat("MX", rand(B64URL, 22), ".", rand(B64URL, 6), ".", rand(B64URL, 38)));
    assertNone(cat("MT", rand(B64URL, 22), ".", rand(B64URL, 6)));
  });
});

void describe("Stripe, Twilio, SendGrid", () => {
  void it("finds Stripe keys", () => {
    for (const p of ["sk_live_", "rk_live_", "sk_test_", "rk_test_"]) {
      const k = cat(p.slice(0, 3), p.slice(3), rand(ALNUM, 24));
      assertFinds(`"${k}"`, "secret/stripe-key", k);
    }
    const wh = cat("wh", "sec_", rand(ALNUM, 32));
    assertFinds(wh, "secret/stripe-key", wh);
  });
  void it("ignores publishable keys and placeholders", () => {
    assertNone(cat("pk", "_live_", rand(ALNUM, 24)));
    assertNone(cat("sk", "_live_", "x".repeat(24)));
    assertNone(cat("sk", "_live_", rand(ALNUM, 9)));
  });
  void it("finds Twilio API keys and labelled auth tokens", () => {
    const sk = cat("S", "K", rand(HEX, 32));
    assertFinds(sk, "secret/twilio-key", sk);
    const tok = rand(HEX, 32);
    assertFinds(`TWILIO_AUTH_TOKEN=${tok}`, "secret/twilio-key", tok);
  });
  void it("ignores Twilio lookalikes", () => {
    assertNone(cat("S", "K", rand(HEX, 31)));
    assertNone(cat("AS", "K", rand(HEX, 32)));
    assertNone(`auth_token=${rand(HEX, 32)}`);
  });
  void it("finds SendGrid keys", () => {
    const k = cat("S", "G.", rand(B64URL, 22), ".", rand(B64URL, 43));
    assertFinds(k, "secret/sendgrid-key", k);
  });
  void it("ignores SendGrid lookalikes", () => {
    assertNone(cat("S", "G.", rand(B64URL, 21), ".", rand(B64URL, 43)));
    assertNone("SG.example.com is a domain");
  });
});

void describe("package registries", () => {
  void it("finds npm tokens", () => {
    const t = cat("np", "m_", rand(ALNUM, 36));
    assertFinds(`//registry.npmjs.org/:_authToken=${t}`, "secret/npm-token", t);
  });
  void it("ignores npm lookalikes", () => {
    assertNone("npm_config_cache=/tmp/npm-cache-directory");
    assertNone(cat("np", "m_", rand(ALNUM, 35)));
  });
  void it("finds PyPI tokens", () => {
    const t = cat("py", "pi-AgEI", "cHlwaS5vcmc", rand(B64URL, 60));
    assertFinds(`password = ${t}`, "secret/pypi-token", t);
  });
  void it("ignores PyPI lookalikes", () => {
    assertNone("pypi-packages are fetched from pypi.org");
    assertNone(cat("py", "pi-AgEI", rand(B64URL, 20)));
  });
  void it("finds Docker Hub tokens", () => {
    const t = cat("dc", "kr_pat_", rand(B64URL, 27));
    assertFinds(t, "secret/dockerhub-token", t);
  });
  void it("ignores Docker Hub lookalikes", () => {
    assertNone(cat("dc", "kr_pat_", rand(B64URL, 10)));
    assertNone(cat("dc", "kr_pat_", "x".repeat(27)));
  });
});

void describe("AI providers", () => {
  void it("finds OpenAI keys", () => {
    const proj = cat("sk", "-proj-", rand(B64URL, 120));
    assertFinds(`OPENAI_API_KEY=${proj}`, "secret/openai-key", proj);
    const legacy = cat("sk", "-", rand(ALNUM, 20), "T3Blbk", "FJ", rand(ALNUM, 20));
    assertFinds(legacy, "secret/openai-key", legacy);
    const plain = cat("sk", "-", rand(ALNUM, 48));
    assertFinds(plain, "secret/openai-key", plain);
  });
  void it("finds Anthropic keys and does not also report them as OpenAI", () => {
    const k = cat("sk", "-ant-api03-", rand(B64URL, 93), "AA");
    assertFinds(`ANTHROPIC_API_KEY=${k}`, "secret/anthropic-key", k);
  });
  void it("ignores lookalikes", () => {
    assertNone("sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5");
    assertNone(cat("sk", "-", rand(ALNUM, 32)));
    assertNone(cat("sk", "-proj-", "x".repeat(40)));
    assertNone(cat("sk", "-ant-api03-", rand(B64URL, 10)));
  });
});

void describe("infrastructure tokens", () => {
  void it("finds Vault tokens", () => {
    for (const p of ["hvs.", "hvb."]) {
      const t = cat(p.slice(0, 2), p.slice(2), rand(B64URL, 90));
      assertFinds(`VAULT_TOKEN=${t}`, "secret/vault-token", t);
    }
  });
  void it("ignores Vault lookalikes", () => {
    assertNone("see hvs.example.com for details");
    assertNone(cat("hv", "s.", rand(B64URL, 10)));
  });
  void it("finds Tailscale keys", () => {
    const auth = cat("ts", "key-auth-", "k", rand(ALNUM, 10), "CNTRL-", rand(ALNUM, 33));
    assertFinds(`--auth-key=${auth}`, "secret/tailscale-key", auth);
    const client = cat("ts", "key-client-", "k", rand(ALNUM, 10), "CNTRL-", rand(ALNUM, 33));
    assertFinds(client, "secret/tailscale-key", client);
  });
  void it("ignores Tailscale lookalikes", () => {
    assertNone(cat("ts", "key-auth-XXXX"));
    assertNone(cat("ts", "key-auth-", "k", rand(ALNUM, 10), "CNTRL-", "x".repeat(20)));
  });
  void it("finds DigitalOcean tokens", () => {
    for (const p of ["dop_v1_", "doo_v1_", "dor_v1_"]) {
      const t = cat(p.slice(0, 2), p.slice(2), rand(HEX, 64));
      assertFinds(t, "secret/digitalocean-token", t);
    }
  });
  void it("ignores DigitalOcean lookalikes", () => {
    assertNone(cat("do", "p_v1_", rand(HEX, 63)));
  });
  void it("finds Heroku keys", () => {
    const v2 = cat("HR", "KU-AA", rand(B64URL, 58));
    assertFinds(v2, "secret/heroku-key", v2);
    const uuid = `${rand(HEX, 8)}-${rand(HEX, 4)}-${rand(HEX, 4)}-${rand(HEX, 4)}-${rand(HEX, 12)}`;
    assertFinds(`HEROKU_API_KEY=${uuid}`, "secret/heroku-key", uuid);
  });
  void it("ignores unlabelled UUIDs", () => {
    assertNone(`id = ${rand(HEX, 8)}-${rand(HEX, 4)}-${rand(HEX, 4)}-${rand(HEX, 4)}-${rand(HEX, 12)}`);
  });
  void it("finds labelled Cloudflare tokens and keys", () => {
    const tok = rand(B64URL, 40);
    assertFinds(`CLOUDFLARE_DNS_API_TOKEN=${tok}`, "secret/cloudflare-token", tok);
    assertFinds(`CF_DNS_API_TOKEN="${tok}"`, "secret/cloudflare-token", tok);
    const key = rand(HEX, 37);
    assertFinds(`CF_API_KEY=${key}`, "secret/cloudflare-token", key);
  });
  void it("ignores unlabelled Cloudflare-shaped values", () => {
    assertNone(`CLOUDFLARE_EMAIL=admin@example.org`);
    assertNone(`TOKEN=${rand(B64URL, 40)}`);
    assertNone(`CF_API_TOKEN=${rand(B64URL, 20)}`);
  });
});

void describe("private keys", () => {
  const kinds = ["", "RSA ", "EC ", "DSA ", "ENCRYPTED ", "OPENSSH "];
  void it("finds PEM and OpenSSH blocks and covers the whole block", () => {
    for (const kind of kinds) {
      const block = cat(
        "-----BEGIN ",
        kind,
        "PRIVATE KEY-----\n",
        rand(B64, 64),
        "\n",
        rand(B64, 64),
        "\n",
        rand(B64, 20),
        "==\n-----END ",
        kind,
        "PRIVATE KEY-----",
      );
      assertFinds(`''\n  ${block}\n''`, "secret/private-key", block);
    }
  });
  void it("finds PGP private key blocks", () => {
    const block = cat("-----BEGIN PGP ", "PRIVATE KEY BLOCK-----\n\n", rand(B64, 64), "\n=", rand(B64, 4), "\n-----END PGP PRIVATE KEY BLOCK-----");
    assertFinds(block, "secret/private-key", block);
  });
  void it("finds a truncated block (no END line) with key material", () => {
    const head = cat("-----BEGIN RSA ", "PRIVATE KEY-----");
    const body = `${rand(B64, 64)}\n${rand(B64, 64)}`;
    assertFinds(`${head}\n${body}\n`, "secret/private-key", `${head}\n${body}`);
     const indented = `${head}\n    ${rand(B64, 64)}\n    ${rand(B64, 12)}`;
    assertFinds(`${indented}\n  echo done; exit 0`, "secret/private-key", indented);
    const escaped = `${head}\\n${rand(B64, 64)}\\n${rand(B64, 10)}==`;
    assertFinds(`{"private_key": "${escaped}\\n", "x": 1}`, "secret/gcp-service-account", escaped);
  });
  void it("ignores a bare header, public keys, certificates and age files", () => {
    assertNone(cat("grep -q -- '-----BEGIN OPENSSH ", "PRIVATE KEY-----' \"$keyfile\""));
    assertNone(cat("-----BEGIN ", "PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"));
    assertNone(cat("-----BEGIN PUBLIC KEY-----\n", rand(B64, 64), "\n-----END PUBLIC KEY-----"));
    assertNone(cat("-----BEGIN CERTIFICATE-----\n", rand(B64, 64), "\n-----END CERTIFICATE-----"));
    assertNone(cat("-----BEGIN AGE ENCRYPTED FILE-----\n", rand(B64, 64), "\n-----END AGE ENCRYPTED FILE-----"));
  });
});

void describe("age and Nix signing keys", () => {
  void it("finds age identities", () => {
    const k = cat("AGE-SECRET", "-KEY-1", rand(BECH32_UPPER, 58));
    assertFinds(`# created: 2024\n${k}\n`, "secret/age-secret-key", k);
  });
  void it("ignores age lookalikes and recipients", () => {
    assertNone(cat("AGE-SECRET", "-KEY-1", rand(BECH32_UPPER, 57)));
    assertNone(cat("AGE-SECRET", "-KEY-1", "B", rand(BECH32_UPPER, 57)));
    assertNone(cat("age1", rand(BECH32_UPPER.toLowerCase(), 58)));
  });
  void it("finds binary-cache secret keys", () => {
    const k = cat("cache.example.org-1:", rand(B64, 86), "==");
    assertFinds(`"${k}"`, "secret/nix-signing-key", k);
    assertFinds(k, "secret/nix-signing-key", k);
  });
  void it("does not flag binary-cache public keys", () => {
    const pub1 = cat("cache.nixos.org-1:", rand(B64, 43), "=");
    const pub2 = cat("hydra.example.org-1:", rand(B64, 43), "=");
    assertNone(`trusted-public-keys = ${pub1} ${pub2}`);
  });
});

void describe("JWT", () => {
  void it("finds JSON Web Tokens", () => {
    const t = cat("ey", "J", rand(B64URL, 30), ".", "ey", "J", rand(B64URL, 80), ".", rand(B64URL, 43));
    assertFinds(`Authorization: Bearer ${t}`, "secret/jwt", t);
  });
  void it("ignores partial tokens", () => {
    assertNone(cat("ey", "J", rand(B64URL, 30)));
    assertNone(cat("ey", "J", rand(B64URL, 30), ".", "ey", "J", rand(B64URL, 80)));
    assertNone(cat("ey", "J", rand(B64URL, 30), ".", "ab", rand(B64URL, 80), ".", rand(B64URL, 43)));
  });
});

void describe("URL passwords", () => {
  const pw = (): string => cat(rand(ALNUM, 10), "-", rand(ALNUM, 4));
  void it("finds passwords in connection strings", () => {
    for (const scheme of ["postgres", "postgresql", "mysql", "redis", "rediss", "amqp", "mongodb+srv", "https", "smtp"]) {
      const p = pw();
      assertFinds(`${scheme}://app:${p}@db.internal:5432/app?sslmode=require`, "secret/url-password", p);
    }
    const p = pw();
    assertFinds(`redis://:${p}@localhost:6379/0`, "secret/url-password", p);
    assertFinds(`DATABASE_URL="postgres://u:${p}@h/db"`, "secret/url-password", p);
    const encoded = cat("%40", rand(ALNUM, 10));
    assertFinds(`postgres://u:${encoded}@h/db`, "secret/url-password", encoded);
  });
  void it("finds weak literal passwords too", () => {
    assertFinds(cat("mysql://root:", "hunter2", "@localhost/db"), "secret/url-password", "hunter2");
  });
  void it("ignores placeholders, interpolations and URLs without a password", () => {
    for (const s of [
      "postgres://app:${DB_PASSWORD}@db/app",
      "postgres://app:$DB_PASSWORD@db/app",
      "postgres://app:<password>@db/app",
      "postgres://app:***@db/app",
      "postgres://app:xxxxxx@db/app",
      "postgres://app:password@db/app",
      "postgres://app:changeme@db/app",
      "postgres://app:@db/app",
      "postgres://app@db/app",
      "https://github.com/NixOS/nixpkgs",
      "http://[::1]:8080/status",
      "https://example.com:8443/path@version",
      "git@github.com:NixOS/nixpkgs.git",
    ]) {
      assertNone(s);
    }
  });
});

void describe("crypt(3) hashes", () => {
  void it("finds every supported scheme", () => {
    const hashes = [
      cat("$y", "$j9T$", rand(CRYPT, 22), "$", rand(CRYPT, 43)),
      cat("$gy", "$j9T$", rand(CRYPT, 22), "$", rand(CRYPT, 43)),
      cat("$6", "$", rand(CRYPT, 16), "$", rand(CRYPT, 86)),
      cat("$6", "$rounds=656000$", rand(CRYPT, 16), "$", rand(CRYPT, 86)),
      cat("$5", "$", rand(CRYPT, 16), "$", rand(CRYPT, 43)),
      cat("$1", "$", rand(CRYPT, 8), "$", rand(CRYPT, 22)),
      cat("$2b", "$12$", rand(CRYPT, 53)),
      cat("$2y", "$10$", rand(CRYPT, 53)),
      cat("$argon2id", "$v=19$m=65536,t=3,p=4$", rand(B64, 22), "$", rand(B64, 43)),
    ];
    for (const h of hashes) assertFinds(`hashedPassword = "${h}";`, "secret/crypt-hash", h);
  });
  void it("ignores shell text and truncated hashes", () => {
    assertNone('echo "$1$2" "$6$HOME"');
    assertNone(cat("$6", "$salt$", rand(CRYPT, 20)));
    assertNone(cat("$2b", "$12$", rand(CRYPT, 40)));
    assertNone("mkpasswd -m sha-512 then paste $6$ here");
  });
});

void describe("isWireGuardKeyShaped", () => {
  void it("accepts 32-byte base64 keys", () => {
    const key = Buffer.from(Array.from({ length: 32 }, () => Math.floor(random.next() * 256))).toString("base64");
    assert.equal(isWireGuardKeyShaped(key), true);
  });
  void it("rejects other shapes", () => {
    assert.equal(isWireGuardKeyShaped(cat(rand(B64, 42), "B=")), false); // last char carries non-zero bits
    assert.equal(isWireGuardKeyShaped(cat(rand(B64, 43), "==")), false);
    assert.equal(isWireGuardKeyShaped(rand(B64, 44)), false);
    assert.equal(isWireGuardKeyShaped(""), false);
  });
  void it("is not detected by detectSecrets", () => {
    const key = Buffer.from(Array.from({ length: 32 }, () => Math.floor(random.next() * 256))).toString("base64");
    assertNone(`PrivateKey = ${key}`);
  });
});

// --- robustness -------------------------------------------------------------------

/** Fails if one call takes longer than this: a guard against catastrophic backtracking, not a benchmark. */
const BOUND_MS = 1000;

function timed(text: string): number {
  const t0 = performance.now();
  const found = detectSecrets(text);
  const dt = performance.now() - t0;
  checkRanges(text, found);
  return dt;
}

void describe("ReDoS resistance", () => {
  const N = 100_000;
  const named: Array<[string, string]> = [
    ["BEGIN + A*", "-----BEGIN " + "A".repeat(N)],
    ["BEGIN + spaced words", "-----BEGIN " + "A ".repeat(N / 2)],
    ["repeated headers", "-----BEGIN RSA PRIVATE KEY-----".repeat(5_000)],
    ["headers then END", "-----BEGIN PRIVATE KEY-----\n".repeat(5_000) + "-----END PRIVATE KEY-----"],
    ["header + endless body", "-----BEGIN PRIVATE KEY-----\n" + "A".repeat(2 * N)],
    ["END lines", "-----END ".repeat(20_000)],
    ["postgres + a:", "postgres://" + "a:".repeat(N / 2)],
    ["a: then ://", "a:".repeat(N / 2) + "://"],
    ["scheme words", "abcdefghijklmnopqrstuvwxyzabcdefgh ".repeat(5_000) + "://"],
    ["://user:", "x://u:".repeat(20_000)],
    ["eyJ + a*", "eyJ" + "a".repeat(2 * N)],
    ["eyJ*", "eyJ".repeat(70_000)],
    ["jwt near miss", ("eyJ" + "a".repeat(20) + ".").repeat(10_000)],
    ["AKIA*", "AKIA".repeat(50_000)],
    ["aws label*", "aws_secret_access_key=".repeat(10_000)],
    ["aws label + long", "aws_secret_access_key=" + "A".repeat(2 * N)],
    ["ghp_ + a*", "gh" + "p_" + "a".repeat(2 * N)],
    ["gh p_*", "gh" + "p_".repeat(N)],
    ["glpat*", "glpat-".repeat(30_000)],
    ["xoxb*", "xoxb-1-".repeat(30_000)],
    ["slack hook", "hooks.slack.com/services/" + "a".repeat(2 * N)],
    ["discord hook", "https://discord.com/api/webhooks/" + "1".repeat(N)],
    ["discord token shape", "MT" + "a".repeat(2 * N)],
    ["discord near miss", ("MT" + "a".repeat(24) + ".").repeat(8_000)],
    ["sk-*", "sk-".repeat(70_000)],
    ["sk-proj + a*", "sk-proj-" + "a".repeat(2 * N)],
    ["sk-ant + a*", "sk-ant-api03-" + "a".repeat(2 * N)],
    ["SG.*", "SG.".repeat(70_000)],
    ["tskey dashes", "tskey-auth-" + "a-".repeat(N)],
    ["hvs.*", "hvs.".repeat(50_000)],
    ["dop*", "dop_v1_".repeat(30_000)],
    ["heroku label", "heroku" + "a".repeat(N)],
    ["cloudflare label", "CLOUDFLARE_API_TOKEN=" + "a".repeat(N)],
    ["cf_*", "cf_".repeat(70_000)],
    ["twilio*", "TWILIO_AUTH_TOKEN=".repeat(10_000)],
    ["AccountKey", "AccountKey=" + "A".repeat(2 * N)],
    ["age", "AGE-SECRET-KEY-1" + "Q".repeat(2 * N)],
    ["== *", "==".repeat(N)],
    ["nix key near miss", ("k:" + "A".repeat(86) + "=").repeat(2_000)],
    ["colon + base64", ":" + "A".repeat(2 * N) + "=="],
    ["name chars before key", "a".repeat(N) + ":" + "A".repeat(86) + "=="],
    ["$6$*", "$6$".repeat(50_000)],
    ["$y$ nested", "$y$a$".repeat(40_000)],
    ["$6$ long salt", "$6$" + "a".repeat(2 * N)],
    ["argon2*", "$argon2id$v=19$m=1,t=1,p=1$".repeat(5_000)],
    ["pbkdf2", "$pbkdf2-sha256$1$" + "a".repeat(2 * N)],
    ["private_key labels", '"private_key": "'.repeat(10_000) + "-----BEGIN PRIVATE KEY-----"],
  ];
  for (const [name, text] of named) {
    void it(`stays linear: ${name}`, () => {
      const dt = timed(text);
      assert.ok(dt < BOUND_MS, `${name}: ${dt.toFixed(0)} ms`);
    });
  }

  void it("stays linear on every trigger prefix repeated and padded", () => {
    const prefixes = [
      "AKIA", "AIza", "AccountKey=", "SharedAccessKey=", "ghp_", "github_pat_", "glpat-", "GR1348941", "xoxb-1-",
      "xapp-1-", "hooks.slack.com/", "discord.com/api/", "MTzz", "sk_live_", "whsec_", "SK0123", "twilio", "SG.",
      "npm_", "pypi-AgEI", "dckr_pat_", "sk-", "sk-ant-api03-", "hvs.", "tskey-", "dop_v1_", "HRKU-", "heroku",
      "CLOUDFLARE", "cf_", "-----BEGIN ", "AGE-SECRET-KEY-1", "==", "eyJ", "://", "$y$", "$6$", "$2b$", "$argon2id$",
    ];
    for (const p of prefixes) {
      for (const text of [p.repeat(Math.ceil(N / p.length)), p + "a".repeat(N), (p + "a").repeat(Math.ceil(N / (p.length + 1)))]) {
        const dt = timed(text);
        assert.ok(dt < BOUND_MS, `${JSON.stringify(p)}: ${dt.toFixed(0)} ms`);
      }
    }
  });

  void it("handles a large mixed document", () => {
    const parts: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      parts.push(
        "services.foo.enable = true; # https://example.org/docs\n",
        cat("url = \"postgres://app:", rand(ALNUM, 12), "@db/app\";\n"),
        cat("token = \"gh", "p_", rand(ALNUM, 36), "\";\n"),
        cat("hash = \"sha256-", rand(B64, 43), "=\";\n"),
      );
    }
    const text = parts.join("");
    const dt = timed(text);
    assert.ok(dt < BOUND_MS, `${dt.toFixed(0)} ms`);
    assert.equal(detectSecrets(text).length, 4_000);
  });
});

void describe("properties", () => {
  const fragments = [
    "AK" + "IA", "gh" + "p_", "github" + "_pat_", "gl" + "pat-", "xo" + "xb-1-", "sk" + "-", "sk" + "-ant-api03-", "sk" + "_live_",
    "S" + "G.", "np" + "m_", "hv" + "s.", "ts" + "key-auth-", "do" + "p_v1_", "HR" + "KU-AA", "-----BEGIN ", "PRIVATE KEY-----",
    "-----END ", "ey" + "J", ".", "://", ":", "@", "$6$", "$y$", "$2b$12$", "==", "=", "AccountKey=", "AGE-SECRET-KEY-1",
    "aws_secret_access_key=", "CF_API_TOKEN=", "\n", "\\n", " ", "\"private_key\": \"",
  ];
  const filler = fc.string({ maxLength: 60, unit: fc.constantFrom(..."aAzZ09+/_-.=:$@ \n") });
  const mixed = fc
    .array(fc.oneof(fc.constantFrom(...fragments), filler, fc.string({ maxLength: 20 })), { maxLength: 40 })
    .map((a) => a.join(""));

  void it("never throws and returns sorted, in-bounds, non-overlapping ranges on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: "binary" }), (s) => {
        checkRanges(s, detectSecrets(s));
      }),
      { numRuns: 500 },
    );
  });

  void it("holds on strings built from detector prefixes", () => {
    fc.assert(
      fc.property(mixed, (s) => {
        checkRanges(s, detectSecrets(s));
      }),
      { numRuns: 1_000 },
    );
  });

  void it("is deterministic and finds a token whatever surrounds it", () => {
    fc.assert(
      fc.property(mixed, (s) => {
        assert.deepEqual(detectSecrets(s), detectSecrets(s));
        const gh = cat("gh", "p_", "Q".repeat(36));
        const text = `${s} ${gh} ${s}`;
        const ghStart = s.length + 1;
        // the token is reported, or (rarely) lies inside a larger match such as a PEM block
        assert.ok(detectSecrets(text).some((m) => m.start <= ghStart && m.end >= ghStart + gh.length));
      }),
      { numRuns: 300 },
    );
  });
});
