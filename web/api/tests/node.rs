//! The JavaScript API as JavaScript sees it, in Node: results are plain JSON-compatible objects, and
//! errors are `Error` objects with a code, a severity and UTF-16 positions.
//!
//! `source scripts/wasm-env.sh && cargo test -p moat-wasm --target wasm32-unknown-unknown`
#![cfg(target_arch = "wasm32")]

use js_sys::{JSON, Reflect};
use moat_wasm::{Cluster, decode_share_fragment, encode_share_fragment};
use tsify::Ts;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const MANIFESTS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: pg, ports: [{name: postgres, containerPort: 5432}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.0.0.2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: prod}
spec: {template: {metadata: {labels: {app: batch}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
";

fn js(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or_else(|_| panic!("test JSON: {json}"))
}

fn json(value: &JsValue) -> String {
    JSON::stringify(value).map(String::from).unwrap_or_default()
}

fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn cluster(manifests: JsValue) -> Cluster {
    Cluster::new(Ts::new_unchecked(manifests), None).unwrap_or_else(|e| panic!("{}", json(&e)))
}

fn flow(text: &str) -> Ts<moat_wasm::wire::FlowQuery> {
    Ts::new_unchecked(js(text))
}

/// The thrown value: an `Error` named MoatError, whose `code` is returned.
fn error_code(error: JsValue) -> String {
    assert!(error.is_instance_of::<js_sys::Error>(), "not an Error: {error:?}");
    assert_eq!(field(&error, "name").as_string().as_deref(), Some("MoatError"));
    assert_eq!(field(&error, "severity").as_string().as_deref(), Some("error"));
    assert!(field(&error, "message").as_string().is_some_and(|m| !m.is_empty()));
    field(&error, "code").as_string().unwrap_or_default()
}

#[wasm_bindgen_test]
fn one_handle_answers_many_questions() {
    let cluster = cluster(MANIFESTS.into());
    assert_eq!(cluster.diagnostics().map(|d| d.len()).ok(), Some(0));
    let pods: Vec<String> = cluster
        .pods()
        .unwrap_or_default()
        .iter()
        .map(|p| field(&p.js_value(), "pod").as_string().unwrap_or_default())
        .collect();
    assert_eq!(pods, ["prod/db", "prod/web"]);
    let workloads = cluster.workloads().unwrap_or_default();
    assert_eq!(workloads.len(), 1);
    assert_eq!(field(&workloads[0].js_value(), "kind").as_string().as_deref(), Some("Deployment"));
    let db = cluster.pods().unwrap_or_default()[0].js_value();
    assert_eq!(json(&field(&db, "labels")), r#"{"app":"db"}"#, "labels are a plain object");
    assert_eq!(json(&field(&db, "ips")), r#"["10.0.0.1"]"#);
    let policies = cluster.policies().unwrap_or_default();
    assert_eq!(json(&field(&policies[0].js_value(), "pods")), r#"["prod/db"]"#);

    let verdict =
        cluster.check(flow(r#"{"from": "prod/web", "to": "prod/db", "port": "postgres"}"#)).map(|v| v.js_value());
    let verdict = verdict.unwrap_or_else(|e| panic!("{}", json(&e)));
    assert_eq!(
        json(&verdict),
        r#"{"from":"prod/web","to":"prod/db","port":5432,"portName":"postgres","protocol":"TCP","allowed":true,"summary":"allowed: prod/web -> prod/db TCP/5432: source not isolated for egress; destination ingress allowed by prod/db ingress[0]","allowedBy":["prod/db"]}"#
    );
    let denied = cluster.explain(flow(r#"{"from": "prod/batch", "to": "prod/db", "port": 5432, "protocol": "TCP"}"#));
    let denied = denied.map(|e| e.js_value()).unwrap_or_else(|e| panic!("{}", json(&e)));
    assert_eq!(field(&denied, "allowed").as_bool(), Some(false));
    let rule = field(&field(&field(&denied, "ingress"), "rules"), "0");
    assert_eq!(
        json(&field(&rule, "location")),
        r#"{"file":"manifests.yaml","line":22,"column":13,"endLine":22,"endColumn":86}"#
    );

    let any_port = cluster.matrix(None, None).map(|m| json(&m.js_value()));
    assert_eq!(
        any_port.ok().as_deref(),
        Some(
            r#"{"port":null,"protocol":null,"pods":["prod/batch","prod/db","prod/web"],"allowed":[[true,false,true],[true,true,true],[true,true,true]]}"#
        )
    );
    let udp = cluster.matrix(Some(5432.0), Some("UDP".into())).map(|m| json(&field(&m.js_value(), "allowed")));
    assert_eq!(udp.ok().as_deref(), Some("[[true,false,true],[true,true,true],[true,false,true]]"));
    let graph = cluster.connectivity().map(|g| g.js_value()).unwrap_or(JsValue::NULL);
    assert_eq!(
        json(&field(&field(&graph, "endpoints"), "0")),
        r#"{"id":"0.0.0.0-255.255.255.255[External]","namespace":null,"name":"0.0.0.0-255.255.255.255","kind":null}"#
    );
    assert!(cluster.svg().contains(r#"data-pod="prod/db""#));
}

#[wasm_bindgen_test]
fn named_files_and_diagnostics_with_utf16_columns() {
    // 🚀 is one character but two UTF-16 code units: the port's column counts both.
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, annotations: {note: \"🚀\"}}\nspec: {podSelector: {}, ingress: [{ports: [{port: 70000}]}]}\n";
    let files = js(&format!(
        r#"[{{"name": "a.yaml", "text": ""}}, {{"name": "rocket.yaml", "text": {}}}]"#,
        json(&text.into())
    ));
    let cluster = cluster(files);
    let diagnostics: Vec<JsValue> = cluster.diagnostics().unwrap_or_default().iter().map(|d| d.js_value()).collect();
    let port = diagnostics.iter().find(|d| field(d, "code").as_string().as_deref() == Some("invalid-port"));
    let port = port.unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(field(port, "severity").as_string().as_deref(), Some("error"));
    assert_eq!(field(port, "file").as_string().as_deref(), Some("rocket.yaml"));
    let line = text.lines().nth(3).unwrap_or_default();
    let utf16_column = line[..line.find("70000").unwrap_or(0)].encode_utf16().count() + 1;
    assert_eq!(field(port, "line").as_f64(), Some(4.0));
    assert_eq!(field(port, "column").as_f64(), Some(utf16_column as f64));
    assert_eq!(field(port, "endColumn").as_f64(), Some(utf16_column as f64 + 5.0));

    let rocket = "# 🚀\napiVersion: v1\nkind: Pod\nmetadata: {name: a🚀b, namespace: x}\n";
    let options = Some(Ts::new_unchecked(js(r#"{"fileName": "r.yaml"}"#)));
    let named = Cluster::new(Ts::new_unchecked(rocket.into()), options).unwrap_or_else(|e| panic!("{}", json(&e)));
    let diagnostics = named.diagnostics().unwrap_or_default();
    let name = diagnostics
        .iter()
        .map(|d| d.js_value())
        .find(|d| field(d, "code").as_string().as_deref() == Some("invalid-name"));
    let name = name.unwrap_or_else(|| panic!("no invalid-name"));
    assert_eq!(field(&name, "file").as_string().as_deref(), Some("r.yaml"));
    // `metadata: {name: ` is 17 code units; `a🚀b` is 3 characters but 4 code units.
    let range = ["line", "column", "endLine", "endColumn"].map(|f| field(&name, f).as_f64().unwrap_or_default());
    assert_eq!(range, [4.0, 18.0, 4.0, 22.0]);
}

#[wasm_bindgen_test]
fn bad_arguments_throw_errors_with_codes() {
    let not_manifests = Cluster::new(Ts::new_unchecked(JsValue::from(42)), None).err();
    assert_eq!(not_manifests.map(error_code).as_deref(), Some("invalid-argument"));
    let cluster = cluster(MANIFESTS.into());
    let code = |query: &str| cluster.check(flow(query)).err().map(error_code);
    assert_eq!(code(r#"{"from": "prod/nope", "to": "prod/db", "port": 80}"#).as_deref(), Some("unknown-endpoint"));
    assert_eq!(code(r#"{"from": "prod/web", "to": "prod/db", "port": 70000}"#).as_deref(), Some("invalid-port"));
    assert_eq!(code(r#"{"from": "prod/web", "to": "prod/db", "port": 8.5}"#).as_deref(), Some("invalid-port"));
    assert_eq!(
        code(r#"{"from": "prod/web", "to": "prod/db", "port": 80, "protocol": "tcp"}"#).as_deref(),
        Some("invalid-protocol")
    );
    assert_eq!(
        code(r#"{"from": "prod/web", "to": "prod/db", "port": "http"}"#).as_deref(),
        Some("unresolved-port-name")
    );
    assert_eq!(code(r#"{"from": "prod/web", "to": "prod/db"}"#).as_deref(), Some("invalid-argument"));
    assert_eq!(cluster.matrix(None, Some("UDP".into())).err().map(error_code).as_deref(), Some("invalid-argument"));
    assert_eq!(cluster.matrix(Some(0.0), None).err().map(error_code).as_deref(), Some("invalid-port"));
    assert_eq!(decode_share_fragment("x=1").err().map(error_code).as_deref(), Some("invalid-share-link"));
    let release = |version: &str| {
        let options = Some(Ts::new_unchecked(js(&format!(r#"{{"kubernetesVersion": "{version}"}}"#))));
        Cluster::new(Ts::new_unchecked(MANIFESTS.into()), options).err().map(error_code)
    };
    assert_eq!(release("1.25"), None);
    assert_eq!(release("banana").as_deref(), Some("invalid-kubernetes-version"));
}

#[wasm_bindgen_test]
fn share_fragments_round_trip() {
    let file = js(r#"{"name": "demo.yaml", "text": "kind: Pod\n"}"#);
    let fragment = encode_share_fragment(Ts::new_unchecked(file.clone())).unwrap_or_default();
    let decoded = decode_share_fragment(&fragment).map(|f| f.js_value()).unwrap_or(JsValue::NULL);
    assert_eq!(json(&decoded), json(&file));
    assert!(decoded.dyn_ref::<js_sys::Object>().is_some());
}
