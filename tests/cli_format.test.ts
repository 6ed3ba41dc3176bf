// The CLI's output formats: RFC 4180 CSV quoting, table alignment, exact amounts.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAmount, printable, render, toCsv, toTable } from "../src/cli/_format.ts";

const columns = [{ header: "name" }, { header: "amount", right: true }];

test("CSV quotes commas, quotes, line breaks and edge spaces, with CRLF line ends", () => {
  const csv = toCsv(columns, [
    ["plain", "1.00"],
    ['say "hi"', "-2.50"],
    ["a,b", null],
    ["two\nlines", undefined],
    [" padded", true],
  ]);
  assert.equal(
    csv,
    'name,amount\r\nplain,1.00\r\n"say ""hi""",-2.50\r\n"a,b",\r\n"two\nlines",\r\n" padded",true\r\n',
  );
});

test("tables pad columns, align amounts right and trim line ends", () => {
  assert.equal(
    toTable(columns, [["coffee", "-3.50"], ["rent", "-1200.00"], ["x", null]]),
    [
      "name      amount",
      "------  --------",
      "coffee     -3.50",
      "rent    -1200.00",
      "x",
      "",
    ].join("\n"),
  );
  assert.equal(toTable(columns, []), "name  amount\n----  ------\n");
  assert.equal(toTable(columns, [["two\nlines\ttab", 1]]).split("\n")[2], "two lines tab       1");
});

test("JSON prints the objects as they are", () => {
  const json = [{ id: "acc_1", nested: { a: 1 } }];
  assert.deepEqual(JSON.parse(render({ json, columns, rows: [] }, "json")), json);
});

test("amounts are exact, in the currency's own decimals", () => {
  assert.equal(formatAmount(-350, "GBP"), "-3.50");
  assert.equal(formatAmount(5, "GBP"), "0.05");
  assert.equal(formatAmount(-5, "EUR"), "-0.05");
  assert.equal(formatAmount(123456789012, "GBP"), "1234567890.12");
  assert.equal(formatAmount(1500, "JPY"), "1500");
  assert.equal(formatAmount(1234, "BHD"), "1.234");
  assert.equal(formatAmount(250, "XXXX"), "2.50");
  assert.equal(formatAmount(0, "GBP"), "0.00");
});

test("CSV escapes cells a spreadsheet would run as formulas, as csv-stringify does", () => {
  const csv = toCsv([{ header: "description" }, { header: "amount", right: true }], [
    ['=HYPERLINK("http://evil.example","Refund")', "-3.50"],
    ["+cmd|' /C calc'!A0", "12.00"],
    ["@SUM(1+1)", "-0.01"],
    ["-2+3", "0"],
    ["\tTab", "1"],
    ["＝1+1", "1"],
    ["Tesco", "-42"],
  ]);
  const cells = csv.split("\r\n").slice(1, -1).map((line) => line.slice(0, line.lastIndexOf(",")));
  assert.deepEqual(cells, [
    `"'=HYPERLINK(""http://evil.example"",""Refund"")"`,
    `'+cmd|' /C calc'!A0`,
    `'@SUM(1+1)`,
    `'-2+3`,
    `'\tTab`,
    `'＝1+1`,
    "Tesco",
  ]);
  assert.match(csv, /,-3\.50\r\n/, "amounts stay numbers");
  assert.match(csv, /,-42\r\n/);
});

test("no control or bidi character reaches the terminal, in any format", () => {
  const evil = "Refund\x1b]8;;http://evil.example\x07here\x1b[2J \u202Egnp.exe\u2066x\u2069";
  const columns = [{ header: "description" }];
  const table = toTable(columns, [[evil]]);
  const csv = toCsv(columns, [[evil]]);
  const json = render({ json: [{ description: evil }], columns, rows: [] }, "json");
  for (const output of [table, csv, json]) {
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(output, /[\x1b\x07\u202e\u2066\u2069]/u, output);
  }
  assert.match(table, /Refund ]8;;http:\/\/evil\.example here \[2J {2}gnp\.exe x/);
  assert.equal(JSON.parse(json)[0].description, evil, "JSON keeps the data, escaped");
  assert.equal(printable("a\u202eb\nc", { keepLines: true }), "ab\nc");
});
