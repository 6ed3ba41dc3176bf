import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { EchoStorage } from "../src/handlers/echo.ts";
import { assertNoSecrets, assertStorageError, sample } from "./fixtures/handlers_common.ts";

const sha8 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 8);

describe("EchoStorage", () => {
  test("fetch is null until something is stored, then returns a copy of it", async () => {
    const echo = new EchoStorage({ write: () => {} });
    assert.equal(await echo.fetch(), null);
    await echo.store(sample(1));
    const fetched = await echo.fetch();
    assert.deepEqual(fetched, sample(1));
    fetched!.accessToken = "changed";
    assert.deepEqual(await echo.fetch(), sample(1));
    await echo.store(sample(2));
    assert.deepEqual(await echo.fetch(), sample(2));
    await echo.clear();
    assert.equal(await echo.fetch(), null);
  });

  test("prints client id, expiry and SHA-256 fingerprints, never a secret", async () => {
    const lines: string[] = [];
    const echo = new EchoStorage({ write: (line) => lines.push(line) });
    const first = sample(1);
    await echo.store(first);
    await echo.store({ ...sample(2), refreshToken: undefined });
    assert.equal(lines.length, 2);
    assert.equal(
      lines[0],
      `EchoStorage: new credentials stored for oauth2client_test: access token sha256:${
        sha8(first.accessToken)
      }, refresh token sha256:${sha8(first.refreshToken!)}, expires ${
        new Date(first.expiry * 1000).toISOString()
      }`,
    );
    assert.match(lines[1], /access token sha256:[0-9a-f]{8}, no refresh token, expires 2027-/);
    assert.notEqual(lines[0].match(/sha256:\w+/)![0], lines[1].match(/sha256:\w+/)![0]);
    for (const line of lines) assert.ok(!line.includes("SECRET"), line);
  });

  test("prints with console.log by default", async () => {
    const original = console.log;
    const printed: unknown[] = [];
    console.log = (...args: unknown[]) => printed.push(...args);
    try {
      await new EchoStorage().store(sample(3));
    } finally {
      console.log = original;
    }
    assert.equal(printed.length, 1);
    assert.match(String(printed[0]), /^EchoStorage: new credentials stored/);
  });

  test("refuses malformed credentials and wraps writer failures", async () => {
    const echo = new EchoStorage({ write: () => {} });
    const bad = { ...sample(1), expiry: "tomorrow" } as unknown as ReturnType<typeof sample>;
    await assertStorageError(
      echo.store(bad),
      /^EchoStorage\.store\(\) failed: invalid credentials: expiry is not a finite number$/,
      ["SECRET"],
    );
    assert.equal(await echo.fetch(), null);

    const failing = new EchoStorage({
      write: () => {
        throw new Error("stdout closed");
      },
    });
    const error = await assertStorageError(failing.store(sample(1)), /stdout closed/, ["SECRET"]);
    assert.equal((error.cause as Error).message, "stdout closed");
    assert.deepEqual(error.params, { handler: "EchoStorage", operation: "store" });
  });

  test("toJSON and inspect show no secret", async () => {
    const echo = new EchoStorage({ write: () => {} });
    await echo.store(sample(1));
    assertNoSecrets(echo, "EchoStorage", ["SECRET", "r1"]);
    assert.deepEqual(echo.toJSON(), { storage: "EchoStorage", stored: true });
  });
});
