// The wasm half of `scripts/bench-wasm`: times, through the JavaScript API in Node, the analysis that
// web/api/examples/native_bench.rs timed natively on the same manifests, and prints both with their
// ratio. The wasm figures include what the API adds: copying the text in and the results out as
// JavaScript objects.
//
//   node tests/browser/bench.mjs MANIFESTS PACKAGE_DIR NATIVE_JSON
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [manifests, packageDir, nativeJson] = process.argv.slice(2);
if (!nativeJson) throw new Error("usage: bench.mjs MANIFESTS PACKAGE_DIR NATIVE_JSON");
const moat = await import(pathToFileURL(path.resolve(packageDir, "moat_wasm.js")).href);
moat.initSync({ module: await readFile(path.resolve(packageDir, "moat_wasm_bg.wasm")) });
const text = await readFile(manifests, "utf8");
const native = JSON.parse(await readFile(nativeJson, "utf8"));

// The mean time of `step`, run until a second has passed and at least three times (as natively).
function meanMs(step) {
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < 1000 || runs < 3) {
    step();
    runs += 1;
  }
  return (performance.now() - started) / runs;
}

const cluster = new moat.Cluster([{ name: "synthetic.yaml", text }]);
const wasm = {
  build: meanMs(() => new moat.Cluster([{ name: "synthetic.yaml", text }]).free()),
  "matrix TCP/80": meanMs(() => cluster.matrix(80, "TCP")),
  "matrix any port": meanMs(() => cluster.matrix()),
};
cluster.free();

console.log(`${native.pods} pods, ${native.policies} policies, ${Math.round(native.bytes / 1024)} KiB of YAML`);
console.log(`${"step".padEnd(18)}${"native ms".padStart(12)}${"wasm ms".padStart(12)}${"wasm/native".padStart(13)}`);
let [nativeTotal, wasmTotal] = [0, 0];
for (const [step, ms] of Object.entries(wasm)) {
  nativeTotal += native.ms[step];
  wasmTotal += ms;
  console.log(`${step.padEnd(18)}${native.ms[step].toFixed(2).padStart(12)}${ms.toFixed(2).padStart(12)}${(ms / native.ms[step]).toFixed(2).padStart(12)}x`);
}
console.log(`${"total".padEnd(18)}${nativeTotal.toFixed(2).padStart(12)}${wasmTotal.toFixed(2).padStart(12)}${(wasmTotal / nativeTotal).toFixed(2).padStart(12)}x`);
