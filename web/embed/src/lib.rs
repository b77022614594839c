//! moat's documentation widget: live reachability diagrams next to NetworkPolicy examples, computed in
//! the reader's browser (the manifests never leave the page).
//!
//! `www/embed.js` loads this module once per page and hands it every `<moat-reachability>` element
//! and `<pre class="moat">` block; [`render_widget`] fills the element's shadow root, so the page's
//! styles and the widget's never mix. The module also exports the whole JavaScript API of
//! `moat-wasm` (`Cluster`, share links), on the same instance.

pub mod view;

use moat_wasm::wire::{ManifestFile, from_js};
use tsify::Ts;
use view::{Theme, WidgetOptions};
use wasm_bindgen::prelude::*;
use web_sys::{Element, ShadowRoot, ShadowRootInit, ShadowRootMode};

/// Draws the reachability of `file` into `host` (replacing what an earlier call drew there).
#[wasm_bindgen(js_name = renderWidget)]
pub fn render_widget(
    host: &Element,
    file: Ts<ManifestFile>,
    options: Option<Ts<WidgetOptions>>,
) -> Result<(), JsValue> {
    let file = from_js(file, "file (a {name, text})")?;
    let options = options.map(|o| from_js(o, "options")).transpose()?.unwrap_or_default();
    shadow_root(host)?.set_inner_html(&view::widget(&file, &options));
    Ok(())
}

/// Shows why there is no diagram (e.g. the manifests could not be fetched) in `host`.
#[wasm_bindgen(js_name = renderWidgetFailure)]
pub fn render_widget_failure(
    host: &Element,
    message: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Theme")] theme: Option<String>,
) -> Result<(), JsValue> {
    let theme = match theme.as_deref() {
        Some("light") => Theme::Light,
        Some("dark") => Theme::Dark,
        _ => Theme::Auto,
    };
    shadow_root(host)?.set_inner_html(&view::failure(message, theme));
    Ok(())
}

fn shadow_root(host: &Element) -> Result<ShadowRoot, JsValue> {
    match host.shadow_root() {
        Some(root) => Ok(root),
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open)),
    }
}
