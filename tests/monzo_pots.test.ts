// pots.list, pots.deposit and pots.withdraw against the emulator.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MonzoHTTPError, MonzoPermissionsError, type Pot } from "../mod.ts";
import {
  assertNoBody,
  formOf,
  lastRequest,
  queryOf,
  rejectsArgument,
  withMonzo,
} from "./_monzo.ts";
import type { MonzoEmulator } from "../src/testing/mod.ts";
import type { Monzo } from "../mod.ts";

async function openPot(monzo: Monzo, emulator: MonzoEmulator, locked = false): Promise<Pot> {
  const pots = await monzo.pots.list(emulator.accounts.current);
  const pot = pots.find((p) => !p.deleted && !p.locked === !locked);
  assert.ok(pot, `the seed has no ${locked ? "locked" : "open"} pot`);
  return pot;
}

test("pots.list sends current_account_id in the query and resolves to the pots", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const pots = await monzo.pots.list(emulator.accounts.current);
    assert.ok(pots.length > 0);
    for (const pot of pots) {
      assert.match(pot.id, /^pot_/);
      assert.equal(pot.current_account_id, emulator.accounts.current);
      assert.equal(typeof pot.balance, "number");
    }
    const request = lastRequest(emulator, "GET", "/pots");
    assertNoBody(request);
    assert.deepEqual(queryOf(request), { current_account_id: emulator.accounts.current });
  });
});

test("pots.deposit and withdraw PUT a form and resolve to the bare pot", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const pot = await openPot(monzo, emulator);
    const before = await monzo.balance.get(emulator.accounts.current);

    const deposited = await monzo.pots.deposit(pot.id, {
      sourceAccountId: emulator.accounts.current,
      amount: 1234,
      dedupeId: "test-deposit-1",
    });
    assert.equal(deposited.id, pot.id);
    assert.equal(deposited.balance, pot.balance + 1234);
    const request = lastRequest(emulator, "PUT", `/pots/${pot.id}/deposit`);
    assert.equal(request.query, "");
    assert.deepEqual(formOf(request), {
      source_account_id: emulator.accounts.current,
      amount: "1234",
      dedupe_id: "test-deposit-1",
    });

    const withdrawn = await monzo.pots.withdraw(pot.id, {
      destinationAccountId: emulator.accounts.current,
      amount: 234,
      dedupeId: "test-withdraw-1",
    });
    assert.equal(withdrawn.balance, pot.balance + 1000);
    assert.deepEqual(formOf(lastRequest(emulator, "PUT", `/pots/${pot.id}/withdraw`)), {
      destination_account_id: emulator.accounts.current,
      amount: "234",
      dedupe_id: "test-withdraw-1",
    });
    const after = await monzo.balance.get(emulator.accounts.current);
    assert.equal(after.balance, before.balance - 1000);
  });
});

test("pots.deposit is retried after a dropped connection or a 500, and moves money once", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const pot = await openPot(monzo, emulator);
    const path = `/pots/${pot.id}/deposit`;
    const move = { sourceAccountId: emulator.accounts.current, amount: 500, dedupeId: "save-1" };

    emulator.injectFault({ path, drop: true });
    emulator.injectFault({ path, status: 500 });
    const moved = await monzo.pots.deposit(pot.id, move);
    assert.equal(moved.balance, pot.balance + 500);
    const attempts = emulator.requests.filter((r) => r.path === path);
    assert.equal(attempts.length, 3);
    assert.ok(attempts.every((r) => new URLSearchParams(r.body).get("dedupe_id") === "save-1"));

    // The same logical move again (a retry whose answer was lost, a re-run job): no new money.
    const again = await monzo.pots.deposit(pot.id, move);
    assert.equal(again.balance, pot.balance + 500);
    const [after] = (await monzo.pots.list(emulator.accounts.current)).filter((p) =>
      p.id === pot.id
    );
    assert.equal(after.balance, pot.balance + 500);
  });
});

test("pot moves map Monzo's refusals to error classes", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const pot = await openPot(monzo, emulator);
    await assert.rejects(
      monzo.pots.withdraw(pot.id, {
        destinationAccountId: emulator.accounts.current,
        amount: pot.balance + 1,
        dedupeId: "too-much",
      }),
      (error: unknown) =>
        error instanceof MonzoHTTPError && error.status === 400 &&
        error.code === "bad_request.insufficient_funds",
    );
    await assert.rejects(
      monzo.pots.deposit("pot_unknown", {
        sourceAccountId: emulator.accounts.current,
        amount: 1,
        dedupeId: "nowhere",
      }),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 404,
    );
    const locked = await openPot(monzo, emulator, true);
    await assert.rejects(
      monzo.pots.withdraw(locked.id, {
        destinationAccountId: emulator.accounts.current,
        amount: 1,
        dedupeId: "locked",
      }),
      (error: unknown) => error instanceof MonzoPermissionsError && error.status === 403,
    );
  });
});

test("pot methods check their arguments before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const sourceAccountId = emulator.accounts.current;
    const ok = { sourceAccountId, amount: 100, dedupeId: "d" };
    await rejectsArgument(emulator, "accountId", () => monzo.pots.list(""));
    await rejectsArgument(emulator, "potId", () => monzo.pots.deposit("pot/1", ok));
    await rejectsArgument(
      emulator,
      "options",
      () => monzo.pots.deposit("pot_1", undefined as never),
    );
    for (const amount of [0, -5, 1.5, Number.NaN, 2 ** 53, "100"]) {
      await rejectsArgument(
        emulator,
        "options.amount",
        () => monzo.pots.deposit("pot_1", { ...ok, amount: amount as number }),
      );
    }
    await rejectsArgument(
      emulator,
      "options.dedupeId",
      () => monzo.pots.deposit("pot_1", { ...ok, dedupeId: "" }),
    );
    await rejectsArgument(
      emulator,
      "options.sourceAccountId",
      () => monzo.pots.deposit("pot_1", { ...ok, sourceAccountId: undefined as never }),
    );
    await rejectsArgument(
      emulator,
      "options.destinationAccountId",
      () => monzo.pots.withdraw("pot_1", { amount: 1, dedupeId: "d" } as never),
    );
  });
});
