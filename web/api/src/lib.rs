//! moat's engine for JavaScript (browsers, bundlers, Node), with TypeScript declarations.
//!
//! ```js
//! import init, { Cluster } from "moat-wasm";
//! await init();
//! const cluster = new Cluster([{ name: "prod.yaml", text }]);
//! cluster.diagnostics();                       // Diagnostic[]: problems in the manifests, never thrown
//! cluster.check({ from: "prod/web", to: "prod/db", port: 5432 }); // FlowVerdict
//! cluster.explain({ from: "prod/web", to: "prod/db", port: "postgres" }); // Explanation
//! cluster.matrix(80, "TCP");                   // Matrix; matrix() = any port
//! cluster.free();                              // or `using cluster = ...` where supported
//! ```
//!
//! A [`Cluster`] is built once and answers many questions; everything in and out is plain
//! JSON-compatible data. Results the engine defines (explanations, matrices, descriptions, the
//! connectivity graph) are the engine's own types, so they read exactly like the CLI's
//! `--output json`. Bad arguments throw a `MoatError`: an `Error` with the fields of a
//! [`Diagnostic`](wire::Diagnostic) (`code`, `severity`, positions in UTF-16 columns).
//!
//! The handle keeps its files, which is what later operations build on: `list()` (connection
//! lists), `lint()`, `diff(other)` (between two handles) and `update(file)` (replace one file and
//! re-assemble) become methods here as the engine grows them.

pub mod share;
pub mod wire;

use moat_engine::model::workload::PodKind;
use moat_engine::query::connectivity::{Connectivity, connectivity};
use moat_engine::query::{Explanation, Flow, Matrix, PortQuery};
use moat_engine::render::describe::{PodDescription, PolicyDescription, describe_pod, describe_policy};
use moat_engine::render::diagnostics::in_source_order;
use moat_engine::{Cluster as EngineCluster, Sources, query, render};
use tsify::Ts;
use wasm_bindgen::prelude::*;

use wire::{ApiError, ClusterOptions, Diagnostic, FlowQuery, FlowVerdict, ManifestFile, Manifests, from_js, to_js};

/// Manifests parsed and assembled once, answering many questions.
#[wasm_bindgen]
pub struct Cluster {
    cluster: EngineCluster,
}

#[wasm_bindgen]
impl Cluster {
    /// Parses and assembles manifests: one text, or `{name, text}` files, as the Kubernetes release in
    /// the options would. Problems in the manifests do not throw; `diagnostics()` lists them, and
    /// everything valid is still analysed. Throws a `MoatError` only for arguments of the wrong shape
    /// (`invalid-argument`) or an unknown release (`invalid-kubernetes-version`).
    #[wasm_bindgen(constructor)]
    pub fn new(manifests: Ts<Manifests>, options: Option<Ts<ClusterOptions>>) -> Result<Cluster, JsValue> {
        let options = options.map(|o| from_js(o, "options")).transpose()?.unwrap_or_default();
        let engine_options = options.engine_options()?;
        let files = match from_js(manifests, "manifests (a string, or a list of {name, text})")? {
            Manifests::Text(text) => {
                vec![ManifestFile { name: options.file_name.unwrap_or_else(|| share::DEFAULT_FILE_NAME.into()), text }]
            }
            Manifests::Files(files) => files,
        };
        let mut sources = Sources::default();
        for file in files {
            sources.add(file.name, file.text);
        }
        Ok(Cluster { cluster: EngineCluster::from_sources_with(sources, &engine_options) })
    }

    /// Errors, warnings and notes about the manifests, in source order.
    pub fn diagnostics(&self) -> Result<Vec<Ts<Diagnostic>>, JsValue> {
        in_source_order(&self.cluster.diagnostics)
            .into_iter()
            .map(|d| to_js(&Diagnostic::from_engine(d, &self.cluster.sources)))
            .collect()
    }

    /// The pods, with their labels, addresses, ports and the policies that isolate them.
    pub fn pods(&self) -> Result<Vec<Ts<PodDescription>>, JsValue> {
        self.describe_pods(|kind| kind == PodKind::Pod)
    }

    /// The workloads (Deployments, StatefulSets, ...) that stand for the pods of their templates.
    pub fn workloads(&self) -> Result<Vec<Ts<PodDescription>>, JsValue> {
        self.describe_pods(|kind| kind != PodKind::Pod)
    }

    /// The valid policies: what each selects and allows, in plain words, and the pods it selects.
    pub fn policies(&self) -> Result<Vec<Ts<PolicyDescription>>, JsValue> {
        (0..self.cluster.policies.len()).map(|i| to_js(&describe_policy(&self.cluster, i))).collect()
    }

    /// Whether one flow is allowed, in a sentence, and by which policies.
    pub fn check(&self, flow: Ts<FlowQuery>) -> Result<Ts<FlowVerdict>, JsValue> {
        let verdict = self.evaluate(flow)?;
        let explanation = verdict.explain(&self.cluster);
        to_js(&FlowVerdict {
            allowed_by: verdict.allowed_by(&self.cluster),
            from: explanation.from,
            to: explanation.to,
            port: explanation.port,
            port_name: explanation.port_name,
            protocol: explanation.protocol,
            allowed: explanation.allowed,
            summary: explanation.summary,
        })
    }

    /// Every reason for a flow's verdict, down to the rules, peers and ports with their lines.
    pub fn explain(&self, flow: Ts<FlowQuery>) -> Result<Ts<Explanation>, JsValue> {
        let verdict = self.evaluate(flow)?;
        to_js(&verdict.explain(&self.cluster))
    }

    /// Pod-to-pod reachability on one port (protocol `TCP` by default), or on any port when `port`
    /// is absent.
    pub fn matrix(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] port: Option<f64>,
        #[wasm_bindgen(unchecked_optional_param_type = "Protocol")] protocol: Option<String>,
    ) -> Result<Ts<Matrix>, JsValue> {
        let query = match (port, protocol) {
            (Some(port), protocol) => PortQuery::One(wire::port_number(port)?, wire::protocol(protocol.as_deref())?),
            (None, None) => PortQuery::Any,
            (None, Some(_)) => {
                return Err(ApiError::new("invalid-argument", "a protocol needs a port: matrix(port, protocol)").into());
            }
        };
        to_js(&query::matrix(&self.cluster, query))
    }

    /// Every allowed connection between pods, workloads and outside address ranges, with its ports.
    pub fn connectivity(&self) -> Result<Ts<Connectivity>, JsValue> {
        to_js(&connectivity(&self.cluster))
    }

    /// The reachability diagram as a standalone SVG document (what the docs widget shows).
    pub fn svg(&self) -> String {
        render::svg::render(&connectivity(&self.cluster))
    }
}

impl Cluster {
    /// The engine's cluster, for Rust callers (the docs widget, the playground).
    pub fn engine(&self) -> &EngineCluster {
        &self.cluster
    }

    fn describe_pods(&self, keep: impl Fn(PodKind) -> bool) -> Result<Vec<Ts<PodDescription>>, JsValue> {
        (0..self.cluster.pods.len())
            .filter(|&i| keep(self.cluster.pods[i].kind))
            .map(|i| to_js(&describe_pod(&self.cluster, i)))
            .collect()
    }

    fn evaluate(&self, flow: Ts<FlowQuery>) -> Result<query::Verdict, JsValue> {
        let flow = from_js(flow, "flow (a {from, to, port, protocol?})")?;
        let endpoint =
            |text: &str| self.cluster.resolve_endpoint(text).map_err(|e| ApiError::new("unknown-endpoint", e));
        let flow = Flow {
            from: endpoint(&flow.from)?,
            to: endpoint(&flow.to)?,
            port: flow.port.to_port()?,
            protocol: wire::protocol(flow.protocol.as_deref())?,
        };
        Ok(query::evaluate(&self.cluster, &flow).map_err(|e| ApiError::new("unresolved-port-name", e.to_string()))?)
    }
}

/// The fragment (without `#`) of a playground link carrying `file`; see [`share`] for the format.
#[wasm_bindgen(js_name = encodeShareFragment)]
pub fn encode_share_fragment(file: Ts<ManifestFile>) -> Result<String, JsValue> {
    Ok(share::encode(&from_js(file, "file (a {name, text})")?))
}

/// The manifests a playground link's fragment carries. Throws a `MoatError` (`invalid-share-link`).
#[wasm_bindgen(js_name = decodeShareFragment)]
pub fn decode_share_fragment(fragment: &str) -> Result<Ts<ManifestFile>, JsValue> {
    let file = share::decode(fragment).map_err(|e| ApiError::new("invalid-share-link", e))?;
    to_js(&file)
}
