//! The few things the playground asks of the browser: the clock, the URL fragment, downloads, the
//! clipboard, reading dropped files and drawing an SVG into a PNG. Failures are reported as text for
//! the notice bar; nothing here is needed for the analysis itself.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, HtmlCanvasElement, HtmlImageElement, Url};

/// Milliseconds since the page loaded.
pub fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// The page's URL fragment, with its `#`.
pub fn fragment() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The page's URL without its fragment.
pub fn page_url() -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

/// Replaces the URL fragment without a history entry or a `hashchange` event.
pub fn replace_fragment(fragment: &str) {
    let Some(window) = web_sys::window() else { return };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("#{fragment}")));
    }
}

fn error_text(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| format!("{error:?}"))
}

/// Offers `content` as a file download.
pub fn download(name: &str, mime: &str, content: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(content));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(error_text)?;
    download_blob(name, &blob)
}

fn download_blob(name: &str, blob: &Blob) -> Result<(), String> {
    let url = Url::create_object_url_with_blob(blob).map_err(error_text)?;
    let result = download_url(name, &url);
    let _ = Url::revoke_object_url(&url);
    result
}

fn download_url(name: &str, url: &str) -> Result<(), String> {
    let document = gloo::utils::document();
    let anchor: HtmlAnchorElement = document.create_element("a").map_err(error_text)?.unchecked_into();
    anchor.set_href(url);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// Copies text to the clipboard.
pub async fn copy(text: String) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    JsFuture::from(window.navigator().clipboard().write_text(&text)).await.map_err(error_text)?;
    Ok(())
}

/// The text of a dropped or chosen file.
pub async fn read_text(file: web_sys::File) -> Result<(String, String), String> {
    let name = file.name();
    let text = JsFuture::from(file.text()).await.map_err(error_text)?;
    Ok((name, text.as_string().unwrap_or_default()))
}

/// Draws an SVG document on a canvas that is never shown, and offers it as a PNG download.
pub async fn download_png(name: &str, svg: &str, scale: f64) -> Result<(), String> {
    let (width, height) = size_of(svg).ok_or("the diagram has no size")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(svg));
    let options = BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(error_text)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(error_text)?;
    let image = HtmlImageElement::new().map_err(error_text)?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        image.set_onload(Some(&resolve));
        image.set_onerror(Some(&reject));
    });
    image.set_src(&url);
    let drawn = JsFuture::from(loaded).await;
    let _ = Url::revoke_object_url(&url);
    drawn.map_err(|_| "the diagram could not be drawn as an image".to_string())?;
    let canvas: HtmlCanvasElement =
        gloo::utils::document().create_element("canvas").map_err(error_text)?.unchecked_into();
    canvas.set_width((width * scale).ceil() as u32);
    canvas.set_height((height * scale).ceil() as u32);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").map_err(error_text)?.ok_or("no 2D canvas")?.unchecked_into();
    context.scale(scale, scale).map_err(error_text)?;
    context.draw_image_with_html_image_element(&image, 0.0, 0.0).map_err(error_text)?;
    let png = canvas.to_data_url_with_type("image/png").map_err(error_text)?;
    download_url(name, &png)
}

/// The `width` and `height` of an SVG document's root element.
fn size_of(svg: &str) -> Option<(f64, f64)> {
    let open = &svg[..svg.find('>')?];
    let attribute = |name: &str| -> Option<f64> {
        let start = open.find(&format!(" {name}=\""))? + name.len() + 3;
        open[start..].split('"').next()?.parse().ok()
    };
    Some((attribute("width")?, attribute("height")?))
}
