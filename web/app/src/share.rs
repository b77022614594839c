//! Share links: the playground's whole state (files, release, view, filters, selection, probe) in the
//! URL fragment, which browsers never send to a server.
//!
//! The fragment is `&`-separated keys, as in the docs widget's links (`moat_wasm::share`), whose keys
//! the playground also reads:
//!
//! | key | value |
//! |-----|-------|
//! | `s` | base64url (unpadded) of the raw DEFLATE stream of the state as JSON ([`Shared`]) |
//! | `m`, `t`, `n` | one file, as the docs widget's "open in playground" link writes it |
//! | `example` | the name of a bundled example (`#example=docs-selectors-and`) |
//! | `embed` | no value: show the diagram only, read-only, for an iframe |
//!
//! `s` wins over `m`/`t`, which win over `example`. Unknown keys are ignored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use moat_engine::parse::MAX_FILE_BYTES;
use serde::{Deserialize, Serialize};

use crate::model::{File, Filters, Probe, Selection, View};

/// Compression level: links are short texts, so the best ratio costs nothing.
const DEFLATE_LEVEL: u8 = 9;

/// Everything a link restores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shared {
    pub files: Vec<File>,
    /// The file open in the editor.
    #[serde(default)]
    pub active: usize,
    /// The Kubernetes release, `1.<minor>`; the newest when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `None`: the view chosen by the size of the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<View>,
    #[serde(default, skip_serializing_if = "Filters::is_empty")]
    pub filters: Filters,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    #[serde(default, skip_serializing_if = "Probe::is_empty")]
    pub probe: Probe,
}

/// What a fragment asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    pub state: Option<Shared>,
    pub example: Option<String>,
    pub embed: bool,
}

/// The fragment (without `#`) of a state.
pub fn encode(state: &Shared, embed: bool) -> String {
    let json = serde_json::to_vec(state).unwrap_or_default();
    let compressed = miniz_oxide::deflate::compress_to_vec(&json, DEFLATE_LEVEL);
    let fragment = format!("s={}", URL_SAFE_NO_PAD.encode(compressed));
    if embed { format!("embed&{fragment}") } else { fragment }
}

/// Reads a fragment (with or without its `#`); the error says what is wrong with the link.
pub fn decode(fragment: &str) -> Result<Link, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let mut link = Link::default();
    let mut state = None;
    let mut widget = false;
    for pair in fragment.split('&') {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("s", value) => state = Some(value),
            ("m" | "t", _) => widget = true,
            ("example", value) => link.example = Some(value.to_string()),
            ("embed", _) => link.embed = true,
            _ => {}
        }
    }
    if let Some(value) = state {
        let compressed = URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|e| format!("the link is damaged: `s` is not base64url ({e})"))?;
        // The state may hold several files of at most MAX_FILE_BYTES each; JSON adds little.
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, 4 * MAX_FILE_BYTES)
            .map_err(|e| format!("the link is damaged: `s` does not inflate ({e})"))?;
        let shared: Shared =
            serde_json::from_slice(&json).map_err(|e| format!("the link is damaged: its state does not read ({e})"))?;
        link.state = Some(shared);
    } else if widget {
        let file = moat_wasm::share::decode(fragment)?;
        link.state = Some(Shared { files: vec![File { name: file.name, text: file.text }], ..Shared::default() });
    }
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Shared {
        Shared {
            files: vec![
                File { name: "a.yaml".into(), text: "kind: Pod\nmetadata: {name: café-☕}\n".into() },
                File { name: "b.json".into(), text: "{}".into() },
            ],
            active: 1,
            version: Some("1.6".into()),
            view: Some(View::Matrix),
            filters: Filters {
                port: Some(80),
                protocol: Some("UDP".into()),
                namespace: None,
                labels: "app=web".into(),
                edges: Some(crate::model::Edges::Open),
            },
            selection: Some(Selection::Edge { from: "x/a[Pod]".into(), to: "x/b[Pod]".into() }),
            probe: Probe { from: "x/a".into(), to: "10.0.0.1".into(), port: "http".into(), protocol: "TCP".into() },
        }
    }

    #[test]
    fn round_trip() {
        let fragment = encode(&state(), false);
        assert!(
            fragment.starts_with("s=") && fragment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_=&".contains(&b))
        );
        assert_eq!(decode(&fragment), Ok(Link { state: Some(state()), example: None, embed: false }));
        let embedded = decode(&format!("#{}", encode(&state(), true))).unwrap_or_default();
        assert!(embedded.embed && embedded.state == Some(state()));
    }

    #[test]
    fn the_widget_links_and_examples_open() {
        // The docs widget's documented example: `kind: Pod` named demo.yaml.
        let link = decode("#m=y87MS7FSCMhP4QIA&n=ZGVtby55YW1s").unwrap_or_default();
        let files = link.state.map(|s| s.files).unwrap_or_default();
        assert_eq!(files, [File { name: "demo.yaml".into(), text: "kind: Pod\n".into() }]);
        let widget =
            moat_wasm::share::encode(&moat_wasm::wire::ManifestFile { name: "x.yaml".into(), text: "a: 1\n".into() });
        assert_eq!(decode(&widget).map(|l| l.state.map(|s| s.files[0].text.clone())), Ok(Some("a: 1\n".into())));
        assert_eq!(
            decode("example=docs-selectors-and&embed"),
            Ok(Link { state: None, example: Some("docs-selectors-and".into()), embed: true })
        );
        assert_eq!(decode(""), Ok(Link::default()));
    }

    #[test]
    fn damaged_links_say_so() {
        assert!(decode("s=@@").is_err_and(|e| e.contains("not base64url")));
        assert!(decode("s=aGVsbG8").is_err_and(|e| e.contains("does not inflate")));
        assert!(decode("m=aGVsbG8").is_err_and(|e| e.contains("DEFLATE")));
    }
}
