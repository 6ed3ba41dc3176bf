// `monzo.attachments`: POST /attachment/upload (then PUT the bytes), /attachment/register,
// /attachment/deregister.

import type { Authentication } from "../authentication.ts";
import type {
  Attachment,
  CallOptions,
  RegisterAttachmentOptions,
  UploadAttachmentOptions,
} from "../models.ts";
import { AttachmentBodySchema, UploadSchema } from "../_schemas.ts";
import {
  checkData,
  checkHttpUrl,
  checkId,
  checkMimeType,
  checkObject,
  checkOptions,
  checkText,
} from "../_validate.ts";
import { call } from "./_call.ts";

/**
 * Images attached to transactions (receipts, photos): `monzo.attachments`.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * declare const photo: Blob;
 * const attachment = await monzo.attachments.upload("tx_123", {
 *   fileName: "receipt.jpg",
 *   fileType: "image/jpeg",
 *   data: photo,
 * });
 * ```
 */
export class AttachmentsApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.attachments`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Uploads an image to Monzo and attaches it to a transaction, in three steps: ask for an
   * upload URL, PUT the bytes there (with `Content-Type` = `fileType`), then register it.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * declare const png: Uint8Array;
   * const attachment = await monzo.attachments.upload("tx_123", {
   *   fileName: "receipt.png",
   *   fileType: "image/png",
   *   data: png,
   * });
   * console.log(attachment.file_url);
   * ```
   *
   * @param transactionId The transaction (`tx_…`).
   * @param options The file's name, MIME type and bytes, and an abort signal.
   * @returns The registered attachment.
   * @throws {MonzoArgumentError} When the id, the name, the type or the data is invalid.
   */
  async upload(transactionId: string, options: UploadAttachmentOptions): Promise<Attachment> {
    checkId(transactionId, "transactionId");
    const { fileName, fileType, data, signal } = checkObject(options, "options");
    const form = {
      file_name: checkText(fileName, "options.fileName"),
      file_type: checkMimeType(fileType, "options.fileType"),
      content_length: checkData(data, "options.data"),
    };
    const target = await call(
      this.#auth,
      "POST",
      UploadSchema,
      () => ["/attachment/upload", { form, signal }],
    );
    await this.#auth.request("PUT", target.upload_url, {
      body: data,
      contentType: fileType,
      idempotent: true,
      signal,
    });
    return await this.#register(
      { external_id: transactionId, file_url: target.file_url, file_type: fileType },
      signal,
    );
  }

  /**
   * Attaches an image that is already online (yours, or one uploaded to Monzo) to a
   * transaction.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const attachment = await monzo.attachments.register("tx_123", {
   *   fileUrl: "https://example.com/receipts/1001.png",
   *   fileType: "image/png",
   * });
   * ```
   *
   * @param transactionId The transaction (`tx_…`).
   * @param options The image's URL and MIME type, and an abort signal.
   * @returns The attachment; keep its `id` to deregister it.
   * @throws {MonzoArgumentError} When the id, the URL or the type is invalid.
   */
  async register(
    transactionId: string,
    options: RegisterAttachmentOptions,
  ): Promise<Attachment> {
    const external_id = checkId(transactionId, "transactionId");
    const { fileUrl, fileType, signal } = checkObject(options, "options");
    const form = {
      external_id,
      file_url: checkHttpUrl(fileUrl, "options.fileUrl"),
      file_type: checkMimeType(fileType, "options.fileType"),
    };
    return await this.#register(form, signal);
  }

  /**
   * Removes an attachment from its transaction.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * await monzo.attachments.deregister("attach_123");
   * ```
   *
   * @param attachmentId The attachment (`attach_…`).
   * @param options An abort signal.
   * @throws {MonzoArgumentError} When the id is invalid.
   * @throws {MonzoHTTPError} With status 404 when there is no such attachment.
   */
  async deregister(attachmentId: string, options?: CallOptions): Promise<void> {
    const form = { id: checkId(attachmentId, "attachmentId") };
    const { signal } = checkOptions(options);
    await this.#auth.request("POST", "/attachment/deregister", { form, signal });
  }

  async #register(
    form: { external_id: string; file_url: string; file_type: string },
    signal: AbortSignal | undefined,
  ): Promise<Attachment> {
    return await call(
      this.#auth,
      "POST",
      AttachmentBodySchema,
      () => ["/attachment/register", { form, signal }],
      "attachment",
    );
  }
}
