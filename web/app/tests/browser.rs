//! The playground's components in a real page (headless Chromium): the whole app on its default
//! example, an edit through the editor, a broken document, an edge's explanation, the views, and the
//! editor alone.
//!
//! `source scripts/wasm-env.sh && cargo test -p moat-playground --target wasm32-unknown-unknown --tests`
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;
use std::time::Duration;

use moat_playground::App;
use moat_playground::components::editor::{Editor, EditorProps};
use moat_playground::model::{Action, Reveal};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlTextAreaElement};
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

const SHOP: &str = "\
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
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
";

fn root() -> Element {
    let document = gloo::utils::document();
    let root = document.create_element("div").expect("an element");
    document.body().expect("a body").append_child(&root).expect("appended");
    root
}

/// Lets Yew's scheduler draw.
async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(60)).await;
}

/// Waits until the page shows the analysis after `generation`: when an analysis takes longer than a
/// frame (as in this unoptimised build), the playground waits for a pause in typing first.
async fn analysed_after(root: &Element, generation: &str) {
    for _ in 0..100 {
        yew::platform::time::sleep(Duration::from_millis(30)).await;
        if generation_of(root) != generation {
            return;
        }
    }
    panic!("no new analysis after generation {generation}");
}

fn generation_of(root: &Element) -> String {
    root.query_selector(".app").ok().flatten().and_then(|app| app.get_attribute("data-generation")).unwrap_or_default()
}

fn all(root: &Element, selector: &str, attribute: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).expect("a selector");
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()?.get_attribute(attribute)).collect()
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector).ok().flatten().and_then(|e| e.text_content()).unwrap_or_default()
}

/// Types `value` into the editor, as a paste would.
fn type_into_editor(root: &Element, value: &str) {
    let area: HtmlTextAreaElement =
        root.query_selector("textarea.input").ok().flatten().expect("the editor").unchecked_into();
    area.set_value(value);
    let event = web_sys::InputEvent::new("input").expect("an event");
    area.dispatch_event(&event).expect("dispatched");
}

/// Clicks an element, HTML or SVG (which has no `click()`).
fn click(root: &Element, selector: &str) {
    let element = root.query_selector(selector).ok().flatten().unwrap_or_else(|| panic!("no {selector}"));
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).expect("an event");
    element.dispatch_event(&event).expect("dispatched");
}

#[wasm_bindgen_test]
async fn the_default_example_then_an_edit_a_broken_document_and_an_explanation() {
    let root = root();
    yew::Renderer::<App>::with_root(root.clone()).render();
    settle().await;

    // The classic example: its pods in the diagram, edges between them, no problems.
    let pods = all(&root, ".graph svg [data-pod]", "data-pod");
    for pod in ["shop/db-0", "payments/billing-1", "sandbox/notebook", "legacy/legacy-api-1"] {
        assert!(pods.contains(&pod.to_string()), "{pod} in {pods:?}");
    }
    assert!(!all(&root, ".graph svg .edge", "data-from").is_empty());
    assert!(text(&root, ".problems-panel").contains("Problems (0)"));

    // Pasting other manifests redraws the diagram.
    let generation = generation_of(&root);
    type_into_editor(&root, SHOP);
    analysed_after(&root, &generation).await;
    settle().await;
    assert_eq!(all(&root, ".graph svg [data-pod]", "data-pod"), ["shop/db", "shop/web"]);
    let edges: Vec<String> = all(&root, ".graph svg .edge", "data-from")
        .into_iter()
        .zip(all(&root, ".graph svg .edge", "data-to"))
        .map(|(f, t)| format!("{f} -> {t}"))
        .collect();
    assert!(edges.contains(&"shop/web -> shop/db".to_string()), "{edges:?}");
    assert_eq!(all(&root, ".graph svg .edge.rule", "data-ports"), ["TCP 5432"]);

    // A broken document: its diagnostic is shown and underlined, the rest still draws.
    let generation = generation_of(&root);
    type_into_editor(
        &root,
        &format!(
            "{SHOP}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: bad, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress: [{{ports: [{{port: 70000}}]}}]\n"
        ),
    );
    analysed_after(&root, &generation).await;
    settle().await;
    assert!(text(&root, ".problems").contains("70000"), "{}", text(&root, ".problems"));
    assert!(root.query_selector(".paint .error").ok().flatten().is_some(), "underlined");
    assert!(root.query_selector(".gutter .number.error").ok().flatten().is_some(), "marked in the gutter");
    assert_eq!(all(&root, ".graph svg [data-pod]", "data-pod"), ["shop/db", "shop/web"]);

    // An edge explains itself, names its policy and shows its lines.
    click(&root, r#".graph svg .edge[data-from="shop/web"][data-to="shop/db"]"#);
    settle().await;
    let details = text(&root, ".details");
    assert!(details.contains("shop/db-from-web ingress[0]") && details.contains("allows it"), "{details}");
    let revealed = all(&root, ".gutter .number.revealed", "class");
    assert!(!revealed.is_empty(), "the rule's lines are highlighted");

    // The other views.
    click(&root, "[data-view=matrix]");
    settle().await;
    assert!(root.query_selector("table.matrix td.some").ok().flatten().is_some(), "web -> db: some ports");
    click(&root, "[data-view=policies]");
    settle().await;
    assert!(text(&root, ".policies-view").contains("pods matching `app=db` in namespace `shop`"));
    root.remove();
}

#[wasm_bindgen_test]
async fn the_editor_alone_marks_problems_and_reveals_lines() {
    let root = root();
    let edits = Rc::new(std::cell::RefCell::new(Vec::new()));
    let dispatch = {
        let edits = edits.clone();
        Callback::from(move |action: Action| edits.borrow_mut().push(action))
    };
    let problems = vec![moat_playground::analysis::Problem {
        severity: moat_engine::Severity::Warning,
        code: "test",
        message: "a warning".into(),
        label: None,
        help: None,
        location: Some(moat_engine::Location { file: "a.yaml".into(), line: 2, column: 6, end_line: 2, end_column: 9 }),
    }];
    let reveal = Reveal { lines: [(0, vec![(3, 3)])].into(), focus: Some((0, 3, 1)), serial: 1 };
    let props = EditorProps {
        tabs: Rc::new(vec![("a.yaml".into(), Some(moat_engine::Severity::Warning)), ("b.yaml".into(), None)]),
        active: 0,
        text: Rc::from("a: 1\nkey: bad\nc: 3\n"),
        problems: Rc::new(problems),
        reveal: Rc::new(reveal),
        dispatch,
    };
    yew::Renderer::<Editor>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(text(&root, ".paint .warning"), "bad");
    assert_eq!(text(&root, ".gutter .number.warning"), "2");
    assert_eq!(text(&root, ".gutter .number.revealed"), "3");
    assert_eq!(all(&root, ".tab .name", "title").len(), 2);
    type_into_editor(&root, "a: 2\n");
    click(&root, ".tab:nth-child(2) .name");
    assert_eq!(*edits.borrow(), [Action::Edit(0, "a: 2\n".into()), Action::SelectFile(1)]);
    root.remove();
}
