// Money in minor units (pence for GBP), as Monzo sends it, to and from what people read.

const formats = new Map<string, Intl.NumberFormat>();

function format(currency: string): Intl.NumberFormat {
  let nf = formats.get(currency);
  if (!nf) {
    nf = new Intl.NumberFormat("en-GB", { style: "currency", currency });
    formats.set(currency, nf);
  }
  return nf;
}

/** The number of minor-unit digits of a currency: 2 for GBP, 0 for JPY. */
function exponent(currency: string): number {
  return format(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `formatMoney(-350, "GBP")` is `-£3.50`. */
export function formatMoney(minor: number, currency = "GBP"): string {
  return format(currency).format(minor / 10 ** exponent(currency));
}

/**
 * Reads an amount typed into a form (`"10"`, `"10.5"`, `"1,000.00"`) as a positive
 * integer of minor units, without floating point. Returns null when it is not one.
 */
export function parseMoney(text: string, currency = "GBP"): number | null {
  const digits = exponent(currency);
  const match = /^(\d{1,9})(?:\.(\d+))?$/.exec(text.trim().replace(/^£/, "").replaceAll(",", ""));
  if (!match || (match[2] ?? "").length > digits) return null;
  const minor = Number(match[1]) * 10 ** digits + Number((match[2] ?? "").padEnd(digits, "0") || 0);
  return minor > 0 ? minor : null;
}
