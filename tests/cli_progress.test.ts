// The approval spinner: one line that fits the terminal, however long the message, so the
// login URL printed above it stays on screen; dots when the terminal is narrow or not one.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type ProgressStream, withProgress } from "../src/cli/_progress.ts";

const MESSAGE = "Now allow access in the Monzo app (a notification, or the request in your feed)";

/** A fake stream; resolves `task` after `frames` spinner frames. */
async function run(stream: ProgressStream & { writes: string[] }, frames: number) {
  await withProgress(MESSAGE, async () => {
    while (stream.writes.filter((w) => w.startsWith("\r")).length < frames) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, stream);
}

function fake(isTTY: boolean, columns: number) {
  const writes: string[] = [];
  return { isTTY, columns, writes, write: (text: string) => writes.push(text) };
}

test("on a terminal every frame fits its width, on one line", async () => {
  for (const columns of [40, 80, 200]) {
    const stream = fake(true, columns);
    await run(stream, 3);
    const frames = stream.writes.slice(0, -1);
    assert.ok(frames.length >= 3);
    for (const frame of frames) {
      assert.ok(frame.startsWith("\r"), JSON.stringify(frame));
      assert.equal(frame.includes("\n"), false);
      // deno-lint-ignore no-control-regex
      const visible = frame.replace(/^\r/, "").replace(/\x1b\[K$/, "");
      assert.ok([...visible].length < columns, `${[...visible].length} ≥ ${columns}`);
    }
    if (columns >= 100) assert.ok(frames[0].includes(MESSAGE));
    else assert.match(frames[0], /…/);
    assert.equal(stream.writes.at(-1), "\r\x1b[K");
  }
});

test("narrow terminals and pipes get the message once, then dots", async () => {
  for (const stream of [fake(true, 20), fake(false, 80)]) {
    await withProgress(MESSAGE, () => new Promise((resolve) => setTimeout(resolve, 50)), stream);
    assert.equal(stream.writes[0], MESSAGE);
    assert.equal(stream.writes.at(-1), "\n");
    assert.equal(stream.writes.some((w) => w.includes("\r")), false);
  }
});
