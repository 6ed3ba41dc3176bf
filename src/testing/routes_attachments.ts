// POST /attachment/upload|register|deregister, and the upload URLs the emulator hosts itself.
import { ApiError, badParam, notFound } from "./_errors.ts";
import { remember, UPLOAD_LIMIT } from "./_limits.ts";
import { httpUrl } from "./_params.ts";
import { iso } from "./_time.ts";
import type { Call, Router } from "./router.ts";
import { materialize } from "./transactions.ts";
import type { EmulatorAttachment } from "./types.ts";

/** Where uploaded files live, like Monzo's S3 bucket. */
const UPLOADS = "/_uploads";

/** Registers the attachment endpoints and the upload target. */
export function attachmentRoutes(router: Router): void {
  router.api("POST", "/attachment/upload", (call, session) => {
    const { state, form } = call;
    const fileName = form.required("file_name");
    form.required("file_type");
    const contentLength = form.positiveInt("content_length");
    const key = `${session.user.id}-${state.rng.base62(16)}`;
    const fileUrl = `${call.url.origin}${UPLOADS}/${key}/${encodeURIComponent(fileName)}`;
    const signature = state.rng.base62(32);
    remember(state.pendingUploads, key, { fileUrl, signature, contentLength });
    return call.c.json({ file_url: fileUrl, upload_url: `${fileUrl}?Signature=${signature}` });
  });

  const receive = (call: Call): Response => {
    const pending = call.state.pendingUploads.get(call.param("key"));
    if (!pending) throw notFound("upload", call.param("key"));
    if (call.url.searchParams.get("Signature") !== pending.signature) {
      throw new ApiError("forbidden.bad_signature", "The upload URL signature does not match");
    }
    if (call.bytes.length !== pending.contentLength) {
      throw badParam(
        "content_length",
        `the upload has ${call.bytes.length} bytes but content_length was ${pending.contentLength}`,
      );
    }
    remember(
      call.state.uploads,
      pending.fileUrl,
      { contentType: call.contentType, bytes: call.bytes },
      UPLOAD_LIMIT,
    );
    return new Response(null, { status: 200 });
  };
  router.open("PUT", `${UPLOADS}/:key/:file_name`, receive);
  router.open("POST", `${UPLOADS}/:key/:file_name`, receive);
  router.open("GET", `${UPLOADS}/:key/:file_name`, (call) => {
    const pending = call.state.pendingUploads.get(call.param("key"));
    const upload = pending && call.state.uploads.get(pending.fileUrl);
    if (!upload) throw notFound("file", call.param("key"));
    // Never the uploader's type: a file served as HTML would run scripts on this origin.
    const headers = {
      "content-type": "application/octet-stream",
      "content-disposition": "attachment",
      "x-content-type-options": "nosniff",
    };
    return new Response(upload.bytes.slice(), { headers });
  });

  router.api("POST", "/attachment/register", (call, session) => {
    const { state, form } = call;
    const externalId = form.required("external_id");
    const fileUrl = form.required("file_url");
    const fileType = form.required("file_type");
    if (!httpUrl(fileUrl)) throw badParam("file_url", "must be an absolute http(s) URL");
    const tx = materialize(state.transaction(session, externalId));
    const now = state.now();
    const attachment: EmulatorAttachment = {
      id: state.rng.id("attach", now),
      user_id: session.user.id,
      external_id: tx.id,
      file_url: fileUrl,
      file_type: fileType,
      created: iso(now),
    };
    tx.attachments = [...tx.attachments, attachment];
    remember(state.attachments, attachment.id, attachment);
    return call.c.json({ attachment });
  });

  router.api("POST", "/attachment/deregister", (call, session) => {
    const { state, form } = call;
    const id = form.required("id");
    const attachment = state.attachments.get(id);
    if (!attachment || attachment.user_id !== session.user.id) throw notFound("attachment", id);
    const tx = materialize(state.world.transactions.get(attachment.external_id)!);
    tx.attachments = tx.attachments.filter((a) => a.id !== id);
    state.attachments.delete(id);
    return call.c.json({});
  });
}
