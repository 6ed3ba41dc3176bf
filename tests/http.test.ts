// The wire: encoding, retries, timeouts and the mapping of every error status.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  Authentication,
  MonzoAuthenticationError,
  type MonzoError,
  MonzoHTTPError,
  MonzoNetworkError,
  MonzoPermissionsError,
  MonzoRateError,
  MonzoResponseError,
  MonzoServerError,
} from "../mod.ts";
import { encodeQuery, parseRetryAfter, send, type TransportConfig } from "../src/http.ts";
import { type ServedEmulator, startEmulator } from "./_emulator.ts";

async function withAuth(
  fn: (auth: Authentication, served: ServedEmulator) => Promise<void>,
  extra = {},
): Promise<void> {
  const served = await startEmulator();
  try {
    const tokens = served.emulator.login();
    await fn(
      new Authentication(served.options({
        accessToken: tokens.accessToken,
        accessTokenExpiry: tokens.expiry,
        refreshToken: tokens.refreshToken,
        ...extra,
      })),
      served,
    );
  } finally {
    await served.close();
  }
}

test("encodeQuery uses Monzo's bracket notation and skips empty values", () => {
  const encoded = new URLSearchParams(encodeQuery({
    account_id: "acc_1",
    expand: ["merchant"],
    metadata: { notes: "lunch & co", gone: "" },
    limit: 10,
    skipped: undefined,
    nothing: null,
  }));
  assert.deepEqual([...encoded], [
    ["account_id", "acc_1"],
    ["expand[]", "merchant"],
    ["metadata[notes]", "lunch & co"],
    ["metadata[gone]", ""],
    ["limit", "10"],
  ]);
  assert.equal(
    encoded.toString(),
    "account_id=acc_1&expand%5B%5D=merchant&metadata%5Bnotes%5D=lunch+%26+co&metadata%5Bgone%5D=&limit=10",
  );
});

test("parseRetryAfter reads seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("3"), 3);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  const inTen = parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())!;
  assert.ok(inTen > 8 && inTen <= 10, String(inTen));
});

test("GET is retried after 503, 500, 504 and a dropped connection", async () => {
  await withAuth(async (auth, { emulator }) => {
    for (const fault of [{ status: 503 }, { status: 500 }, { status: 504 }, { drop: true }]) {
      emulator.injectFault({ path: "/balance", count: 2, ...fault });
      const before = emulator.counters.requests;
      const body = await auth.request("GET", "/balance", {
        query: { account_id: emulator.accounts.current },
      });
      assert.equal(typeof (body as { balance: number }).balance, "number");
      assert.equal(emulator.counters.requests - before, 3, JSON.stringify(fault));
    }
  });
});

test("429 honours Retry-After, and gives up at once when it is too long", async () => {
  await withAuth(async (auth, { emulator }) => {
    emulator.injectFault({ path: "/accounts", status: 429, retryAfter: 0.2 });
    const started = Date.now();
    await auth.request("GET", "/accounts");
    assert.ok(Date.now() - started >= 190);
    emulator.injectFault({ path: "/accounts", status: 429, retryAfter: 120 });
    const before = emulator.counters.requests;
    await assert.rejects(
      auth.request("GET", "/accounts"),
      (e) => e instanceof MonzoRateError && e.retryAfter === 120 && e.status === 429,
    );
    assert.equal(emulator.counters.requests - before, 1);
  });
});

test("the retry budget runs out with the last error", async () => {
  await withAuth(async (auth, { emulator }) => {
    emulator.injectFault({ path: "/accounts", status: 503, count: 10 });
    const before = emulator.counters.requests;
    await assert.rejects(auth.request("GET", "/accounts"), MonzoServerError);
    assert.equal(emulator.counters.requests - before, 2);
  }, { maxRetries: 1 });
});

test("writes are not retried unless marked idempotent; the token request never is", async () => {
  await withAuth(async (auth, { emulator }) => {
    emulator.injectFault({ path: "/feed", status: 500 });
    const form = {
      account_id: emulator.accounts.current,
      type: "basic",
      params: { title: "Hi", image_url: "https://example.com/i.png" },
    };
    await assert.rejects(auth.request("POST", "/feed", { form }), MonzoServerError);
    assert.equal(emulator.feedItems.length, 0);
    emulator.injectFault({ path: "/feed", status: 500 });
    await auth.request("POST", "/feed", { form, idempotent: true });
    assert.equal(emulator.feedItems.length, 1);

    emulator.injectFault({ path: "/oauth2/token", status: 503 });
    await assert.rejects(auth.refreshAccessToken(), MonzoServerError);
    assert.equal(emulator.counters.tokenRequests, 1);
  });
});

test("a slow answer times out with a typed network error", async () => {
  await withAuth(async (auth, { emulator }) => {
    emulator.injectFault({ path: "/accounts", delayMs: 1000 });
    await assert.rejects(
      auth.request("GET", "/accounts"),
      (e) =>
        e instanceof MonzoNetworkError && e.timedOut && /timed out after 150 ms/.test(e.message),
    );
  }, { timeoutMs: 150, maxRetries: 0 });
});

test("a refused connection is a network error with its cause", async () => {
  const served = await startEmulator();
  const options = served.options({ accessToken: "t", maxRetries: 0 });
  await served.close();
  await assert.rejects(
    new Authentication(options).request("GET", "/accounts"),
    (e) => e instanceof MonzoNetworkError && !e.timedOut && e.cause !== undefined,
  );
});

test("every error status maps to its class with Monzo's code and params", async () => {
  await withAuth(async (auth, { emulator }) => {
    const cases: [number, string, new (...a: never[]) => MonzoError][] = [
      [400, "bad_request.missing_param.account_id", MonzoHTTPError],
      [404, "not_found.pot", MonzoHTTPError],
      [405, "method_not_allowed", MonzoHTTPError],
      [401, "unauthorized.bad_access_token", MonzoAuthenticationError],
      [403, "forbidden.insufficient_permissions", MonzoPermissionsError],
      [403, "forbidden.verification_required", MonzoPermissionsError],
      [429, "rate_limited", MonzoRateError],
      [500, "internal_service", MonzoServerError],
      [503, "unknown", MonzoServerError],
      [504, "timeout", MonzoServerError],
    ];
    for (const [status, code, type] of cases) {
      emulator.injectFault({ path: "/webhooks", status, code, message: "Nope" });
      await assert.rejects(
        auth.request("POST", "/webhooks", { form: { account_id: "acc_x", url: "https://x" } }),
        (e) =>
          e instanceof type && e.status === status && e.code === code && e.message.includes("Nope"),
        `${status} ${code}`,
      );
    }
    emulator.injectFault({
      path: "/webhooks",
      status: 403,
      code: "forbidden.verification_required",
    });
    await assert.rejects(
      auth.request("POST", "/webhooks", { form: {} }),
      (e) =>
        e instanceof MonzoPermissionsError && e.reason === "verification_required" &&
        /90 days/.test(e.message),
    );
  });
});

test("a 404 carries Monzo's params; a non-JSON error page still maps by status", async () => {
  await withAuth(async (auth, { emulator }) => {
    await assert.rejects(
      auth.request("GET", "/balance"),
      (e) =>
        e instanceof MonzoHTTPError && e.status === 400 &&
        e.code === "bad_request.missing_param.account_id",
    );
    emulator.injectFault({
      path: "/accounts",
      status: 502,
      body: "<html>Bad gateway</html>",
      contentType: "text/html",
    });
    await assert.rejects(
      auth.request("GET", "/accounts", { idempotent: false }),
      (e) => e instanceof MonzoServerError && e.status === 502 && /text\/html/.test(e.message),
    );
  });
});

test("a 2xx body that is not JSON is a response error", async () => {
  await withAuth(async (auth, { emulator }) => {
    emulator.injectFault({
      path: "/accounts",
      status: 200,
      body: "<html>",
      contentType: "text/html",
    });
    await assert.rejects(
      auth.request("GET", "/accounts"),
      (e) => e instanceof MonzoResponseError && e.status === 200,
    );
    emulator.injectFault({
      path: "/accounts",
      status: 200,
      body: '{"accounts": [',
      contentType: "application/json",
    });
    await assert.rejects(auth.request("GET", "/accounts"), MonzoResponseError);
  });
});

test("an aborted request rejects with the abort reason and is not retried", async () => {
  await withAuth(async (auth, { emulator }) => {
    emulator.injectFault({ path: "/accounts", delayMs: 500 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user gave up")), 50);
    await assert.rejects(
      auth.request("GET", "/accounts", { signal: controller.signal }),
      /user gave up/,
    );
  });
});

/** A loopback server whose handler is given; resolves with its URL and a closer. */
async function serveRaw(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function transport(timeoutMs: number): TransportConfig {
  return {
    fetch: (input, init) => fetch(input, init),
    timeoutMs,
    maxRetries: 0,
    retryDelayMs: 1,
    secrets: () => [],
  };
}

test("the timeout covers the body: headers in time, a body that stalls, times out", async () => {
  const server = await serveRaw((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.write('{"accounts":[');
  });
  try {
    await assert.rejects(
      send(transport(200), "GET /accounts", `${server.url}/accounts`, {}, true),
      (e) => e instanceof MonzoNetworkError && e.timedOut,
    );
  } finally {
    await server.close();
  }
});

test("one timer serves attempts of different deadlines: a short one added later still fires", async () => {
  const server = await serveRaw((request, response) => {
    // /slow answers after the short attempt's deadline and before the long one's.
    const answer = () => response.end(JSON.stringify({ path: request.url }));
    if (request.url === "/stall") return;
    setTimeout(answer, request.url === "/slow" ? 400 : 0);
  });
  try {
    const long = send(transport(20_000), "GET /slow", `${server.url}/slow`, {}, true);
    const short = send(transport(100), "GET /stall", `${server.url}/stall`, {}, true);
    await assert.rejects(short, (e) => e instanceof MonzoNetworkError && e.timedOut);
    assert.equal(JSON.parse((await long).text).path, "/slow");
    // Many quick attempts in a row, each watched and released: none is aborted.
    for (let i = 0; i < 50; i++) {
      const quick = await send(transport(5_000), "GET /q", `${server.url}/q${i}`, {}, true);
      assert.equal(JSON.parse(quick.text).path, `/q${i}`);
    }
    // And a short deadline after all of them still fires.
    await assert.rejects(
      send(transport(100), "GET /stall", `${server.url}/stall`, {}, true),
      (e) => e instanceof MonzoNetworkError && e.timedOut,
    );
  } finally {
    await server.close();
  }
});

test("a finished request leaves no timer that keeps the process alive", async () => {
  const runtime = (globalThis as { Deno?: unknown; Bun?: unknown }).Deno
    ? ["run", "-A", "--no-check"]
    : (globalThis as { Bun?: unknown }).Bun
    ? []
    : ["--import", "tsx"];
  const server = await serveRaw((_request, response) => response.end("{}"));
  try {
    const script = fileURLToPath(new URL("./fixtures/http_one_request.ts", import.meta.url));
    const child = spawn(process.execPath, [...runtime, script, server.url], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => out += chunk);
    // The request's timeout is 10 minutes: an exit before the test runner's own limit means
    // nothing waited for it.
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
    assert.equal(out.trim(), "200 {}");
  } finally {
    await server.close();
  }
});

test("encodeQuery writes exactly what URLSearchParams writes, for any text", () => {
  const texts = [
    "plain",
    "a b",
    "!'()~*-._",
    "2026-05-01T00:00:00.000Z",
    "£5 ☕ 🍕",
    "ümlaut/?#[]@$,;+=%&",
    "\uD800lone",
    "",
  ];
  for (const text of texts) {
    const params = { [text || "k"]: text, list: [text, null, text], map: { [text]: text } };
    const expected = new URLSearchParams();
    expected.append(text || "k", text);
    expected.append("list[]", text), expected.append("list[]", text);
    expected.append(`map[${text}]`, text);
    assert.equal(encodeQuery(params), expected.toString(), JSON.stringify(text));
  }
  assert.equal(encodeQuery({ a: undefined, b: null, c: [] }), "");
});
