// feed.create against the emulator.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MonzoHTTPError } from "../mod.ts";
import { formOf, lastRequest, rejectsArgument, withMonzo } from "./_monzo.ts";

test("feed.create POSTs a basic item with params[...] keys and resolves to undefined", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const result = await monzo.feed.create(emulator.accounts.current, {
      title: "Rent is due",
      imageUrl: "https://example.com/house.png",
      body: "Tomorrow & every month",
      backgroundColor: "#FCF1EE",
      titleColor: "#333333",
      bodyColor: "#666666",
      url: "https://example.com/rent?id=1",
    });
    assert.equal(result, undefined);
    const request = lastRequest(emulator, "POST", "/feed");
    assert.equal(request.query, "");
    assert.deepEqual(formOf(request), {
      account_id: emulator.accounts.current,
      type: "basic",
      url: "https://example.com/rent?id=1",
      "params[title]": "Rent is due",
      "params[image_url]": "https://example.com/house.png",
      "params[body]": "Tomorrow & every month",
      "params[background_color]": "#FCF1EE",
      "params[title_color]": "#333333",
      "params[body_color]": "#666666",
    });
    assert.deepEqual(emulator.feedItems.at(-1), {
      accountId: emulator.accounts.current,
      type: "basic",
      url: "https://example.com/rent?id=1",
      params: {
        title: "Rent is due",
        image_url: "https://example.com/house.png",
        body: "Tomorrow & every month",
        background_color: "#FCF1EE",
        title_color: "#333333",
        body_color: "#666666",
      },
    });

    // Only the given optional fields are sent.
    await monzo.feed.create(emulator.accounts.current, {
      title: "Hi",
      imageUrl: "http://example.com/a.gif",
    });
    assert.deepEqual(Object.keys(formOf(lastRequest(emulator, "POST", "/feed"))), [
      "account_id",
      "type",
      "params[title]",
      "params[image_url]",
    ]);
  });
});

test("feed.create: Monzo's 400 and 404 are MonzoHTTPError", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const item = { title: "Hi", imageUrl: "https://example.com/a.png" };
    await assert.rejects(
      monzo.feed.create("acc_unknown", item),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 404,
    );
    emulator.injectFault({ path: "/feed", status: 400, code: "bad_request.bad_param.type" });
    await assert.rejects(
      monzo.feed.create(emulator.accounts.current, item),
      (error: unknown) =>
        error instanceof MonzoHTTPError && error.code === "bad_request.bad_param.type",
    );
  });
});

test("feed.create checks its arguments before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const acc = emulator.accounts.current;
    const ok = { title: "Hi", imageUrl: "https://example.com/a.png" };
    await rejectsArgument(emulator, "accountId", () => monzo.feed.create("a/b", ok));
    await rejectsArgument(
      emulator,
      "options.title",
      () => monzo.feed.create(acc, { ...ok, title: "" }),
    );
    for (const imageUrl of ["/a.png", "ftp://example.com/a.png", "not a url"]) {
      await rejectsArgument(
        emulator,
        "options.imageUrl",
        () => monzo.feed.create(acc, { ...ok, imageUrl }),
      );
    }
    await rejectsArgument(
      emulator,
      "options.url",
      () => monzo.feed.create(acc, { ...ok, url: "javascript:alert(1)" }),
    );
    for (const colour of ["#FFF", "red", "#GGGGGG", "FCF1EE"]) {
      await rejectsArgument(
        emulator,
        "options.backgroundColor",
        () => monzo.feed.create(acc, { ...ok, backgroundColor: colour }),
      );
    }
    await rejectsArgument(
      emulator,
      "options.bodyColor",
      () => monzo.feed.create(acc, { ...ok, bodyColor: "#12345" }),
    );
    await rejectsArgument(
      emulator,
      "options.body",
      () => monzo.feed.create(acc, { ...ok, body: 5 as never }),
    );
  });
});
