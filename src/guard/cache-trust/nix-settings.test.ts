import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { RawFinding } from "../finding.js";
import {
  CACHE_NIXOS_ORG_KEY,
  CACHE_TRUST_RULES,
  cacheTrustPolicyFromConfig,
  checkNixSettings,
  DEFAULT_CACHE_TRUST_POLICY,
  normalizeSettingName,
  normalizeStoreUrl,
  parseNixConf,
} from "./nix-settings.js";
import type { CacheTrustPolicy, SettingEntry, SettingsContext } from "./nix-settings.js";

const EXAMPLE_KEY = "cache.example.com-1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const RANDOM_KEY = "random.cachix.org-1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=";
const POLICY: CacheTrustPolicy = {
  substituters: [
    { url: "https://cache.nixos.org/", keys: [CACHE_NIXOS_ORG_KEY] },
    { url: "https://cache.example.com", keys: [EXAMPLE_KEY] },
  ],
  extraTrustedKeys: [],
};

function check(text: string, context: SettingsContext = "nix.conf", policy: CacheTrustPolicy = POLICY): RawFinding[] {
  const parsed = parseNixConf(text);
  assert.deepEqual(parsed.findings, [], "fixture parses");
  return checkNixSettings(parsed.entries, { policy, context });
}

function ids(findings: RawFinding[]): string[] {
  return findings.map((f) => f.ruleId);
}

/** An entry as the Nix-AST side would build it (values with their own spans). */
function nixEntry(key: string, values: string[] | boolean, start = 100): SettingEntry {
  const valueSpans = Array.isArray(values) ? values.map((_, i) => ({ start: start + 20 + i * 10, end: start + 28 + i * 10 })) : undefined;
  return {
    key,
    values,
    start,
    end: start + 80,
    valueStart: start + 18,
    valueEnd: start + 79,
    ...(valueSpans === undefined ? {} : { valueSpans }),
  };
}

void describe("parseNixConf", () => {
  void it("parses name = value lines with exact offsets", () => {
    const text = "# comment\nsubstituters = https://a https://b  # trailing\n\n  require-sigs = true\r\nempty =\n";
    const { entries, includes, findings } = parseNixConf(text);
    assert.deepEqual(findings, []);
    assert.deepEqual(includes, []);
    assert.equal(entries.length, 3);
    const [subs, sigs, empty] = entries;
    assert.ok(subs && sigs && empty);
    assert.deepEqual(subs.values, ["https://a", "https://b"]);
    assert.equal(text.slice(subs.start, subs.end), "substituters = https://a https://b");
    assert.equal(text.slice(subs.valueStart, subs.valueEnd), "https://a https://b");
    assert.deepEqual(subs.valueSpans?.map((s) => text.slice(s.start, s.end)), ["https://a", "https://b"]);
    assert.deepEqual(sigs.values, ["true"]);
    assert.equal(text.slice(sigs.start, sigs.end), "require-sigs = true");
    assert.deepEqual(empty.values, []);
    assert.equal(empty.valueStart, empty.valueEnd);
  });

  void it("cuts comments at the first # anywhere on the line, like Nix", () => {
    const { entries } = parseNixConf("substituters = https://a#frag https://b\n");
    assert.deepEqual(entries[0]?.values, ["https://a"]);
  });

  void it("records include and !include without following them", () => {
    const text = "include /etc/nix/extra.conf\n!include  ./maybe.conf\n";
    const { includes, entries } = parseNixConf(text);
    assert.deepEqual(entries, []);
    assert.deepEqual(includes, [
      { path: "/etc/nix/extra.conf", optional: false, start: 0, end: 27 },
      { path: "./maybe.conf", optional: true, start: 28, end: 50 },
    ]);
  });

  void it("reports lines Nix rejects", () => {
    const text = "require-sigs=false\nsubstituters\ninclude a b\ntrusted-users= root\nok = 1";
    const { entries, findings } = parseNixConf(text);
    assert.deepEqual(entries.map((e) => e.key), ["ok"]);
    assert.deepEqual(ids(findings), Array(4).fill("cache-trust/invalid-setting"));
    assert.equal(text.slice(findings[0]?.start, findings[0]?.end), "require-sigs=false");
    assert.match(findings[0]?.message ?? "", /spaces around "="/);
  });

  void it("adds baseOffset to every offset", () => {
    const { entries, includes } = parseNixConf("a = b\ninclude x", { baseOffset: 1000 });
    assert.deepEqual(
      entries.map((e) => [e.start, e.end, e.valueStart, e.valueEnd]),
      [[1000, 1005, 1004, 1005]],
    );
    assert.deepEqual(entries[0]?.valueSpans, [{ start: 1004, end: 1005 }]);
    assert.deepEqual(includes.map((i) => [i.start, i.end]), [[1006, 1015]]);
  });

  void it("never throws and keeps offsets in range on arbitrary text", () => {
    const confish = fc.string({ unit: fc.constantFrom("a", "=", " ", "\t", "\n", "\r", "#", "!", "include", "-", "/", ":", "true") });
    fc.assert(
      fc.property(fc.oneof(fc.string(), confish), fc.nat({ max: 50 }), (text, base) => {
        const parsed = parseNixConf(text, { baseOffset: base });
        const spans = [
          ...parsed.entries.flatMap((e) => [{ start: e.start, end: e.end }, { start: e.valueStart, end: e.valueEnd }, ...(e.valueSpans ?? [])]),
          ...parsed.includes,
          ...parsed.findings,
        ];
        for (const span of spans) assert.ok(span.start >= base && span.start <= span.end && span.end <= base + text.length);
        for (const context of ["nix.conf", "nix.settings", "nix.extraOptions", "nixConfig"] as const) {
          for (const finding of checkNixSettings(parsed.entries, { policy: POLICY, context })) {
            assert.ok(CACHE_TRUST_RULES.some((rule) => rule.id === finding.ruleId));
            assert.ok(finding.start >= base && finding.end <= base + text.length);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  void it("never throws on mutated valid configuration", () => {
    const base =
      "substituters = https://cache.nixos.org?priority=40 http://evil.example\n" +
      "trusted-public-keys = " + CACHE_NIXOS_ORG_KEY + " bad-key\n" +
      "require-sigs = false\ntrusted-users = root @wheel\naccept-flake-config = true\n" +
      "secret-key-files = /nix/store/abc-key\ninclude /etc/nix/other.conf\n";
    const mutation = fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: fc.string({ maxLength: 5 }) });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (mutations) => {
        let text = base;
        for (const m of mutations) {
          const at = m.at % (text.length + 1);
          text = text.slice(0, at) + m.insert + text.slice(at + m.remove);
        }
        const parsed = parseNixConf(text);
        checkNixSettings(parsed.entries, { policy: POLICY, context: "nixConfig" });
        checkNixSettings(parsed.entries, { policy: POLICY, context: "nix.conf" });
      }),
      { numRuns: 500 },
    );
  });
});

void describe("normalizeSettingName / normalizeStoreUrl", () => {
  void it("maps extra-, camelCase and old aliases to canonical names", () => {
    assert.deepEqual(normalizeSettingName("extra-substituters"), { name: "substituters", extra: true });
    assert.deepEqual(normalizeSettingName("trustedPublicKeys"), { name: "trusted-public-keys", extra: false });
    assert.deepEqual(normalizeSettingName("extraTrustedPublicKeys"), { name: "trusted-public-keys", extra: true });
    assert.deepEqual(normalizeSettingName("binaryCaches"), { name: "substituters", extra: false });
    assert.deepEqual(normalizeSettingName("extra-binary-cache-public-keys"), { name: "trusted-public-keys", extra: true });
    assert.deepEqual(normalizeSettingName("requireSignedBinaryCaches"), { name: "require-sigs", extra: false });
  });

  void it("ignores trailing slashes, case of host, credentials, default port and priority", () => {
    const canonical = normalizeStoreUrl("https://cache.nixos.org");
    for (const url of [
      "https://cache.nixos.org/",
      "https://CACHE.NixOS.org//",
      "https://cache.nixos.org?priority=40",
      "https://cache.nixos.org/?want-mass-query=true&priority=10",
      "https://user:secret@cache.nixos.org",
      "https://cache.nixos.org:443/",
    ]) {
      assert.equal(normalizeStoreUrl(url), canonical, url);
    }
    assert.notEqual(normalizeStoreUrl("https://cache.nixos.org/sub"), canonical);
    assert.notEqual(normalizeStoreUrl("s3://bucket?endpoint=a"), normalizeStoreUrl("s3://bucket?endpoint=b"));
    assert.equal(normalizeStoreUrl("s3://bucket?region=x&endpoint=a"), normalizeStoreUrl("s3://bucket?endpoint=a&region=x"));
  });
});

void describe("checkNixSettings", () => {
  void it("accepts a safe configuration", () => {
    const text =
      "substituters = https://cache.nixos.org/ https://cache.example.com?priority=45\n" +
      `trusted-public-keys = ${CACHE_NIXOS_ORG_KEY} ${EXAMPLE_KEY}\n` +
      "require-sigs = true\ntrusted-users = root\nallowed-users = @wheel *\naccept-flake-config = false\n" +
      "secret-key-files = /run/secrets/cache-key\n";
    assert.deepEqual(check(text), []);
    assert.deepEqual(check(text, "nix.settings"), []);
  });

  void describe("require-sigs-disabled", () => {
    void it("flags require-sigs = false in every spelling Nix accepts", () => {
      for (const value of ["false", "no", "0"]) {
        const text = `require-sigs = ${value}\n`;
        const [finding] = check(text);
        assert.equal(finding?.ruleId, "cache-trust/require-sigs-disabled", value);
        assert.equal(text.slice(finding.start, finding.end), value);
        assert.match(finding.message, new RegExp(`^nix\\.conf setting require-sigs = ${value} turns signature checking off`));
      }
      for (const value of ["true", "yes", "1"]) assert.deepEqual(check(`require-sigs = ${value}`), []);
    });

    void it("flags a Nix boolean and the legacy NixOS name", () => {
      const findings = checkNixSettings([nixEntry("require-sigs", false), nixEntry("requireSignedBinaryCaches", false, 300)], {
        policy: POLICY,
        context: "nix.settings",
      });
      assert.deepEqual(ids(findings), ["cache-trust/require-sigs-disabled", "cache-trust/require-sigs-disabled"]);
      assert.equal(findings[0]?.attrPath, "nix.settings.require-sigs");
      assert.match(findings[0]?.message ?? "", /^nix\.settings\.require-sigs = false turns signature checking off/);
      assert.deepEqual([findings[0]?.start, findings[0]?.end], [118, 179]);
    });

    void it("flags a substituter with ?trusted=1", () => {
      const text = "substituters = https://cache.nixos.org?trusted=1";
      const finding = check(text).find((f) => f.ruleId === "cache-trust/require-sigs-disabled");
      assert.ok(finding);
      assert.equal(text.slice(finding.start, finding.end), "https://cache.nixos.org?trusted=1");
      assert.equal(ids(check(text)).length, 1, "allowlisted once trusted is ignored");
      assert.deepEqual(check("substituters = https://cache.nixos.org?trusted=false"), []);
    });

    void it("reports an unparsable boolean as invalid-setting", () => {
      const text = "require-sigs = maybe\naccept-flake-config = true false";
      assert.deepEqual(ids(check(text)), ["cache-trust/invalid-setting", "cache-trust/invalid-setting"]);
    });
  });

  void describe("substituters", () => {
    void it("flags a substituter not on the allowlist, pointing at the URL", () => {
      const text = "extra-substituters = https://cache.nixos.org https://nix-community.cachix.org\n";
      const findings = check(text);
      assert.deepEqual(ids(findings), ["cache-trust/substituter-not-allowed"]);
      const [finding] = findings;
      assert.ok(finding);
      assert.equal(text.slice(finding.start, finding.end), "https://nix-community.cachix.org");
      assert.match(finding.message, /nix\.conf setting extra-substituters lists "https:\/\/nix-community\.cachix\.org", which is not an allowed substituter/);
    });

    void it("checks trusted-substituters and the binary-caches alias", () => {
      assert.deepEqual(ids(check("trusted-substituters = https://x.example\nbinary-caches = https://y.example")), [
        "cache-trust/substituter-not-allowed",
        "cache-trust/substituter-not-allowed",
      ]);
    });

    void it("uses the default policy: only cache.nixos.org", () => {
      const findings = check("substituters = https://cache.nixos.org https://cache.example.com", "nix.conf", DEFAULT_CACHE_TRUST_POLICY);
      assert.deepEqual(ids(findings), ["cache-trust/substituter-not-allowed"]);
      assert.match(findings[0]?.message ?? "", /allowed: https:\/\/cache\.nixos\.org\)/);
    });

    void it("masks credentials in messages", () => {
      const [finding] = check("substituters = https://bob:hunter2@private.example/cache");
      assert.ok(finding);
      assert.ok(!finding.message.includes("hunter2"));
      assert.match(finding.message, /https:\/\/\*\*\*@private\.example\/cache/);
    });

    void it("splits whitespace inside a value, as Nix does", () => {
      const findings = checkNixSettings([nixEntry("substituters", ["https://cache.nixos.org https://evil.example"])], {
        policy: POLICY,
        context: "nix.settings",
      });
      assert.deepEqual(ids(findings), ["cache-trust/substituter-not-allowed"]);
      assert.deepEqual([findings[0]?.start, findings[0]?.end], [120, 128]);
    });

    void it("rejects a boolean where a list is expected", () => {
      assert.deepEqual(
        ids(checkNixSettings([nixEntry("substituters", true)], { policy: POLICY, context: "nix.settings" })),
        ["cache-trust/invalid-setting"],
      );
    });
  });

  void describe("insecure-substituter", () => {
    void it("flags http:// once when the https form is allowed", () => {
      const text = "substituters = http://cache.nixos.org";
      const findings = check(text);
      assert.deepEqual(ids(findings), ["cache-trust/insecure-substituter"]);
      assert.match(findings[0]?.message ?? "", /use "https:\/\/cache\.nixos\.org"/);
      assert.deepEqual(ids(check("substituters = http://evil.example")), [
        "cache-trust/insecure-substituter",
        "cache-trust/substituter-not-allowed",
      ]);
    });

    void it("exempts loopback and judges other transports by the allowlist only", () => {
      const policy: CacheTrustPolicy = {
        substituters: [
          { url: "http://localhost:5000", keys: [] },
          { url: "ssh-ng://builder.internal", keys: [] },
          { url: "file:///var/cache/nix", keys: [] },
          { url: "s3://bucket?region=eu-west-1", keys: [] },
        ],
        extraTrustedKeys: [],
      };
      const text = "substituters = http://localhost:5000 ssh-ng://builder.internal file:///var/cache/nix/ s3://bucket?region=eu-west-1";
      assert.deepEqual(check(text, "nix.conf", policy), []);
      assert.deepEqual(ids(check("substituters = s3://bucket?region=eu-west-1&scheme=http", "nix.conf", policy)), [
        "cache-trust/insecure-substituter",
        "cache-trust/substituter-not-allowed",
      ]);
      assert.deepEqual(ids(check("substituters = ssh://other.host", "nix.conf", policy)), ["cache-trust/substituter-not-allowed"]);
    });
  });

  void describe("substituter-without-key / untrusted-public-key", () => {
    void it("flags an allowed substituter whose key is not trusted", () => {
      const text = "substituters = https://cache.example.com\n";
      const findings = check(text);
      assert.deepEqual(ids(findings), ["cache-trust/substituter-without-key"]);
      assert.match(findings[0]?.message ?? "", new RegExp(`add "${EXAMPLE_KEY.replace(/[+.]/g, "\\$&")}" to trusted-public-keys`));
      assert.deepEqual(check(`substituters = https://cache.example.com\nextra-trusted-public-keys = ${EXAMPLE_KEY}`), []);
    });

    void it("assumes Nix's default key unless trusted-public-keys replaces it", () => {
      assert.deepEqual(check("substituters = https://cache.nixos.org"), []);
      const findings = check(`substituters = https://cache.nixos.org\ntrusted-public-keys = ${EXAMPLE_KEY}`);
      assert.deepEqual(ids(findings), ["cache-trust/substituter-without-key"]);
    });

    void it("does not require keys in nixConfig (the host configuration supplies them)", () => {
      assert.deepEqual(ids(check("extra-substituters = https://cache.example.com", "nixConfig")), ["cache-trust/flake-extra-substituters"]);
    });

    void it("flags a trusted key of no allowed substituter and malformed keys", () => {
      const text = `trusted-public-keys = ${CACHE_NIXOS_ORG_KEY} ${RANDOM_KEY} not-a-key`;
      const findings = check(text);
      assert.deepEqual(ids(findings), ["cache-trust/untrusted-public-key", "cache-trust/invalid-setting"]);
      assert.equal(text.slice(findings[0]?.start, findings[0]?.end), RANDOM_KEY);
      assert.equal(text.slice(findings[1]?.start, findings[1]?.end), "not-a-key");
    });

    void it("accepts policy keys not tied to a substituter", () => {
      const policy: CacheTrustPolicy = { ...POLICY, extraTrustedKeys: [RANDOM_KEY] };
      assert.deepEqual(check(`extra-trusted-public-keys = ${RANDOM_KEY}`, "nix.conf", policy), []);
    });
  });

  void describe("trusted-users-broad", () => {
    void it("flags each non-root entry at its own span", () => {
      const text = "trusted-users = root @wheel alice *\nallowed-users = @wheel *\n";
      const findings = check(text);
      assert.deepEqual(ids(findings), Array(3).fill("cache-trust/trusted-users-broad"));
      assert.deepEqual(findings.map((f) => text.slice(f.start, f.end)), ["@wheel", "alice", "*"]);
      assert.match(findings[0]?.message ?? "", /every member of group wheel/);
      assert.match(findings[0]?.message ?? "", /remove "@wheel" from trusted-users, give builders a dedicated remote-builder user/);
      assert.match(findings[2]?.message ?? "", /giving every user/);
    });

    void it("understands the NixOS camelCase name", () => {
      const findings = checkNixSettings([nixEntry("trustedUsers", ["root", "@wheel"])], { policy: POLICY, context: "nix.settings" });
      assert.deepEqual(ids(findings), ["cache-trust/trusted-users-broad"]);
      assert.deepEqual([findings[0]?.start, findings[0]?.end], [130, 138]);
    });
  });

  void describe("accept-flake-config", () => {
    void it("flags true, not false", () => {
      assert.deepEqual(ids(check("accept-flake-config = true")), ["cache-trust/accept-flake-config"]);
      assert.deepEqual(check("accept-flake-config = false"), []);
    });
  });

  void describe("flake-extra-substituters", () => {
    void it("warns about caches and keys in nixConfig only", () => {
      const findings = checkNixSettings(
        [
          nixEntry("extra-substituters", ["https://cache.nixos.org"], 0),
          nixEntry("extra-trusted-public-keys", [CACHE_NIXOS_ORG_KEY], 100),
          nixEntry("extra-experimental-features", ["flakes"], 200),
        ],
        { policy: POLICY, context: "nixConfig" },
      );
      assert.deepEqual(ids(findings), ["cache-trust/flake-extra-substituters", "cache-trust/flake-extra-substituters"]);
      assert.equal(findings[0]?.attrPath, "nixConfig.extra-substituters");
      assert.deepEqual([findings[0]?.start, findings[0]?.end], [0, 80]);
      assert.match(findings[0]?.message ?? "", /^nixConfig\.extra-substituters in a flake's nixConfig/);
      assert.deepEqual(check("extra-substituters = https://cache.nixos.org", "nix.settings"), []);
    });

    void it("also reports non-allowlisted caches in nixConfig", () => {
      assert.deepEqual(ids(check(`extra-substituters = https://random.cachix.org\nextra-trusted-public-keys = ${RANDOM_KEY}`, "nixConfig")), [
        "cache-trust/flake-extra-substituters",
        "cache-trust/substituter-not-allowed",
        "cache-trust/flake-extra-substituters",
        "cache-trust/untrusted-public-key",
      ]);
    });
  });

  void describe("secret-key-files-in-store", () => {
    void it("flags keys under /nix/store", () => {
      const text = "secret-key-files = /run/secrets/a /nix/store/0123abcd-cache-key.sec";
      const findings = check(text);
      assert.deepEqual(ids(findings), ["cache-trust/secret-key-files-in-store"]);
      assert.equal(text.slice(findings[0]?.start, findings[0]?.end), "/nix/store/0123abcd-cache-key.sec");
      assert.match(findings[0]?.message ?? "", /\/run\/secrets\/cache-key/);
    });
  });

  void it("labels nix.extraOptions findings", () => {
    const text = "  trusted-users = root @wheel\n";
    const parsed = parseNixConf(text, { baseOffset: 40 });
    const [finding] = checkNixSettings(parsed.entries, { policy: POLICY, context: "nix.extraOptions" });
    assert.ok(finding);
    assert.equal(finding.attrPath, "nix.extraOptions");
    assert.match(finding.message, /^trusted-users in nix\.extraOptions includes "@wheel"/);
    assert.equal(finding.start, 40 + text.indexOf("@wheel"));
  });
});

void describe("cacheTrustPolicyFromConfig", () => {
  void it("defaults to cache.nixos.org with its key", () => {
    assert.deepEqual(cacheTrustPolicyFromConfig({}), {
      substituters: [{ url: "https://cache.nixos.org", keys: [CACHE_NIXOS_ORG_KEY] }],
      extraTrustedKeys: [],
    });
  });

  void it("replaces the defaults and pairs keys with substituters by host name", () => {
    const policy = cacheTrustPolicyFromConfig({
      allowedSubstituters: ["https://cache.example.com/", { url: "https://attic.internal/fleet", keys: ["fleet:CCCC"] }],
      trustedKeys: [EXAMPLE_KEY, RANDOM_KEY],
    });
    assert.deepEqual(policy, {
      substituters: [
        { url: "https://cache.example.com/", keys: [EXAMPLE_KEY] },
        { url: "https://attic.internal/fleet", keys: ["fleet:CCCC"] },
      ],
      extraTrustedKeys: [RANDOM_KEY],
    });
    const findings = checkNixSettings(parseNixConf("substituters = https://cache.nixos.org").entries, { policy, context: "nix.conf" });
    assert.deepEqual(ids(findings), ["cache-trust/substituter-not-allowed"]);
  });
});

void describe("CACHE_TRUST_RULES", () => {
  void it("documents every rule under a unique id", () => {
    const seen = new Set<string>();
    for (const rule of CACHE_TRUST_RULES) {
      assert.match(rule.id, /^cache-trust\/[a-z-]+$/);
      assert.equal(rule.category, "cache-trust");
      assert.ok(!seen.has(rule.id));
      seen.add(rule.id);
      for (const field of [rule.title, rule.help, rule.bad, rule.good]) assert.ok(field.length > 0);
    }
    assert.equal(seen.size, 10);
  });

  void it("has an invalid-setting example that parses as described", () => {
    const rule = CACHE_TRUST_RULES.find((r) => r.id === "cache-trust/invalid-setting");
    assert.ok(rule);
    const bad = parseNixConf(rule.bad);
    assert.deepEqual(
      [...ids(bad.findings), ...ids(checkNixSettings(bad.entries, { policy: POLICY, context: "nix.conf" }))],
      ["cache-trust/invalid-setting", "cache-trust/invalid-setting"],
    );
    const good = parseNixConf(rule.good);
    assert.deepEqual([...good.findings, ...checkNixSettings(good.entries, { policy: POLICY, context: "nix.conf" })], []);
  });
});
