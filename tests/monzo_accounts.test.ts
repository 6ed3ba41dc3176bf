// Monzo itself, whoAmI, accounts.list and balance.get against the emulator.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Monzo,
  MonzoArgumentError,
  MonzoHTTPError,
  MonzoPermissionsError,
  MonzoResponseError,
} from "../mod.ts";
import { assertNoBody, lastRequest, queryOf, rejectsArgument, withMonzo } from "./_monzo.ts";

test("new Monzo(auth) refuses anything but an Authentication", () => {
  assert.throws(
    () => new Monzo({} as never),
    (error) => error instanceof MonzoArgumentError && error.argument === "auth",
  );
});

test("whoAmI describes the token, with a bearer GET and no body", async () => {
  await withMonzo(async ({ monzo, emulator, accessToken }) => {
    const me = await monzo.whoAmI();
    assert.deepEqual(me, {
      authenticated: true,
      client_id: emulator.client.id,
      user_id: emulator.user.id,
    });
    const request = lastRequest(emulator, "GET", "/ping/whoami");
    assert.equal(request.authorization, `Bearer ${accessToken}`);
    assertNoBody(request);
    await rejectsArgument(emulator, "options", () => monzo.whoAmI("x" as never));
  });
});

test("accounts.list resolves to every account; accountType filters in the query", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const accounts = await monzo.accounts.list();
    assert.deepEqual(accounts.map((a) => a.id), [
      emulator.accounts.current,
      emulator.accounts.joint,
    ]);
    const [current] = accounts;
    assert.equal(current.type, "uk_retail");
    assert.equal(typeof current.created, "string");
    // Fields the schema does not check are kept as they came.
    assert.equal(typeof current.payment_details?.iban?.bic, "string");
    assertNoBody(lastRequest(emulator, "GET", "/accounts"));
    assert.equal(lastRequest(emulator, "GET", "/accounts").query, "");

    const joint = await monzo.accounts.list({ accountType: "uk_retail_joint" });
    assert.deepEqual(joint.map((a) => a.id), [emulator.accounts.joint]);
    assert.equal(joint[0].owners?.length, 2);
    assert.deepEqual(queryOf(lastRequest(emulator, "GET", "/accounts")), {
      account_type: "uk_retail_joint",
    });
  });
});

test("accounts.list checks its options before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    await rejectsArgument(
      emulator,
      "options.accountType",
      () => monzo.accounts.list({ accountType: "" }),
    );
    await rejectsArgument(emulator, "options", () => monzo.accounts.list(null as never));
  });
});

test("before the in-app approval: MonzoPermissionsError approval_pending, saying what to do", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    await assert.rejects(monzo.accounts.list(), (error: unknown) => {
      assert.ok(error instanceof MonzoPermissionsError);
      assert.equal(error.status, 403);
      assert.equal(error.code, "forbidden.insufficient_permissions");
      assert.equal(error.reason, "approval_pending");
      assert.match(error.message, /approve access in the Monzo app/);
      return true;
    });
    emulator.approve();
    assert.equal((await monzo.accounts.list()).length, 2);
  }, { approved: false });
});

test("balance.get sends account_id in the query and resolves to the balance", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const balance = await monzo.balance.get(emulator.accounts.current);
    assert.equal(balance.currency, "GBP");
    assert.ok(Number.isInteger(balance.balance));
    const pots = await monzo.pots.list(emulator.accounts.current);
    const inPots = pots.reduce((sum, pot) => sum + pot.balance, 0);
    assert.equal(balance.total_balance, balance.balance + inPots);
    const request = lastRequest(emulator, "GET", "/balance");
    assertNoBody(request);
    assert.deepEqual(queryOf(request), { account_id: emulator.accounts.current });
  });
});

test("balance.get maps 400 and 404 to MonzoHTTPError", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    await assert.rejects(monzo.balance.get("acc_unknown"), (error: unknown) => {
      assert.ok(error instanceof MonzoHTTPError);
      assert.equal(error.status, 404);
      assert.equal(error.code, "not_found.account");
      return true;
    });
    emulator.injectFault({
      path: "/balance",
      status: 400,
      code: "bad_request.missing_param.account_id",
    });
    await assert.rejects(monzo.balance.get(emulator.accounts.current), (error: unknown) => {
      assert.ok(error instanceof MonzoHTTPError);
      assert.equal(error.status, 400);
      assert.equal(error.code, "bad_request.missing_param.account_id");
      return true;
    });
  });
});

test("balance.get: a malformed 2xx body is a MonzoResponseError naming the field", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    emulator.injectFault({
      path: "/balance",
      body: JSON.stringify({ balance: "12", total_balance: 12, currency: "GBP", spend_today: 0 }),
      contentType: "application/json",
    });
    await assert.rejects(monzo.balance.get(emulator.accounts.current), (error: unknown) => {
      assert.ok(error instanceof MonzoResponseError);
      assert.equal(error.path, "balance");
      assert.equal(error.message, 'GET /balance: balance expected number, received "12"');
      return true;
    });
  });
});

test("balance.get checks the account id before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    await rejectsArgument(emulator, "accountId", () => monzo.balance.get(""));
    await rejectsArgument(emulator, "accountId", () => monzo.balance.get("acc_1/../pots"));
    await rejectsArgument(emulator, "accountId", () => monzo.balance.get("acc_1?x=1"));
    await rejectsArgument(emulator, "accountId", () => monzo.balance.get(42 as never));
  });
});

test("an aborted signal stops the request", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const controller = new AbortController();
    controller.abort();
    const before = emulator.counters.requests;
    await assert.rejects(
      monzo.balance.get(emulator.accounts.current, { signal: controller.signal }),
      (error: unknown) => error instanceof Error && error.name === "AbortError",
    );
    emulator.injectFault({ path: "/accounts", delayMs: 300 });
    await assert.rejects(
      monzo.accounts.list({ signal: AbortSignal.timeout(30) }),
      (error: unknown) => error instanceof Error && error.name === "TimeoutError",
    );
    assert.equal(emulator.counters.requests, before + 1);
  });
});
