// The version `monzo --version` prints; tests/cli_commands.test.ts checks it against deno.json.

/** This package's version. */
export const VERSION = "0.1.0";
