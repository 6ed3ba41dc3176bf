// `status` (where the saved login stands) and `logout` (revoke it at Monzo and forget it).

import { rm } from "node:fs/promises";
import process from "node:process";
import { MonzoError, MonzoPermissionsError } from "../errors.ts";
import type { Command } from "./_args.ts";
import { CREDENTIALS_OPTION, writeApiRecord } from "./_config.ts";
import { printable } from "./_format.ts";
import { API_URL_OPTION, openSession } from "./_session.ts";

const ACCOUNT_NAMES: Record<string, string> = {
  uk_retail: "current",
  uk_retail_joint: "joint",
  uk_business: "business",
  uk_monzo_flex: "flex",
};

/** "in 29 h", "in 12 min", "3 h ago". */
function relative(seconds: number): string {
  const abs = Math.abs(seconds);
  const amount = abs >= 5400
    ? `${Math.round(abs / 3600)} h`
    : `${Math.max(1, Math.round(abs / 60))} min`;
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** The `status` command. */
export const status: Command = {
  spec: {
    name: "status",
    summary: "Show the saved login: its API, account, token expiry and in-app approval.",
    options: { credentials: CREDENTIALS_OPTION, "api-url": API_URL_OPTION },
  },
  async run(values) {
    const session = await openSession(values);
    const { stored } = session;
    const lines: [string, string][] = [
      ["Login", session.path],
      ["API", session.api],
      ["Client", stored.clientId],
    ];
    const expiry = new Date(stored.expiry * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    const left = stored.expiry - Date.now() / 1000;
    lines.push([
      "Access token",
      `${left > 0 ? "expires" : "expired"} ${expiry} (${relative(left)}); renewed by itself ` +
      "with the refresh token",
    ]);
    let failure: unknown;
    try {
      const who = await session.monzo.whoAmI();
      lines.push(["User", who.user_id]);
      const accounts = (await session.monzo.accounts.list()).filter((a) => !a.closed);
      lines.push([
        "Accounts",
        accounts.map((a) => `${ACCOUNT_NAMES[a.type ?? ""] ?? a.type} ${a.id}`).join(", ") ||
        "none open",
      ]);
      lines.push(["Approval", "approved in the Monzo app"]);
    } catch (error) {
      if (error instanceof MonzoPermissionsError && error.reason === "approval_pending") {
        lines.push(["Approval", "waiting: allow access in the Monzo app (it waits in the feed)"]);
      } else failure = error;
    }
    const width = Math.max(...lines.map(([label]) => label.length)) + 1;
    process.stdout.write(
      lines.map(([label, value]) => `${`${label}:`.padEnd(width)} ${printable(value)}\n`)
        .join(""),
    );
    if (failure) throw failure;
  },
};

/** The `logout` command. */
export const logout: Command = {
  spec: {
    name: "logout",
    summary: "Log out: revoke the saved login at Monzo, then delete it from this machine.",
    options: { credentials: CREDENTIALS_OPTION, "api-url": API_URL_OPTION },
  },
  async run(values) {
    const session = await openSession(values);
    let revoked = "Revoked the login at Monzo";
    try {
      await session.auth.logout();
    } catch (error) {
      if (!(error instanceof MonzoError)) throw error;
      revoked = "Monzo could not be told (the login ends by itself when it expires)";
    }
    await rm(session.path, { force: true });
    await writeApiRecord(session.path, undefined);
    process.stderr.write(`${revoked}; deleted ${session.path}.\n`);
  },
};
