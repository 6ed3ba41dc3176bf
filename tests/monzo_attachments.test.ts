// attachments.upload, register and deregister against the emulator.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MonzoHTTPError } from "../mod.ts";
import { formOf, lastRequest, rejectsArgument, withMonzo } from "./_monzo.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

test("attachments.upload gets an upload URL, PUTs the bytes there, then registers", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const tx = emulator.addTransaction(emulator.accounts.current);
    const attachment = await monzo.attachments.upload(tx.id, {
      fileName: "receipt.png",
      fileType: "image/png",
      data: PNG,
    });
    assert.match(attachment.id, /^attach_/);
    assert.equal(attachment.external_id, tx.id);
    assert.equal(attachment.file_type, "image/png");

    assert.deepEqual(formOf(lastRequest(emulator, "POST", "/attachment/upload")), {
      file_name: "receipt.png",
      file_type: "image/png",
      content_length: String(PNG.byteLength),
    });
    const upload = emulator.uploads.get(attachment.file_url);
    assert.ok(upload, "the bytes did not arrive at the upload URL");
    assert.equal(upload.contentType, "image/png");
    assert.deepEqual([...upload.bytes], [...PNG]);
    const put = lastRequest(emulator, "PUT", new URL(attachment.file_url).pathname);
    assert.equal(put.contentType, "image/png");
    assert.deepEqual(formOf(lastRequest(emulator, "POST", "/attachment/register")), {
      external_id: tx.id,
      file_url: attachment.file_url,
      file_type: "image/png",
    });
    const stored = await monzo.transactions.get(tx.id);
    assert.deepEqual(stored.attachments?.map((a) => a.id), [attachment.id]);
  });
});

test("attachments.upload takes a Blob too", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const tx = emulator.addTransaction(emulator.accounts.current);
    const blob = new Blob([PNG], { type: "image/png" });
    const attachment = await monzo.attachments.upload(tx.id, {
      fileName: "photo.jpg",
      fileType: "image/jpeg",
      data: blob,
    });
    const upload = emulator.uploads.get(attachment.file_url);
    assert.equal(upload?.contentType, "image/jpeg");
    assert.deepEqual([...upload!.bytes], [...PNG]);
  });
});

test("attachments.register attaches a hosted image; deregister removes it", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const tx = emulator.addTransaction(emulator.accounts.current);
    const attachment = await monzo.attachments.register(tx.id, {
      fileUrl: "https://example.com/r/1.png",
      fileType: "image/png",
    });
    assert.equal(attachment.file_url, "https://example.com/r/1.png");
    assert.equal((await monzo.transactions.get(tx.id)).attachments?.length, 1);

    assert.equal(await monzo.attachments.deregister(attachment.id), undefined);
    assert.deepEqual(formOf(lastRequest(emulator, "POST", "/attachment/deregister")), {
      id: attachment.id,
    });
    assert.deepEqual((await monzo.transactions.get(tx.id)).attachments, []);
    await assert.rejects(
      monzo.attachments.deregister(attachment.id),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 404,
    );
    await assert.rejects(
      monzo.attachments.register("tx_unknown", {
        fileUrl: "https://example.com/x.png",
        fileType: "image/png",
      }),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 404,
    );
  });
});

test("attachment methods check their arguments before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const file = { fileName: "a.png", fileType: "image/png", data: PNG };
    await rejectsArgument(emulator, "transactionId", () => monzo.attachments.upload("", file));
    await rejectsArgument(
      emulator,
      "options.fileName",
      () => monzo.attachments.upload("tx_1", { ...file, fileName: "" }),
    );
    await rejectsArgument(
      emulator,
      "options.fileType",
      () => monzo.attachments.upload("tx_1", { ...file, fileType: "png" }),
    );
    for (const data of [new Uint8Array(), "bytes", [1, 2], new ArrayBuffer(3)]) {
      await rejectsArgument(
        emulator,
        "options.data",
        () => monzo.attachments.upload("tx_1", { ...file, data: data as Uint8Array }),
      );
    }
    await rejectsArgument(
      emulator,
      "options.fileUrl",
      () =>
        monzo.attachments.register("tx_1", {
          fileUrl: "file:///etc/passwd",
          fileType: "image/png",
        }),
    );
    await rejectsArgument(emulator, "attachmentId", () => monzo.attachments.deregister("attach?1"));
  });
});
