/**
 * The HTTP adapter against a real node:http server on loopback: results for
 * 200 and 404, typed errors for everything else, credentials kept out of
 * messages (and sent as Basic auth instead).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { HttpError, fetchText, redactUrl } from "../../src/http/index.js";
import { serve, type TestServer } from "./_static-server.js";

function isHttpError(code: string, ...patterns: RegExp[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof HttpError, `expected HttpError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe("fetchText", () => {
  let server: TestServer;
  let lastAuth: string | undefined;
  before(async () => {
    server = await serve((req, res) => {
      lastAuth = req.headers.authorization;
      switch (req.url) {
        case "/ok": return void res.writeHead(200).end("StorePath: x\n");
        case "/missing": return void res.writeHead(404).end("no such file\n");
        case "/boom": return void res.writeHead(500).end("internal\n");
        case "/forbidden": return void res.writeHead(403).end();
        case "/big": return void res.writeHead(200).end("x".repeat(4096));
        case "/hang": return; // never answers
        default: return void res.writeHead(404).end();
      }
    });
  });
  after(() => server.close());

  test("200 gives the text, 404 gives status 404", async () => {
    assert.deepEqual(await fetchText(`${server.url}/ok`, { timeoutMs: 5000 }), { status: 200, text: "StorePath: x\n" });
    assert.deepEqual(await fetchText(`${server.url}/missing`, { timeoutMs: 5000 }), { status: 404 });
  });

  test("other statuses are http-status errors naming the URL and the status", async () => {
    await assert.rejects(fetchText(`${server.url}/boom`, { timeoutMs: 5000 }), (e: unknown) => {
      isHttpError("http-status", /answered 500/, new RegExp(`${server.url}/boom`))(e);
      assert.equal((e as HttpError).status, 500);
      assert.equal((e as HttpError).url, `${server.url}/boom`);
      return true;
    });
    await assert.rejects(fetchText(`${server.url}/forbidden`, { timeoutMs: 5000 }), isHttpError("http-status", /answered 403/));
    await assert.rejects(fetchText(`${server.url}/big`, { timeoutMs: 5000, maxBytes: 1024 }), isHttpError("http-status", /body over 1024 bytes/));
  });

  test("a server that does not answer in time is a timeout", async () => {
    const started = performance.now();
    await assert.rejects(fetchText(`${server.url}/hang`, { timeoutMs: 200 }), isHttpError("timeout", /timed out after 200 ms/, /\/hang/));
    assert.ok(performance.now() - started < 3000);
  });

  test("the caller's signal cancels with its own reason, not an HttpError", async () => {
    const controller = new AbortController();
    const pending = fetchText(`${server.url}/hang`, { timeoutMs: 10_000, signal: controller.signal });
    controller.abort(new Error("stop"));
    await assert.rejects(pending, /stop/);
  });

  test("a closed port is cannot-connect, naming the URL", async () => {
    const closed = await serve(() => undefined);
    await closed.close();
    await assert.rejects(fetchText(`${closed.url}/nix-cache-info`, { timeoutMs: 5000 }), isHttpError("cannot-connect", /connection refused/, new RegExp(`Cannot connect to ${closed.url}/nix-cache-info`)));
  });

  test("bad URLs are bad-url", async () => {
    await assert.rejects(fetchText("not a url", { timeoutMs: 1000 }), isHttpError("bad-url", /not a valid URL/));
    await assert.rejects(fetchText("ftp://example.org/x", { timeoutMs: 1000 }), isHttpError("bad-url", /only http:\/\/ and https:\/\//));
  });

  test("credentials in the URL are sent as Basic auth and never appear in errors", async () => {
    const port = new URL(server.url).port;
    assert.equal((await fetchText(`http://ci:s3cret@127.0.0.1:${port}/ok`, { timeoutMs: 5000 })).status, 200);
    assert.equal(lastAuth, `Basic ${Buffer.from("ci:s3cret").toString("base64")}`);
    await assert.rejects(fetchText(`http://ci:s3cret@127.0.0.1:${port}/boom`, { timeoutMs: 5000 }), (e: unknown) => {
      isHttpError("http-status")(e);
      const err = e as HttpError;
      assert.ok(!err.message.includes("s3cret") && !err.url.includes("s3cret"), err.message);
      assert.match(err.message, new RegExp(`http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/boom`));
      return true;
    });
  });

  test("redactUrl removes userinfo only", () => {
    assert.equal(redactUrl("https://u:p@cache.example.org/a?b=c@d"), "https://***@cache.example.org/a?b=c@d");
    assert.equal(redactUrl("https://token@cache.example.org"), "https://***@cache.example.org");
    assert.equal(redactUrl("https://cache.example.org/x@y"), "https://cache.example.org/x@y");
    assert.equal(redactUrl("file:///tmp/cache"), "file:///tmp/cache");
    assert.equal(redactUrl("no scheme@all"), "no scheme@all");
  });
});
