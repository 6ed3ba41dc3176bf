// `monzo.feed`: POST /feed.

import type { Authentication } from "../authentication.ts";
import type { CreateFeedItemOptions } from "../models.ts";
import { checkColour, checkHttpUrl, checkId, checkObject, checkText } from "../_validate.ts";

/**
 * Items in the user's Monzo app feed: `monzo.feed`.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * await monzo.feed.create("acc_123", { title: "Hello", imageUrl: "https://example.com/wave.png" });
 * ```
 */
export class FeedApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.feed`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Puts a `basic` item in the account's feed. The user can dismiss it.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * await monzo.feed.create("acc_123", {
   *   title: "Budget: £40 left for eating out",
   *   body: "Five days to go this month.",
   *   imageUrl: "https://example.com/pie.gif",
   *   backgroundColor: "#FCF1EE",
   *   titleColor: "#333333",
   *   url: "https://example.com/budget",
   * });
   * ```
   *
   * @param accountId The account whose feed gets the item (`acc_…`).
   * @param options The texts, the icon, the colours (`#RRGGBB`), the URL opened on tap, and an
   * abort signal.
   * @throws {MonzoArgumentError} When the title is empty, a URL is not absolute http(s) or a
   * colour is not `#RRGGBB`.
   */
  async create(accountId: string, options: CreateFeedItemOptions): Promise<void> {
    const account_id = checkId(accountId, "accountId");
    const item = checkObject(options, "options");
    const params = {
      title: checkText(item.title, "options.title"),
      image_url: checkHttpUrl(item.imageUrl, "options.imageUrl"),
      body: item.body === undefined ? undefined : checkText(item.body, "options.body"),
      background_color: checkColour(item.backgroundColor, "options.backgroundColor"),
      title_color: checkColour(item.titleColor, "options.titleColor"),
      body_color: checkColour(item.bodyColor, "options.bodyColor"),
    };
    const url = item.url === undefined ? undefined : checkHttpUrl(item.url, "options.url");
    await this.#auth.request("POST", "/feed", {
      form: { account_id, type: "basic", url, params },
      signal: item.signal,
    });
  }
}
