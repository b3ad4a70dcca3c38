/**
 * Tests for the name / value helpers. Credential-shaped values are assembled at
 * run time so that no literal in this file trips secret scanners.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isBenignValue, isHashLikeName, isPublicKeyName, isSecretLikeName, looksLikeLiteralSecret, maskSecret } from "./context.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64 = ALNUM + "+/";
const HEX = "0123456789abcdef";
const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";

let seed = 12345;
function rand(alphabet: string, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    s += alphabet.charAt((seed >>> 8) % alphabet.length);
  }
  return s;
}
const cat = (...parts: string[]): string => parts.join("");

void describe("isSecretLikeName", () => {
  const secret = [
    "password",
    "Password",
    "PASSWORD",
    "passwd",
    "pass",
    "DB_PASS",
    "MYSQL_PWD",
    "root_password",
    "initialPassword",
    "hashedPassword",
    "initialHashedPassword",
    "passwordHash",
    "passphrase",
    "secret",
    "clientSecret",
    "client_secret",
    "client-secret",
    "jwtSecret",
    "secretKey",
    "secret_key",
    "secretKeyBase",
    "secretId",
    "token",
    "authToken",
    "access_token",
    "access-tokens",
    "refreshToken",
    "apiKey",
    "api_key",
    "api-key",
    "apikey",
    "APIKey",
    "ApiKey",
    "privateKey",
    "private_key",
    "private-key",
    "accessKey",
    "masterKey",
    "preSharedKey",
    "presharedKey",
    "psk",
    "pskRaw",
    "credentials",
    "authKey",
    "bearer",
    "SetCredential",
    "dbpassword",
    "rootpasswd",
    "authtoken",
  ];
  const notSecret = [
    // `auth`-named options mostly hold methods, flags or provider lists; basicAuth has its own store-leak rule.
    "auth",
    "basicAuth",
    "authorization",
    "auth_mechanisms",
    "password_encryption",
    "tokenFormatStyle",
    "smtp_sasl_password_maps",
    "IPv6Token",
    "access_token_signed_response_alg",
    "passwordFile",
    "hashedPasswordFile",
    "tokenFile",
    "environmentFile",
    "credentialsFile",
    "credentialsDirectory",
    "keyFile",
    "privateKeyFile",
    "secretKeyBaseFile",
    "secretsDir",
    "sshKeyPaths",
    "secret-key-files",
    "passwordAuthentication",
    "PasswordAuthentication",
    "PermitEmptyPasswords",
    "passwordPrompt",
    "passwordCommand",
    "password_command",
    "passwordeval",
    "tokenUrl",
    "tokenEndpoint",
    "secretName",
    "secretRef",
    "secretKeyRef",
    "publicKey",
    "pubkey",
    "trusted-public-keys",
    "passwordMinLength",
    "minPasswordLength",
    "enableTokenAuth",
    "enablePassword",
    "useToken",
    "allowPasswordLogin",
    "requirePassword",
    "authMethod",
    "authType",
    "authUser",
    "maxAuthTries",
    "LoadCredential",
    "LoadCredentialEncrypted",
    "accessKeyId",
    "passwordStore",
    "password-store",
    "passAsFile",
    "passthru",
    "PassEnvironment",
    "tokenizer",
    "bypass",
    "key",
    "keys",
    "authorizedKeys",
    "authority",
    "author",
    "description",
    "",
  ];
  for (const n of secret) void it(`true for ${n}`, () => assert.equal(isSecretLikeName(n), true));
  for (const n of notSecret) void it(`false for ${JSON.stringify(n)}`, () => assert.equal(isSecretLikeName(n), false));
});

void describe("isHashLikeName", () => {
  for (const n of [
    "hash",
    "sha1",
    "sha256",
    "sha512",
    "narHash",
    "outputHash",
    "vendorHash",
    "cargoHash",
    "npmDepsHash",
    "pnpmDepsHash",
    "yarnHash",
    "srcHash",
    "vendorSha256",
    "cargoSha256",
    "rev",
    "checksum",
    "digest",
  ]) {
    void it(`true for ${n}`, () => assert.equal(isHashLikeName(n), true));
  }
  for (const n of ["hashedPassword", "hashedPasswordFile", "passwordHash", "outputHashAlgo", "url", "password", ""]) {
    void it(`false for ${JSON.stringify(n)}`, () => assert.equal(isHashLikeName(n), false));
  }
});

void describe("isPublicKeyName", () => {
  for (const n of [
    "publicKey",
    "publicKeys",
    "public_key",
    "trusted-public-keys",
    "trustedPublicKeys",
    "binaryCachePublicKeys",
    "authorizedKeys",
    "authorized_keys",
    "openssh.authorizedKeys.keys",
    "pubkey",
    "recipients",
    "recipient",
    "fingerprint",
    "knownHosts",
  ]) {
    void it(`true for ${n}`, () => assert.equal(isPublicKeyName(n), true));
  }
  for (const n of ["privateKey", "secretKey", "key", "keys", "publicAddress", "password", ""]) {
    void it(`false for ${JSON.stringify(n)}`, () => assert.equal(isPublicKeyName(n), false));
  }
});

void describe("isBenignValue", () => {
  const benign = [
    "",
    "   ",
    "/run/secrets/db-password",
    "/var/lib/foo/token",
    `/nix/store/${rand(NIX32, 32)}-foo-1.0/etc/key`,
    "./secrets/x.age",
    "../x",
    "~/.config/token",
    "file:///run/secrets/x",
    "db-password:/run/agenix/db-password",
    "$CREDENTIALS_DIRECTORY/token",
    "${CREDENTIALS_DIRECTORY}/token",
    "$DB_PASSWORD",
    "${DB_PASSWORD}",
    "${config.sops.placeholder.x}",
    "%d/token",
    "env:API_TOKEN",
    "ext:psk_home",
    "$__file{/run/secrets/grafana}",
    "{{ .Env.TOKEN }}",
    cat("sha256-", rand(B64, 43), "="),
    cat("sha512-", rand(B64, 86), "=="),
    cat("sha256:", rand(HEX, 64)),
    rand(NIX32, 52),
    cat("ssh-ed25519 AAAA", rand(B64, 64), " alice@laptop"),
    cat("ssh-rsa AAAA", rand(B64, 300), "=="),
    cat("ecdsa-sha2-nistp256 AAAA", rand(B64, 120), "="),
    cat("sk-ssh-ed25519@openssh.com AAAA", rand(B64, 100), " yubikey"),
    cat('from="10.0.0.0/8" ssh-ed25519 AAAA', rand(B64, 64)),
    cat("cache.nixos.org-1:", rand(B64, 43), "="),
    cat("age1", rand("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58)),
    cat("ENC[AES256_GCM,data:", rand(B64, 20), ",iv:", rand(B64, 20), ",tag:x,type:str]"),
    cat("-----BEGIN AGE ENCRYPTED FILE-----\n", rand(B64, 64), "\n-----END AGE ENCRYPTED FILE-----"),
    cat("-----BEGIN PGP MESSAGE-----\n\n", rand(B64, 64), "\n-----END PGP MESSAGE-----"),
    cat("-----BEGIN PUBLIC KEY-----\n", rand(B64, 64), "\n-----END PUBLIC KEY-----"),
    cat("-----BEGIN CERTIFICATE-----\n", rand(B64, 64), "\n-----END CERTIFICATE-----"),
    "CHANGEME",
    "changeme",
    "REPLACE_ME",
    "placeholder",
    "<password>",
    "<your api token>",
    "@PASSWORD@",
    "xxx",
    "XXXXXXXXXXXX",
    "***",
    "********",
    "...",
    "example",
    "dummy",
    "test",
    "YOUR_TOKEN_HERE",
    "your-api-key",
    "none",
    "null",
  ];
  const notBenign = [
    "hunter2",
    "correct horse battery staple",
    rand(HEX, 64), // openssl rand -hex 32, WPA PSKs: hex is not benign by itself
    rand(HEX, 40),
    cat("cache.example.org-1:", rand(B64, 86), "=="),
    cat("/", rand(B64, 42), "="), // WireGuard-shaped key that starts with "/"
    cat("$6", "$salt$", rand(ALNUM, 86)),
    cat("postgres://app:", "s3cret-pw", "@db/app"),
    cat("-----BEGIN PUBLIC KEY-----\n-----BEGIN ", "PRIVATE KEY-----\n", rand(B64, 64)),
    "$(cat /run/secrets/x)x",
  ];
  for (const v of benign) void it(`true for ${JSON.stringify(v.slice(0, 60))}`, () => assert.equal(isBenignValue(v), true));
  for (const v of notBenign) void it(`false for ${JSON.stringify(v.slice(0, 60))}`, () => assert.equal(isBenignValue(v), false));

  void it("is linear on adversarial input", () => {
    for (const v of [
      "ssh-ed25519 AAAA" + "A".repeat(200_000) + "\n!",
      "a ".repeat(100_000) + "ssh-rsa AAAA",
      "/" + "A".repeat(200_000) + "=!",
      "x:/" + "A".repeat(200_000) + "=!",
      "-----BEGIN PUBLIC KEY-----" + "A".repeat(99_000),
      "a-".repeat(30) + "here!",
      "$".repeat(100_000),
      "<" + "a".repeat(100_000),
    ]) {
      const t0 = performance.now();
      isBenignValue(v);
      looksLikeLiteralSecret(v);
      const dt = performance.now() - t0;
      assert.ok(dt < 1000, `${dt.toFixed(0)} ms for ${JSON.stringify(v.slice(0, 30))}`);
    }
  });
});

void describe("maskSecret", () => {
  void it("keeps at most four characters and the length", () => {
    const token = cat("gh", "p_", rand(ALNUM, 36));
    assert.equal(maskSecret(token), "ghp_…(40 chars)");
  });
  void it("shows no prefix under 12 characters and two under 20", () => {
    assert.equal(maskSecret("hunter2"), "…(7 chars)");
    assert.equal(maskSecret("x"), "…(1 char)");
    assert.equal(maskSecret(""), "…(0 chars)");
    assert.equal(maskSecret("abcdefghijkl"), "ab…(12 chars)");
    assert.equal(maskSecret("abcdefghijklmnopqrs"), "ab…(19 chars)");
    assert.equal(maskSecret("abcdefghijklmnopqrst"), "abcd…(20 chars)");
  });
  void it("never reveals more than four characters of any value", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: "grapheme" }), (s) => {
        const masked = maskSecret(s);
        const prefix = masked.slice(0, masked.indexOf("…"));
        assert.ok(Array.from(prefix).length <= 4);
        assert.ok(masked.endsWith(`(${Array.from(s).length} ${Array.from(s).length === 1 ? "char" : "chars"})`));
      }),
    );
  });
  void it("replaces whitespace and control characters in the prefix", () => {
    assert.equal(maskSecret("a\nb\tcdefghijklmnopqrstuvwxyz"), "a·b·…(28 chars)");
  });
});

void describe("looksLikeLiteralSecret", () => {
  const yes = [
    "hunter2",
    "correct horse battery staple",
    "s3cr3t!",
    "123456",
    rand(HEX, 64),
    rand(B64, 44),
    cat("gh", "p_", rand(ALNUM, 36)),
    cat("$6", "$", rand(ALNUM, 16), "$", rand(ALNUM, 86)),
    "user:Passw0rd",
  ];
  const no = [
    "",
    "true",
    "false",
    "plain",
    "login",
    "scram-sha-256",
    "oauthbearer",
    "abc",
    "12345",
    "CHANGEME",
    "<password>",
    "/run/secrets/x",
    "$CREDENTIALS_DIRECTORY/x",
    "${DB_PASS}",
    "$(cat /run/secrets/x)",
    "GITHUB_TOKEN",
    "DB_PASSWORD",
    "https://auth.example.org/token",
    "This is a long human readable description of the token field",
    cat("ssh-ed25519 AAAA", rand(B64, 64)),
    cat("cache.nixos.org-1:", rand(B64, 43), "="),
  ];
  for (const v of yes) void it(`true for ${JSON.stringify(v.slice(0, 40))}`, () => assert.equal(looksLikeLiteralSecret(v), true));
  for (const v of no) void it(`false for ${JSON.stringify(v.slice(0, 40))}`, () => assert.equal(looksLikeLiteralSecret(v), false));

  void it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: "binary" }), (s) => {
        assert.equal(typeof looksLikeLiteralSecret(s), "boolean");
        assert.equal(typeof isBenignValue(s), "boolean");
      }),
      { numRuns: 500 },
    );
  });
});
