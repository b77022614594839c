// The wasm/native parity test: the JavaScript API's `matrix` must equal the native engine's
// `moat_engine::query::matrix` JSON on every scenario of the corpus, on every port the scenario asks
// about and on any port. The native side (web/api/examples/native_matrices.rs) writes one fixture per
// scenario: its files, options and the native matrices.
//
//   node tests/browser/parity.mjs FIXTURE_DIR [PACKAGE_DIR, default target/wasm/npm/moat-wasm]
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [fixtures, packageDir = "target/wasm/npm/moat-wasm"] = process.argv.slice(2);
if (!fixtures) throw new Error("usage: parity.mjs FIXTURE_DIR [PACKAGE_DIR]");
const moat = await import(pathToFileURL(path.resolve(packageDir, "moat_wasm.js")).href);
moat.initSync({ module: await readFile(path.resolve(packageDir, "moat_wasm_bg.wasm")) });

// JSON with object keys sorted: the fixtures' key order is serde_json's, not the struct's.
const canonical = (value) => JSON.stringify(value, (_key, v) =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v);

const failures = [];
let compared = 0;
const names = (await readdir(fixtures)).filter((name) => name.endsWith(".json")).sort();
for (const name of names) {
  const fixture = JSON.parse(await readFile(path.join(fixtures, name), "utf8"));
  const options = { kubernetesVersion: fixture.options.kubernetesVersion ?? undefined, featureGates: fixture.options.featureGates };
  const cluster = new moat.Cluster(fixture.files, options);
  try {
    for (const expected of fixture.matrices) {
      const actual = cluster.matrix(expected.port ?? undefined, expected.protocol ?? undefined);
      compared += 1;
      if (canonical(actual) !== canonical(expected)) {
        const what = expected.port === null ? "any port" : `${expected.protocol}/${expected.port}`;
        failures.push(`${fixture.scenario} (${what}):\n  wasm:   ${canonical(actual)}\n  native: ${canonical(expected)}`);
      }
    }
  } finally {
    cluster.free();
  }
}
if (names.length === 0) failures.push(`no fixtures in ${fixtures}`);
if (failures.length > 0) {
  console.error(failures.map((f) => `FAIL ${f}`).join("\n"));
  process.exit(1);
}
console.log(`parity: ${compared} matrices of ${names.length} scenarios equal natively and in wasm`);
