/**
 * {@link EchoStorage}: prints a line each time new credentials are stored, for development
 * and for watching refreshes happen. Tokens are never printed, only a short fingerprint
 * (the first 8 hex digits of their SHA-256), enough to tell one token set from the next.
 *
 * It keeps the last credentials in memory, so it is safe for one process only: it has no
 * lease, and nothing survives a restart. Pair it with a persistent handler.
 *
 * @example
 * ```ts
 * import { Authentication } from "@monzo-api/client";
 * import { EchoStorage } from "@monzo-api/client/handlers/echo";
 *
 * const auth = new Authentication({
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * auth.registerCallbackHandler(new EchoStorage());
 * ```
 *
 * @module
 */

import { type Credentials, Storage } from "../storage.ts";
import { checkCredentials, guard, inspectAsSummary } from "./_common.ts";

/** Options of {@link EchoStorage}. */
export interface EchoStorageOptions {
  /** Where lines go; `console.log` by default. */
  write?: (line: string) => void;
}

/**
 * Prints that new credentials were stored (client id, token fingerprints, expiry) and keeps
 * them in memory so that `fetch()` returns them. Single-process only.
 *
 * @example Print to stderr
 * ```ts
 * import { EchoStorage } from "@monzo-api/client/handlers/echo";
 *
 * const echo = new EchoStorage({ write: (line) => console.error(line) });
 * await echo.store({
 *   accessToken: "access",
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   expiry: 1_800_000_000,
 *   refreshToken: "refresh",
 * });
 * // EchoStorage: new credentials stored for oauth2client_123: access token sha256:…,
 * // refresh token sha256:…, expires 2027-01-15T08:00:00.000Z
 * ```
 */
export class EchoStorage extends Storage {
  #write: (line: string) => void;
  #credentials: Credentials | null = null;

  /**
   * Creates the handler.
   *
   * @param options The writer to print with.
   */
  constructor(options: EchoStorageOptions = {}) {
    super();
    this.#write = options.write ?? ((line) => console.log(line));
  }

  /**
   * Keeps the credentials and prints a line about them, without any secret.
   *
   * @param credentials The new token set.
   */
  store(credentials: Credentials): Promise<void> {
    return guard("EchoStorage", "store", async () => {
      const checked = checkCredentials(credentials, "EchoStorage", "store");
      const access = await fingerprint(checked.accessToken);
      const refresh = checked.refreshToken === undefined
        ? "no refresh token"
        : `refresh token ${await fingerprint(checked.refreshToken)}`;
      const expires = new Date(checked.expiry * 1000).toISOString();
      this.#credentials = checked;
      this.#write(
        `EchoStorage: new credentials stored for ${checked.clientId}: ` +
          `access token ${access}, ${refresh}, expires ${expires}`,
      );
    });
  }

  /**
   * Returns a copy of the credentials stored last in this process.
   *
   * @returns The credentials, or `null`.
   */
  fetch(): Promise<Credentials | null> {
    return Promise.resolve(this.#credentials && { ...this.#credentials });
  }

  /** Forgets the credentials. */
  override clear(): Promise<void> {
    this.#credentials = null;
    return Promise.resolve();
  }

  /**
   * A summary without secrets.
   *
   * @returns The handler's name and whether it holds credentials.
   */
  toJSON(): { storage: string; stored: boolean } {
    return { storage: "EchoStorage", stored: this.#credentials !== null };
  }
}

inspectAsSummary(EchoStorage);

/** `sha256:` and the first 8 hex digits of the SHA-256 of `token`: tells tokens apart. */
async function fingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const hex = Array.from(new Uint8Array(digest, 0, 4), (b) => b.toString(16).padStart(2, "0"));
  return `sha256:${hex.join("")}`;
}
