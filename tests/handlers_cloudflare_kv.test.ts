// Runs against a real Workers KV binding served by miniflare (workerd), in every runtime.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Miniflare } from "miniflare";
import { CloudflareKvStorage, type KVNamespaceLike } from "../src/handlers/cloudflare_kv.ts";
import { assertNoSecrets, assertStorageError, sample } from "./fixtures/handlers_common.ts";

describe("CloudflareKvStorage", () => {
  let mf: Miniflare;
  let namespace: KVNamespaceLike;
  before(async () => {
    mf = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('ok') } }",
      kvNamespaces: ["TOKENS"],
      compatibilityDate: "2026-04-01",
    });
    // miniflare types the binding with @cloudflare/workers-types, which is not installed
    // (it declares globals, which a JSR package may not depend on).
    namespace = (await mf.getKVNamespace("TOKENS")) as unknown as KVNamespaceLike;
  });
  after(() => mf.dispose());

  test("round trip under the default and a custom key; null when empty; clear", async () => {
    const storage = new CloudflareKvStorage(namespace);
    assert.equal(await storage.fetch(), null);
    await storage.store(sample(1));
    assert.deepEqual(await storage.fetch(), sample(1));
    assert.deepEqual(
      JSON.parse((await namespace.get("monzo-api:credentials", "text"))!),
      sample(1),
    );

    const other = new CloudflareKvStorage(namespace, { key: "tenant:7" });
    await other.store(sample(2));
    assert.deepEqual(JSON.parse((await namespace.get("tenant:7", "text"))!), sample(2));

    await storage.clear();
    assert.equal(await storage.fetch(), null);
    assert.deepEqual(await other.fetch(), sample(2));
    await other.clear();
  });

  test("corrupt content is a MonzoStorageError, without the content", async () => {
    const storage = new CloudflareKvStorage(namespace, { key: "corrupt" });
    await namespace.put("corrupt", "access-SECRET{");
    const error = await assertStorageError(
      storage.fetch(),
      /^CloudflareKvStorage\.fetch\(\) failed: the stored content is not valid JSON$/,
      ["SECRET"],
    );
    assert.equal(error.cause, undefined);
    await namespace.put("corrupt", JSON.stringify({ ...sample(1), clientSecret: null }));
    await assertStorageError(storage.fetch(), /clientSecret is not a string/, ["SECRET"]);
  });

  test("a refused operation is a MonzoStorageError with the binding's error as cause", async () => {
    // Workers KV refuses keys over 512 bytes.
    const storage = new CloudflareKvStorage(namespace, { key: "k".repeat(600) });
    const error = await assertStorageError(
      storage.store(sample(1)),
      /^CloudflareKvStorage\.store\(\) failed: .*512/,
      ["SECRET"],
    );
    assert.ok(error.cause instanceof Error);
    assert.deepEqual(error.params, { handler: "CloudflareKvStorage", operation: "store" });
    await assertStorageError(storage.fetch(), /^CloudflareKvStorage\.fetch\(\) failed: /);
  });

  test("offers no lease: Workers KV cannot coordinate refreshes", () => {
    const storage = new CloudflareKvStorage(namespace);
    assert.equal("acquireLease" in storage, false);
  });

  test("toJSON and inspect show no secret", async () => {
    const storage = new CloudflareKvStorage(namespace);
    await storage.store(sample(1));
    assertNoSecrets(storage, "CloudflareKvStorage", ["SECRET", "r1"]);
    assert.deepEqual(storage.toJSON(), {
      storage: "CloudflareKvStorage",
      key: "monzo-api:credentials",
    });
    await storage.clear();
  });
});
