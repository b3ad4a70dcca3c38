/** Generated docs stay in step with the code: run `npm run docs` after changing rules or the config schema. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderRulesMarkdown } from "../../src/cli/guard/rules-markdown.js";
import { ALL_RULES } from "../../src/guard/rules.js";
import { guardConfigJsonSchema } from "../../src/guard/config.js";
import { trustPolicyJsonSchema } from "../../src/cache/trust-policy.js";
import { REPO_ROOT } from "../harness/cli.js";
import { renderContractMarkdown } from "../../src/cli/contract/contract-markdown.js";
import { CONTRACT, contractConfigJsonSchema, factsJsonSchema } from "../../src/contract/index.js";
import { openApiDocument } from "../../src/server/openapi.js";

test("docs/security/ci-guardrails.md documents every rule, as generated from the catalog", () => {
  const page = readFileSync(join(REPO_ROOT, "docs/security/ci-guardrails.md"), "utf8");
  assert.ok(page.includes(renderRulesMarkdown(ALL_RULES)), "rule reference is stale: run `npm run docs`");
  for (const rule of ALL_RULES) assert.ok(page.includes(`#### \`${rule.id}\``), `${rule.id} is not documented`);
});

test("schema/guard-config.schema.json is the published schema of the config file", () => {
  const published = JSON.parse(readFileSync(join(REPO_ROOT, "schema/guard-config.schema.json"), "utf8")) as unknown;
  assert.deepEqual(published, guardConfigJsonSchema(), "stale schema: run `npm run docs`");
});

test("schema/trust-policy.schema.json is the published schema of the trust policy file", () => {
  const published = JSON.parse(readFileSync(join(REPO_ROOT, "schema/trust-policy.schema.json"), "utf8")) as unknown;
  assert.deepEqual(published, trustPolicyJsonSchema(), "stale schema: run `npm run docs`");
});

test("docs/runtime/host-os.md carries the host-contract table generated from the catalog", () => {
  const page = readFileSync(join(REPO_ROOT, "docs/runtime/host-os.md"), "utf8");
  const start = page.indexOf("<!-- contract:start");
  const end = page.indexOf("<!-- contract:end -->");
  assert.ok(start > 0 && end > start, "contract markers missing");
  assert.equal(page.slice(page.indexOf("\n", start) + 1, end).trim(), renderContractMarkdown(CONTRACT).trim(), "contract table is stale: run `npm run docs`");
  for (const c of CONTRACT) assert.ok(page.includes(`<a id="${c.id.replace(/[^a-z0-9-]/g, "-")}"></a>`), `${c.id} has no anchor`);
});

test("schema/contract-config.schema.json and schema/contract-facts.schema.json are the published schemas", () => {
  for (const [file, schema] of [["contract-config", contractConfigJsonSchema()], ["contract-facts", factsJsonSchema()]] as const) {
    const published = JSON.parse(readFileSync(join(REPO_ROOT, `schema/${file}.schema.json`), "utf8")) as unknown;
    assert.deepEqual(published, schema, `stale schema/${file}.schema.json: run \`npm run docs\``);
  }
});

test("docs/api/openapi.json is the OpenAPI document the server serves", () => {
  const published = JSON.parse(readFileSync(join(REPO_ROOT, "docs/api/openapi.json"), "utf8")) as unknown;
  assert.deepEqual(published, openApiDocument(), "stale docs/api/openapi.json: run `npm run docs`");
});
