/**
 * Fake credentials, built at run time. The repository is itself scanned by
 * secret scanners (hostplane guard included), so no credential-shaped value is
 * ever written literally in these sources: every prefix is split and every
 * body comes from a seeded generator, so the corpus is the same on every run.
 */

import { ALNUM, B64, DIGITS, HEX, LOWER, SeededRandom, UPPER } from "../harness/random.js";

const rng = new SeededRandom(0x6e1c0de);

const B64URL = ALNUM + "-_";
const BASE32_AWS = UPPER + "234567";
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const NIX_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";
const CRYPT64 = "./" + DIGITS + UPPER + LOWER;

export function pick(alphabet: string, n: number): string {
  return rng.string(alphabet, n);
}

const alnum = (n: number): string => pick(ALNUM, n);
const hex = (n: number): string => pick(HEX, n);
const b64 = (n: number): string => pick(B64, n);
const b64url = (n: number): string => pick(B64URL, n);
const digits = (n: number): string => pick("123456789", 1) + pick(DIGITS, n - 1);

/** Base64 text wrapped at `width`, as in PEM bodies. */
function pemBody(chars: number, width: number, indent: string, sep: string): string {
  const body = b64(chars);
  const lines: string[] = [];
  for (let i = 0; i < body.length; i += width) lines.push(indent + body.slice(i, i + width));
  return lines.join(sep);
}

const PK = "PRIVATE " + "KEY";

export const fake = {
  // --- credentials ---------------------------------------------------------
  awsAccessKeyId: (): string => "AK" + "IA" + pick(BASE32_AWS, 16),
  awsSecretAccessKey: (): string => b64(40),
  gcpApiKey: (): string => "AI" + "za" + pick(B64URL, 35),
  /** The body of a service-account JSON `private_key`, with JSON `\n` escapes. */
  gcpPrivateKeyJson: (): string => `-----BEGIN ${PK}-----\\n${pemBody(256, 64, "", "\\n")}\\n-----END ${PK}-----\\n`,
  azureAccountKey: (): string => b64(86) + "==",
  azureSharedAccessKey: (): string => b64(43) + "=",
  githubPat: (): string => "gh" + "p_" + alnum(36),
  githubFineGrained: (): string => "github" + "_pat_" + alnum(22) + "_" + alnum(59),
  githubApp: (): string => "gh" + "s_" + alnum(36),
  gitlabPat: (): string => "gl" + "pat-" + b64url(20),
  gitlabRunner: (): string => "gl" + "rt-" + b64url(20),
  slackBot: (): string => "xo" + "xb-" + digits(12) + "-" + digits(13) + "-" + alnum(24),
  slackWebhook: (): string => "https://hooks." + "slack.com/services/T" + pick(UPPER + DIGITS, 8) + "/B" + pick(UPPER + DIGITS, 10) + "/" + alnum(24),
  discordBot: (): string => "MT" + alnum(24) + "." + b64url(6) + "." + b64url(38),
  discordWebhook: (): string => "https://discord.com/api/" + "webhooks/" + digits(19) + "/" + b64url(68),
  stripeLive: (): string => "sk" + "_live_" + alnum(99),
  stripeWebhookSecret: (): string => "wh" + "sec_" + alnum(32),
  twilioApiKeySid: (): string => "S" + "K" + hex(32),
  twilioAccountSid: (): string => "A" + "C" + hex(32),
  sendgrid: (): string => "S" + "G." + b64url(22) + "." + b64url(43),
  npm: (): string => "np" + "m_" + alnum(36),
  pypi: (): string => "pyp" + "i-AgEIcHlwaS5vcmc" + b64url(150),
  dockerhub: (): string => "dck" + "r_pat_" + b64url(27),
  openaiProject: (): string => "sk-" + "proj-" + b64url(48) + "T3Blbk" + "FJ" + b64url(48),
  anthropic: (): string => "sk-" + "ant-api03-" + b64url(93) + "AA",
  vault: (): string => "hv" + "s." + b64url(90),
  tailscaleAuth: (): string => "tskey-" + "auth-k" + alnum(10) + "CNTRL-" + alnum(33),
  digitalocean: (): string => "do" + "p_v1_" + hex(64),
  heroku: (): string => "HR" + "KU-AA" + b64url(58),
  cloudflareToken: (): string => b64url(40),
  cloudflareGlobalKey: (): string => hex(37),
  /** An OpenSSH private key, one line per element (indent not included). */
  opensshPrivateKeyLines: (): string[] => [
    `-----BEGIN OPENSSH ${PK}-----`,
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    ...pemBody(280, 70, "", "\n").split("\n"),
    `-----END OPENSSH ${PK}-----`,
  ],
  ecPrivateKeyLines: (): string[] => [
    `-----BEGIN EC ${PK}-----`,
    ...pemBody(160, 64, "", "\n").split("\n"),
    `-----END EC ${PK}-----`,
  ],
  ageIdentity: (): string => "AGE-SECRET-" + "KEY-1" + pick(BECH32.toUpperCase(), 58),
  nixSigningKey: (name: string): string => name + ":" + b64(86) + "==",
  jwt: (payload: Record<string, unknown>): string =>
    Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url") + "." +
    Buffer.from(JSON.stringify(payload)).toString("base64url") + "." + b64url(43),
  /** A password a person would choose: word, digits, symbol. */
  humanPassword: (): string => ["Winter", "Autumn", "Gandalf", "Sunflower", "Rainbow", "Tractor"][Math.floor(rng.next() * 6)]! + digits(4) + "!" + alnum(3),
  /** A generated password (`pwgen -s 24`). */
  password: (n = 24): string => alnum(n),
  sha512crypt: (): string => "$" + "6$" + pick(CRYPT64, 16) + "$" + pick(CRYPT64, 86),
  yescrypt: (): string => "$" + "y$j9T$" + pick(CRYPT64, 22) + "$" + pick(CRYPT64, 43),
  bcrypt: (): string => "$" + "2b$12$" + pick(CRYPT64, 53),
  apr1: (): string => "$" + "apr1$" + pick(CRYPT64, 8) + "$" + pick(CRYPT64, 22),
  wireguardKey: (): string => b64(43) + "=",

  // --- things that look random but are not secret --------------------------
  wireguardPublicKey: (): string => b64(43) + "=",
  sshEd25519Public: (): string => "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + b64(43),
  sshRsaPublic: (): string => "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ" + b64(500),
  ageRecipient: (): string => "age1" + pick(BECH32, 58),
  sri: (): string => "sha256-" + b64(43) + "=",
  sri512: (): string => "sha512-" + b64(86) + "==",
  nixBase32: (): string => pick(NIX_BASE32, 52),
  sha256Hex: (): string => hex(64),
  gitRev: (): string => hex(40),
  storeHash: (): string => pick(NIX_BASE32, 32),
  /** A sops-encrypted string value. */
  sopsEnc: (): string => "ENC[AES256_GCM,data:" + b64(32) + ",iv:" + b64(43) + "=,tag:" + b64(22) + "==,type:str]",
  certificateLines: (): string[] => [
    "-----BEGIN CERTIFICATE-----",
    ...pemBody(320, 64, "", "\n").split("\n"),
    "-----END CERTIFICATE-----",
  ],
  uuid: (): string => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
  hostId: (): string => hex(8),
};

/** The cache.nixos.org public key (public, and the same on every NixOS machine). */
export const CACHE_NIXOS_ORG_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
/** The nix-community cachix public key (public). */
export const NIX_COMMUNITY_KEY = "nix-community.cachix.org-1:mB9FSh9qf2dCimDSUo8Zy7bkq5CX+/rkCWyvRCYg3Fs=";
