// The transactions of one account, kept sorted by creation time for fast paging.
import type { Entry } from "./transactions.ts";

/** Transactions of one account in ascending `created` order, with its running balance. */
export class Ledger {
  /** Sorted entries. */
  readonly items: Entry[] = [];
  /** `created` of each item in epoch ms (a parallel array, for binary search). */
  readonly times: number[] = [];
  /** Sum of the amounts of every transaction that was not declined. */
  balance = 0;

  /** Inserts after any transaction created at the same instant. */
  insert(tx: Entry): void {
    const createdMs = tx.createdMs;
    const last = this.times.length - 1;
    if (last < 0 || this.times[last] <= createdMs) {
      this.items.push(tx);
      this.times.push(createdMs);
    } else {
      const at = this.#search(createdMs, true);
      this.items.splice(at, 0, tx);
      this.times.splice(at, 0, createdMs);
    }
    if (tx.declineReason === undefined) this.balance += tx.amount;
  }

  /** Removes `tx` (and its amount from the balance); false when it is not here. */
  remove(tx: Entry): boolean {
    const at = this.indexOf(tx);
    if (at < 0) return false;
    this.items.splice(at, 1);
    this.times.splice(at, 1);
    if (tx.declineReason === undefined) this.balance -= tx.amount;
    return true;
  }

  /** Index of the first transaction created at or after `ms`. */
  firstAtOrAfter(ms: number): number {
    return this.#search(ms, false);
  }

  /** Index of `tx`, or -1. */
  indexOf(tx: Entry): number {
    for (let i = this.firstAtOrAfter(tx.createdMs); i < this.items.length; i++) {
      if (this.items[i] === tx) return i;
      if (this.times[i] !== tx.createdMs) break;
    }
    return -1;
  }

  /** Sum of debits (as a negative number) from `ms` on, excluding declines and transfers. */
  spentSince(ms: number): number {
    let spent = 0;
    for (let i = this.firstAtOrAfter(ms); i < this.items.length; i++) {
      const tx = this.items[i];
      const counts = tx.includeInSpending ?? tx.amount < 0;
      if (tx.amount < 0 && counts && tx.declineReason === undefined) {
        spent += tx.amount;
      }
    }
    return spent;
  }

  /** First index whose time is > ms (`after`) or >= ms. */
  #search(ms: number, after: boolean): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.times[mid];
      if (t < ms || (after && t === ms)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
