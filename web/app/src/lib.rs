//! moat's playground: paste or drop Kubernetes manifests and see, as you type, which pods may talk
//! to which, why, and what changed. Everything runs in the tab (the engine compiled to WebAssembly);
//! nothing is sent anywhere, and share links carry the manifests in the URL fragment.
//!
//! The logic is plain Rust, tested natively: [`model`] holds the state and applies every action,
//! [`analysis`] derives what the views show from the engine, [`scene`] decorates the engine's SVG
//! diagram, [`share`] writes and reads links, [`highlight`] colours YAML. The Yew components in
//! [`components`] only draw them and turn events into actions.

pub mod analysis;
pub mod browser;
pub mod components;
pub mod examples;
pub mod highlight;
pub mod model;
pub mod scene;
pub mod share;

pub use components::app::App;

/// Mounts the playground on the page's `#playground` element (the body if there is none).
pub fn start() {
    let document = gloo::utils::document();
    match document.get_element_by_id("playground") {
        Some(root) => {
            root.set_inner_html("");
            yew::Renderer::<App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<App>::new().render();
        }
    }
}
