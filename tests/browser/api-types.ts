// The TypeScript declarations of the moat-wasm package, checked by the compiler (`tsc --strict`) as a
// user of the package would write against them: every result is precisely typed, and misuse is an
// error. scripts/test.d/30-wasm.sh installs the built package as node_modules/moat-wasm next to a copy
// of this file and type-checks it; nothing here runs.
import init, {
  Cluster,
  decodeShareFragment,
  encodeShareFragment,
  type Connectivity,
  type Diagnostic,
  type Explanation,
  type FlowVerdict,
  type ManifestFile,
  type Matrix,
  type MoatError,
  type PodDescription,
  type PolicyDescription,
} from "moat-wasm";

export async function analyse(text: string): Promise<string[]> {
  await init();
  const cluster = new Cluster([{ name: "prod.yaml", text }], { kubernetesVersion: "1.25", featureGates: {} });
  const fromText = new Cluster(text, { fileName: "inline.yaml" });
  fromText.free();

  const diagnostics: Diagnostic[] = cluster.diagnostics();
  const columns: (number | undefined)[] = diagnostics.map((d) => d.column);
  const severities: ("error" | "warning" | "note")[] = diagnostics.map((d) => d.severity);

  const pods: PodDescription[] = cluster.pods();
  const app: string | undefined = pods[0]?.labels["app"];
  const isolatedBy: string[] = pods.flatMap((p) => p.ingress.map((mention) => mention.policy));
  const workloads: PodDescription[] = cluster.workloads();
  const policies: PolicyDescription[] = cluster.policies();
  const egress: string | null = policies[0]?.egress ?? null;

  const verdict: FlowVerdict = cluster.check({ from: "prod/web", to: "prod/db", port: "postgres" });
  const allowed: boolean = verdict.allowed;
  const explanation: Explanation = cluster.explain({ from: "prod/web", to: "10.0.0.1", port: 5432, protocol: "UDP" });
  const line: number | undefined = explanation.ingress.rules[0]?.location.line;

  const anyPort: Matrix = cluster.matrix();
  const onePort: Matrix = cluster.matrix(80, "SCTP");
  const cell: boolean | undefined = onePort.allowed[0]?.[0];
  const port: number | null = anyPort.port;

  const graph: Connectivity = cluster.connectivity();
  const outside: boolean = graph.endpoints.some((e) => e.kind === null);
  const svg: string = cluster.svg();

  const file: ManifestFile = decodeShareFragment(encodeShareFragment({ name: "a.yaml", text }));

  try {
    cluster.check({ from: "nobody", to: "prod/db", port: 1 });
  } catch (caught) {
    const error = caught as MoatError;
    const described: string = `${error.name} ${error.code}: ${error.message} at ${error.file ?? "-"}:${error.line ?? 0}`;
    columns.push(error.endColumn);
    return [described];
  }

  // @ts-expect-error protocols are exactly TCP, UDP or SCTP
  cluster.matrix(80, "tcp");
  // @ts-expect-error a flow needs a port
  cluster.check({ from: "a", to: "b" });
  // @ts-expect-error manifests are a text or named files
  new Cluster([{ text }]);

  cluster.free();
  return [String(app), ...isolatedBy, String(workloads.length), String(egress), String(allowed), String(line), String(cell),
    String(port), String(outside), svg, file.name, ...severities];
}
