// POST /feed: basic feed items only.
import { badParam } from "./_errors.ts";
import { MAP_LIMIT } from "./_limits.ts";
import { httpUrl } from "./_params.ts";
import type { Router } from "./router.ts";
import type { EmulatorFeedItem } from "./types.ts";

const COLOUR = /^#[0-9A-Fa-f]{6}$/;
const COLOURS = ["background_color", "title_color", "body_color"];

/** Registers `POST /feed`. */
export function feedRoutes(router: Router): void {
  router.api("POST", "/feed", (call, session) => {
    const { state, form } = call;
    const account = state.account(session, form.required("account_id"));
    const type = form.required("type");
    if (type !== "basic") throw badParam("type", "only basic is supported");
    form.required("params[title]");
    if (!httpUrl(form.required("params[image_url]"))) {
      throw badParam("params[image_url]", "must be an absolute http(s) URL");
    }
    const params = form.map("params");
    for (const name of COLOURS) {
      if (params[name] !== undefined && !COLOUR.test(params[name])) {
        throw badParam(`params[${name}]`, "must be a colour like #RRGGBB");
      }
    }
    const url = form.optional("url");
    if (url !== undefined && !httpUrl(url)) {
      throw badParam("url", "must be an absolute http(s) URL");
    }
    const item: EmulatorFeedItem = { accountId: account.id, type, params };
    if (url !== undefined) item.url = url;
    state.feedItems.push(item);
    if (state.feedItems.length > MAP_LIMIT) state.feedItems.splice(0, 1);
    state.counters.feedItems++;
    return call.c.json({});
  });
}
