// MonzoTokens and DurableObjectStorage under workerd (miniflare), in every runtime: the
// handler contract against the real object, then many concurrent requests in several Worker
// isolates sharing one login through it, against the emulator served on loopback.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Miniflare } from "miniflare";
import { MonzoArgumentError } from "../src/errors.ts";
import {
  type DurableObjectNamespaceLike,
  DurableObjectStorage,
} from "../src/handlers/durable_object.ts";
import type { Credentials } from "../src/storage.ts";
import { type RecordingEmulator, sleep, startRecordingEmulator } from "./_reliability.ts";
import { bundleWorker } from "./fixtures/do_bundle.ts";
import { assertNoSecrets, assertStorageError, sample } from "./fixtures/handlers_common.ts";

const APPS = ["app0", "app1", "app2"];
const COMPATIBILITY_DATE = "2026-04-01";

/** The part of miniflare's Fetcher used here (its types need @cloudflare/workers-types). */
interface WorkerLike {
  fetch(url: string): Promise<Response>;
}

/** A token set of generation `g`, with a field this library does not know. */
function set(g: number): Credentials {
  return { ...sample(g), generation: g, extra: { note: `kept ${g}` } } as Credentials;
}

describe("DurableObjectStorage and MonzoTokens under workerd", () => {
  let served: RecordingEmulator;
  let mf: Miniflare;
  let namespace: DurableObjectNamespaceLike;
  let apps: WorkerLike[];

  before(async () => {
    served = await startRecordingEmulator();
    const script = await bundleWorker("tests/fixtures/do_worker.ts");
    const options = served.options({ storeTimeoutMs: 10_000, leaseTtlMs: 5_000 });
    const bindings = { MONZO_OPTIONS: JSON.stringify(options) };
    mf = new Miniflare({
      workers: [
        // The object lives in its own Worker; several app Workers (isolates) bind it.
        {
          name: "tokens",
          modules: true,
          script,
          compatibilityDate: COMPATIBILITY_DATE,
          bindings,
          durableObjects: { MONZO_TOKENS: "MonzoTokens" },
        },
        ...APPS.map((name) => ({
          name,
          modules: true,
          script,
          compatibilityDate: COMPATIBILITY_DATE,
          bindings,
          durableObjects: { MONZO_TOKENS: { className: "MonzoTokens", scriptName: "tokens" } },
        })),
      ],
    });
    // miniflare types these with @cloudflare/workers-types, which is not installed.
    namespace = (await mf.getDurableObjectNamespace(
      "MONZO_TOKENS",
      "tokens",
    )) as unknown as DurableObjectNamespaceLike;
    apps = await Promise.all(
      APPS.map(async (name) => (await mf.getWorker(name)) as unknown as WorkerLike),
    );
  });

  after(async () => {
    await mf?.dispose();
    await served?.close();
  });

  describe("the handler contract", () => {
    test("round trip of the whole object; null when empty; one object per key; clear", async () => {
      const storage = new DurableObjectStorage(namespace, { key: "t:round" });
      assert.equal(await storage.fetch(), null);
      await storage.store(set(3));
      assert.deepEqual(await storage.fetch(), set(3));
      const other = new DurableObjectStorage(namespace, { key: "t:other" });
      assert.equal(await other.fetch(), null);
      await other.store(set(7));
      await storage.clear();
      assert.equal(await storage.fetch(), null);
      assert.deepEqual(await other.fetch(), set(7));
    });

    test("storeIf writes only over the expected generation (null: nothing stored)", async () => {
      const storage = new DurableObjectStorage(namespace, { key: "t:cas" });
      assert.equal(await storage.storeIf(set(1), 0), false, "nothing stored is not 0");
      assert.equal(await storage.storeIf(set(1), null), true);
      assert.equal(await storage.storeIf(set(9), null), false);
      assert.equal(await storage.storeIf(set(2), 2), false);
      assert.equal(await storage.storeIf(set(2), 1), true);
      await storage.store(sample(5)); // no generation: counts as 0
      assert.equal(await storage.storeIf(set(1), 0), true);
      assert.deepEqual(await storage.fetch(), set(1));
    });

    test("storeIf is atomic under contention: one winner per generation", async () => {
      const key = "t:contention";
      await new DurableObjectStorage(namespace, { key }).store(set(0));
      for (let g = 1; g <= 5; g++) {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            new DurableObjectStorage(namespace, { key }).storeIf(
              { ...set(g), accessToken: `winner-${i}` },
              g - 1,
            )),
        );
        assert.equal(results.filter(Boolean).length, 1, `generation ${g}`);
        const stored = await new DurableObjectStorage(namespace, { key }).fetch();
        assert.equal(stored?.generation, g);
        assert.equal(stored?.accessToken, `winner-${results.indexOf(true)}`);
      }
    });

    test("the lease is exclusive, renewed and released by its owner only", async () => {
      const key = "t:lease";
      const a = new DurableObjectStorage(namespace, { key });
      const b = new DurableObjectStorage(namespace, { key });
      const leaseA = await a.acquireLease(60_000);
      assert.ok(leaseA);
      assert.equal(await b.acquireLease(60_000), null);
      assert.equal(await leaseA.renew!(60_000), true);

      // A's lease runs out: B takes it, and A can neither renew nor release B's.
      assert.equal(await leaseA.renew!(1), true);
      let leaseB = await b.acquireLease(60_000);
      while (!leaseB) {
        await sleep(2);
        leaseB = await b.acquireLease(60_000);
      }
      assert.equal(await leaseA.renew!(60_000), false);
      await leaseA.release();
      assert.equal(await a.acquireLease(60_000), null, "B still holds it");
      assert.equal(await leaseB.renew!(60_000), true);
      await leaseB.release();
      await leaseB.release(); // twice is harmless
      const again = await a.acquireLease(60_000);
      assert.ok(again);
      await again.release();

      const leases = await Promise.all(
        Array.from(
          { length: 20 },
          () => new DurableObjectStorage(namespace, { key }).acquireLease(60_000),
        ),
      );
      assert.equal(leases.filter(Boolean).length, 1);
      await leases.find(Boolean)!.release();
    });

    test("bad input is a typed error before any request", async () => {
      let requests = 0;
      const counted: DurableObjectNamespaceLike = {
        idFromName: (name) => namespace.idFromName(name),
        get: (id) => (requests++, namespace.get(id)),
      };
      const storage = new DurableObjectStorage(counted, { key: "t:bad" });
      await assert.rejects(storage.acquireLease(0), MonzoArgumentError);
      await assert.rejects(storage.storeIf(set(1), -1), MonzoArgumentError);
      await assertStorageError(
        storage.store({ ...set(1), generation: 1.5 }),
        /generation is not/,
        ["SECRET"],
      );
      await assertStorageError(
        storage.storeIf({ ...set(1), refreshToken: 5 } as unknown as Credentials, null),
        /refreshToken is not a string/,
        ["SECRET"],
      );
      assert.equal(requests, 0);
      assert.throws(
        () => new DurableObjectStorage({} as DurableObjectNamespaceLike),
        MonzoArgumentError,
      );
      assert.throws(() => new DurableObjectStorage(namespace, { key: "" }), MonzoArgumentError);
    });

    test("the object refuses what is not an operation, without quoting it", async () => {
      const stub = namespace.get(namespace.idFromName("t:raw"));
      const response = await stub.fetch("https://monzo-tokens/store", {
        method: "POST",
        body: JSON.stringify({ op: "store", credentials: { accessToken: "access-SECRET" } }),
      });
      assert.equal(response.status, 400);
      const { error } = await response.json();
      assert.match(error, /clientId is not a string/);
      assert.ok(!error.includes("SECRET"));
      assert.equal(
        (await stub.fetch("https://monzo-tokens/x", { method: "POST", body: "{" })).status,
        400,
      );
    });

    test("toJSON and inspect show no secret", async () => {
      const storage = new DurableObjectStorage(namespace, { key: "t:show" });
      await storage.store(set(1));
      assertNoSecrets(storage, "DurableObjectStorage", ["SECRET", "r1"]);
      assert.deepEqual(storage.toJSON(), { storage: "DurableObjectStorage", key: "t:show" });
    });
  });

  describe("many requests in several isolates share one login", () => {
    const PER_APP = 8;
    let storage: DurableObjectStorage;
    let expiresIn: number;
    let failures: unknown[];
    let sent = 0;
    let failedCount = 0;

    /** `PER_APP` concurrent requests to each app Worker; the answers that were not ok. */
    async function burst(path = "/whoami"): Promise<unknown[]> {
      const answers = await Promise.all(
        apps.flatMap((app) =>
          Array.from({ length: PER_APP }, async () => {
            const response = await app.fetch(`http://localhost${path}`);
            return await response.json() as { ok: boolean };
          })
        ),
      );
      sent += answers.length;
      const failed = answers.filter((answer) => !answer.ok);
      failedCount += failed.length;
      return failed;
    }

    before(async () => {
      storage = new DurableObjectStorage(namespace);
      const tokens = served.login();
      expiresIn = tokens.expiresIn;
      const { emulator } = served;
      await storage.store({
        accessToken: tokens.accessToken,
        clientId: emulator.client.id,
        clientSecret: emulator.client.secret,
        expiry: tokens.expiry,
        refreshToken: tokens.refreshToken,
        generation: 1,
      });
      failures = await burst();
      assert.deepEqual(failures, []);
    });

    test("each expiry: exactly one grant, no reuse, no failed request", async () => {
      const { emulator } = served;
      for (let expiry = 1; expiry <= 3; expiry++) {
        const before = (await storage.fetch())!;
        const grants = emulator.counters.grants.refresh_token;
        emulator.advanceTime(expiresIn + 60); // expired for Monzo; the Workers learn it by a 401
        assert.deepEqual(await burst(), [], `expiry ${expiry}`);
        assert.equal(emulator.counters.grants.refresh_token, grants + 1, `expiry ${expiry}`);
        assert.equal(emulator.counters.refreshReuses, 0);
        const after = (await storage.fetch())!;
        assert.equal(after.generation, before.generation! + 1);
        assert.equal(emulator.tokenStatus(after.accessToken), "active");
        assert.equal(emulator.tokenStatus(before.refreshToken!), "rotated");
      }
    });

    test("a login elsewhere mid-flight (401 evicted): adopted, no refresh, no failure", async () => {
      const { emulator } = served;
      const before = (await storage.fetch())!;
      const grants = emulator.counters.grants.refresh_token;
      // The first requests are held at the API until the new login has replaced their token.
      emulator.injectFault({ path: "/ping/whoami", delayMs: 1000, count: PER_APP });
      const hits = served.hits.get("/ping/whoami") ?? 0;
      const inFlight = burst();
      await sleep(50);
      const code = emulator.authorize({});
      const login = await (await apps[0].fetch(`http://localhost/callback?code=${code}`)).json();
      assert.deepEqual(login, { ok: true });
      assert.equal(emulator.tokenStatus(before.accessToken), "evicted");
      assert.deepEqual(await inFlight, []);
      // Each held request was answered 401 evicted and sent again with the new login.
      assert.equal(served.hits.get("/ping/whoami")! - hits, APPS.length * PER_APP + PER_APP);
      assert.deepEqual(await burst(), []);
      const after = (await storage.fetch())!;
      assert.ok(after.generation! > before.generation!);
      assert.equal(
        emulator.counters.grants.refresh_token,
        grants,
        "an evicted set is not refreshed",
      );
      assert.equal(emulator.counters.refreshReuses, 0);

      // And the new login expires like any other: one grant.
      emulator.advanceTime(expiresIn + 60);
      assert.deepEqual(await burst(), []);
      assert.equal(emulator.counters.grants.refresh_token, grants + 1);
      assert.equal(emulator.counters.refreshReuses, 0);
      console.log(
        `durable object shared login: ${APPS.length} isolates x ${PER_APP} concurrent requests, ` +
          `4 expiries + 1 login mid-flight: refresh grants ${emulator.counters.grants.refresh_token}, ` +
          `reuses ${emulator.counters.refreshReuses}, requests ${sent}, failed ${failedCount}`,
      );
    });
  });
});
