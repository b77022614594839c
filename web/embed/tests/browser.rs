//! The widget in a real page (headless Chromium): several widgets side by side, each in its own shadow
//! root, with the diagram, the table, the playground link and the failure state.
//!
//! `source scripts/wasm-env.sh && cargo test -p moat-embed --target wasm32-unknown-unknown`
#![cfg(target_arch = "wasm32")]

use moat_embed::{render_widget, render_widget_failure};
use moat_wasm::share;
use tsify::Ts;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

const SHOP: &str = "
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: shop, labels: {app: web}}
    status: {podIP: 10.0.0.1}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: db, namespace: shop, labels: {app: db}}
    status: {podIP: 10.0.0.2}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: db, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: db}}
      policyTypes: [Ingress, Egress]
      ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
";

const TEAMS: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: team-a}
spec: {template: {metadata: {labels: {app: api}}}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: team-b}
";

fn host() -> Element {
    let document = web_sys::window().and_then(|w| w.document()).expect("a document");
    let host = document.create_element("moat-reachability").expect("an element");
    document.body().expect("a body").append_child(&host).expect("appended");
    host
}

fn value(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test JSON")
}

fn file(name: &str, text: &str) -> JsValue {
    let file = js_sys::Object::new();
    js_sys::Reflect::set(&file, &"name".into(), &name.into()).expect("set");
    js_sys::Reflect::set(&file, &"text".into(), &text.into()).expect("set");
    file.into()
}

fn root(host: &Element) -> ShadowRoot {
    host.shadow_root().expect("the widget renders into an open shadow root")
}

fn attributes(root: &ShadowRoot, selector: &str, attribute: &str) -> Vec<String> {
    let nodes = root.query_selector_all(selector).expect("a valid selector");
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|node| wasm_bindgen::JsCast::dyn_into::<Element>(node).ok())
        .filter_map(|element| element.get_attribute(attribute))
        .collect()
}

#[wasm_bindgen_test]
fn several_widgets_on_one_page() {
    let (shop, teams) = (host(), host());
    let options = value(r#"{"theme": "dark", "playground": "https://moat.example/"}"#);
    render_widget(&shop, Ts::new_unchecked(file("shop.yaml", SHOP)), Some(Ts::new_unchecked(options)))
        .expect("rendered");
    render_widget(&teams, Ts::new_unchecked(file("teams.yaml", TEAMS)), None).expect("rendered");

    let shop_root = root(&shop);
    assert_eq!(attributes(&shop_root, "svg [data-pod]", "data-pod"), ["shop/db", "shop/web"]);
    let edges: Vec<String> = attributes(&shop_root, "svg .edge", "data-from")
        .into_iter()
        .zip(attributes(&shop_root, "svg .edge", "data-to"))
        .map(|(from, to)| format!("{from} -> {to}"))
        .collect();
    assert!(edges.contains(&"shop/web -> shop/db".to_string()), "{edges:?}");
    assert!(!edges.iter().any(|e| e.starts_with("shop/db ->")), "db is egress-isolated: {edges:?}");
    // The text alternative lists exactly the edges of the picture.
    let rows = attributes(&shop_root, "table tr[data-from]", "data-from");
    assert_eq!(rows.len(), edges.len());
    assert_eq!(attributes(&shop_root, "figure", "data-theme"), ["dark"]);
    let link = attributes(&shop_root, "a.playground", "href");
    let fragment = link[0].strip_prefix("https://moat.example/#").expect("the playground's address");
    let shared = share::decode(fragment).expect("a share link");
    assert_eq!((shared.name.as_str(), shared.text.starts_with("apiVersion: v1\nkind: Pod\n")), ("shop.yaml", true));

    let teams_root = root(&teams);
    assert_eq!(attributes(&teams_root, "svg [data-pod]", "data-pod"), ["team-a/api", "team-b/client"]);
    assert_eq!(attributes(&teams_root, "figure", "data-theme"), ["auto"]);
    assert!(teams_root.query_selector("a.playground").ok().flatten().is_none(), "no link without a playground");
    // The widgets do not see each other's content.
    assert!(attributes(&shop_root, "svg [data-pod]", "data-pod").iter().all(|p| p.starts_with("shop/")));

    // Rendering again replaces the content.
    render_widget(&teams, Ts::new_unchecked(file("teams.yaml", SHOP)), None).expect("rendered");
    assert_eq!(attributes(&teams_root, "svg [data-pod]", "data-pod"), ["shop/db", "shop/web"]);
}

#[wasm_bindgen_test]
fn problems_in_the_manifests_and_failures() {
    let broken = host();
    render_widget(&broken, Ts::new_unchecked(file("bad.yaml", "kind: [\n")), None).expect("rendered");
    let text = root(&broken).text_content().unwrap_or_default();
    assert!(text.contains("error[yaml-syntax]") && text.contains("bad.yaml"), "{text}");

    let unreachable = host();
    render_widget_failure(&unreachable, "cannot load `x.yaml`: HTTP 404 Not Found", Some("light".into()))
        .expect("rendered");
    let alert = root(&unreachable).query_selector("[role=alert]").ok().flatten().expect("an alert");
    assert_eq!(alert.text_content().as_deref(), Some("cannot load `x.yaml`: HTTP 404 Not Found"));

    let wrong = render_widget(&host(), Ts::new_unchecked(JsValue::from(3)), None).expect_err("not a file");
    assert_eq!(
        js_sys::Reflect::get(&wrong, &"code".into()).ok().and_then(|c| c.as_string()).as_deref(),
        Some("invalid-argument")
    );
}
