// Size: the main entry bundled and minified with esbuild, then gzipped; the same for the
// peer `@otters/monzo` (installed into bench/.peer on first use). Run by Node:
//   node bench/size.mjs
// Prints `BENCH_RESULT {json}` lines like the other benchmarks.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const esbuild = require("esbuild");
const PEER = "@otters/monzo";
const peerDir = join(root, "bench", ".peer");

/** The same settings for both packages: one ESM file, minified, Node built-ins left out. */
async function measure(entry, resolveDir) {
  const result = await esbuild.build({
    stdin: { contents: `export * from ${JSON.stringify(entry)};`, resolveDir, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node", // Node built-ins stay external (the peer's qs needs `util`)
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const bytes = result.outputFiles[0].contents;
  const inputs = Object.keys(result.metafile.inputs);
  const packages = [
    ...new Set(
      inputs.map((p) => p.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1])
        .filter(Boolean),
    ),
  ].sort();
  return {
    minified: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    bundledPackages: packages,
  };
}

function installPeer() {
  const installed = join(peerDir, "node_modules", ...PEER.split("/"), "package.json");
  if (existsSync(installed)) return { ok: true };
  mkdirSync(peerDir, { recursive: true });
  const run = spawnSync("npm", [
    "install",
    "--prefix",
    peerDir,
    "--no-audit",
    "--no-fund",
    "--no-save",
    "--ignore-scripts",
    PEER,
  ], { encoding: "utf8", timeout: 180_000 });
  if (run.status !== 0 || !existsSync(installed)) {
    const why = (run.stderr || run.stdout || String(run.error ?? "")).trim().split("\n").slice(-3)
      .join(" ");
    return { ok: false, reason: `npm install ${PEER} failed: ${why || `exit ${run.status}`}` };
  }
  return { ok: true };
}

const errorText = (error) =>
  error?.errors?.length
    ? error.errors.map((e) => `${e.location?.file ?? ""}: ${e.text}`).join("; ")
    : String(error?.message ?? error);
const out = (result) => console.log(`BENCH_RESULT ${JSON.stringify({ bench: "size", ...result })}`);

try {
  const ours = await measure(join(root, "mod.ts"), root);
  out({ package: "@monzo-api/client", entry: "mod.ts", esbuild: esbuild.version, ...ours });
} catch (error) {
  out({
    package: "@monzo-api/client",
    unavailable: `esbuild could not bundle mod.ts: ${errorText(error)}`,
  });
}

const peer = installPeer();
if (!peer.ok) {
  out({ package: PEER, unavailable: peer.reason });
} else {
  const version = JSON.parse(
    readFileSync(join(peerDir, "node_modules", ...PEER.split("/"), "package.json"), "utf8"),
  ).version;
  try {
    out({
      package: PEER,
      version,
      entry: PEER,
      esbuild: esbuild.version,
      ...(await measure(PEER, peerDir)),
    });
  } catch (error) {
    out({
      package: PEER,
      version,
      unavailable: `esbuild could not bundle it: ${errorText(error)}`,
    });
  }
}
