// The emulator when something other than a test reaches it: body caps, webhook targets,
// cross-site requests to its controls, uploaded files, bounded memory, unguessable secrets,
// and logins kept across a restart (snapshot / restore).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";

const API = "http://127.0.0.1:7777";

function call(
  emulator: MonzoEmulator,
  method: string,
  path: string,
  init: { token?: string; body?: BodyInit; headers?: Record<string, string>; base?: string } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return emulator.fetch(
    new Request(`${init.base ?? API}${path}`, {
      method,
      headers,
      body: init.body,
    }),
  );
}

describe("emulator safety", () => {
  it("refuses request bodies over the limit with 413, before reading them all", async () => {
    const emulator = new MonzoEmulator({ maxBodyBytes: 1024 });
    const small = await call(emulator, "POST", "/oauth2/token", { body: "x".repeat(1000) });
    assert.equal(small.status, 400);
    await small.body?.cancel();
    const big = await call(emulator, "POST", "/oauth2/token", { body: "x".repeat(1025) });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).code, "bad_request.body_too_large");

    // A streamed body without Content-Length, served over HTTP: cut at the default 4 MiB.
    const served = await serveEmulator(new MonzoEmulator());
    try {
      let sent = 0;
      const chunk = new Uint8Array(1 << 20);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 64) return controller.close();
          sent++;
          controller.enqueue(chunk);
        },
      });
      const response = await fetch(`${served.url}/oauth2/token`, {
        method: "POST",
        body,
        duplex: "half",
      } as RequestInit).catch((error) => error);
      if (response instanceof Response) {
        assert.equal(response.status, 413);
        await response.body?.cancel();
      }
      assert.ok(sent < 64, `the emulator read ${sent} MiB of a 64 MiB body`);
    } finally {
      await served.close();
    }
  });

  it("delivers webhooks only to loopback URLs unless allowRemoteWebhooks is set", async () => {
    for (const allow of [false, true]) {
      const targets: string[] = [];
      const emulator = new MonzoEmulator({
        webhookRetryDelayMs: 0,
        allowRemoteWebhooks: allow,
        fetch: (input) => {
          targets.push(String(input));
          return Promise.resolve(new Response(null, { status: 204 }));
        },
      });
      const { accessToken } = emulator.login();
      for (const url of ["https://internal.example/hook", "http://127.0.0.1:9/hook"]) {
        const created = await call(emulator, "POST", "/webhooks", {
          token: accessToken,
          body: new URLSearchParams({ account_id: emulator.accounts.current, url }),
        });
        assert.equal(created.status, 200);
      }
      emulator.addTransaction(emulator.accounts.current, { amount: -100 });
      await emulator.deliveries();
      assert.deepEqual(
        targets.sort(),
        allow
          ? ["http://127.0.0.1:9/hook", "https://internal.example/hook"]
          : ["http://127.0.0.1:9/hook"],
      );
      assert.equal(emulator.counters.webhookFailures, allow ? 0 : 1);
    }
  });

  it("refuses cross-site and DNS-rebound requests to its controls and approval page", async () => {
    const emulator = new MonzoEmulator();
    emulator.login({ approved: false });
    const cases: [string, string, string | undefined, number][] = [
      ["/_emulator/approve", API, "https://evil.example", 403],
      ["/_emulator/transactions", API, "https://evil.example", 403],
      ["/_emulator/approve", "http://rebind.test:7777", "http://rebind.test:7777", 403],
      ["/auth/approve", API, "https://evil.example", 403],
      ["/auth/approve", "http://rebind.test:7777", "http://rebind.test:7777", 403],
    ];
    for (const [path, base, origin, status] of cases) {
      const response = await call(emulator, "POST", path, {
        base,
        headers: origin ? { origin } : {},
        body: new URLSearchParams({ account_id: emulator.accounts.current }),
      });
      assert.equal(response.status, status, `${base}${path} from ${origin}`);
      await response.body?.cancel();
    }
    assert.equal(emulator.counters.requests, 0, "refused before anything ran");
    const own = await call(emulator, "POST", "/_emulator/approve", { headers: { origin: API } });
    assert.deepEqual(await own.json(), { approved: 1 });
    const script = await call(emulator, "GET", "/_emulator/counters");
    assert.equal(script.status, 200, "requests without Origin (tests, curl) still work");
    await script.body?.cancel();
  });

  it("serves uploaded files as downloads, never with the uploader's type", async () => {
    const emulator = new MonzoEmulator();
    const { accessToken } = emulator.login();
    const page = new TextEncoder().encode("<script>alert(document.domain)</script>");
    const upload = await (await call(emulator, "POST", "/attachment/upload", {
      token: accessToken,
      body: new URLSearchParams({
        file_name: "x.html",
        file_type: "text/html",
        content_length: String(page.length),
      }),
    })).json();
    const put = await emulator.fetch(
      new Request(upload.upload_url, {
        method: "PUT",
        headers: { "content-type": "text/html" },
        body: page,
      }),
    );
    assert.equal(put.status, 200);
    const served = await emulator.fetch(new Request(upload.file_url));
    assert.equal(served.headers.get("content-type"), "application/octet-stream");
    assert.equal(served.headers.get("x-content-type-options"), "nosniff");
    assert.equal(served.headers.get("content-disposition"), "attachment");
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), page);
  });

  it("keeps a bounded number of consent requests", async () => {
    const emulator = new MonzoEmulator();
    const authorize = async () => {
      const query = new URLSearchParams({
        client_id: emulator.client.id,
        redirect_uri: emulator.client.redirectUris[0],
        response_type: "code",
      });
      const page = await (await call(emulator, "GET", `/auth/?${query}`)).text();
      return /name="consent_id" value="([^"]+)"/.exec(page)![1];
    };
    const first = await authorize();
    for (let i = 0; i < 1000; i++) await authorize();
    const answer = await call(emulator, "POST", "/auth/consent", {
      body: new URLSearchParams({ consent_id: first, decision: "allow" }),
    });
    assert.match(await answer.text(), /unknown or was already answered/);
  });

  it("gives the default client an unguessable secret that still works", async () => {
    const [a, b] = [new MonzoEmulator({ seed: 3 }), new MonzoEmulator({ seed: 3 })];
    assert.notEqual(a.client.secret, b.client.secret);
    assert.match(a.client.secret, /^mnzconf\.[0-9A-Za-z]{64}$/);
    const code = a.authorize();
    const token = await call(a, "POST", "/oauth2/token", {
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: a.client.id,
        client_secret: a.client.secret,
        redirect_uri: a.client.redirectUris[0],
        code,
      }),
    });
    assert.equal(token.status, 200);
    await token.body?.cancel();
  });

  it("keeps clients and logins across a restart through snapshot and restore", async () => {
    const first = new MonzoEmulator();
    const extra = first.addClient({ redirectUris: ["http://127.0.0.1:1/cb"] });
    const { accessToken, refreshToken } = first.login();
    const saved = JSON.parse(JSON.stringify(first.snapshot()));
    assert.equal(JSON.stringify(saved).includes(first.client.secret), true);

    const second = new MonzoEmulator({ restore: saved });
    assert.equal(second.client.id, first.client.id);
    assert.equal(second.client.secret, first.client.secret);
    assert.deepEqual(
      second.addClient({ redirectUris: [], id: "oauth2client_probe" }).id,
      "oauth2client_probe",
    );
    assert.equal(second.tokenStatus(accessToken), "active");
    const accounts = await call(second, "GET", "/accounts", { token: accessToken });
    assert.equal(accounts.status, 200);
    assert.equal((await accounts.json()).accounts[0].owners[0].user_id, second.user.id);
    const refreshed = await call(second, "POST", "/oauth2/token", {
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: second.client.id,
        client_secret: second.client.secret,
        refresh_token: refreshToken!,
      }),
    });
    assert.equal(refreshed.status, 200);
    await refreshed.body?.cancel();
    assert.equal(second.tokenStatus(accessToken), "rotated");
    const extraAgain = second.snapshot().clients.find((client) => client.id === extra.id);
    assert.equal(extraAgain?.secret, extra.secret);
  });
});
