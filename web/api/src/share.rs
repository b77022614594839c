//! Share links: manifests carried in a URL fragment, which browsers never send to a server.
//!
//! The docs widget writes them ("open in playground") and the playground reads them. The format,
//! after the `#` of the playground's URL, is `&`-separated `key=value` pairs (in any order; unknown
//! keys are ignored, so later versions can add view state):
//!
//! | key | value | |
//! |-----|-------|-|
//! | `m` | base64url (RFC 4648 §5, unpadded) of the raw DEFLATE stream (RFC 1951) of the UTF-8 manifests | written by moat |
//! | `t` | base64url of the plain UTF-8 manifests | accepted instead of `m`, for tools without DEFLATE |
//! | `n` | base64url of the UTF-8 file name the manifests are shown under | optional, default `manifests.yaml` |
//!
//! For example `index.html#m=y87MS7FSCMhP4QIA&n=ZGVtby55YW1s` carries `kind: Pod` and a newline,
//! named `demo.yaml`. A leading `#` is accepted when decoding, and base64 padding is tolerated. A
//! decoded text may be at most [`moat_engine::parse::MAX_FILE_BYTES`] long, the engine's own limit
//! for one file.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use moat_engine::parse::MAX_FILE_BYTES;

use crate::wire::ManifestFile;

/// The name of manifests that come without one.
pub const DEFAULT_FILE_NAME: &str = "manifests.yaml";

/// Compression level of `m`: share links are short texts, so the best ratio costs nothing.
const DEFLATE_LEVEL: u8 = 9;

const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The fragment (without `#`) that carries `file`, compressed.
pub fn encode(file: &ManifestFile) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec(file.text.as_bytes(), DEFLATE_LEVEL);
    let mut fragment = format!("m={}", URL_SAFE_NO_PAD.encode(compressed));
    if file.name != DEFAULT_FILE_NAME {
        fragment.push_str("&n=");
        fragment.push_str(&URL_SAFE_NO_PAD.encode(file.name.as_bytes()));
    }
    fragment
}

/// The manifests a fragment carries; the error says what is wrong with it.
pub fn decode(fragment: &str) -> Result<ManifestFile, String> {
    let mut compressed = None;
    let mut plain = None;
    let mut name = None;
    for pair in fragment.strip_prefix('#').unwrap_or(fragment).split('&') {
        match pair.split_once('=') {
            Some(("m", value)) => compressed = Some(value),
            Some(("t", value)) => plain = Some(value),
            Some(("n", value)) => name = Some(value),
            _ => {}
        }
    }
    let text = match (compressed, plain) {
        (Some(value), _) => {
            let bytes = base64(value, "m")?;
            miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_FILE_BYTES)
                .map_err(|e| format!("`m` is not a DEFLATE stream of at most {MAX_FILE_BYTES} bytes ({e})"))?
        }
        (None, Some(value)) => {
            let bytes = base64(value, "t")?;
            if bytes.len() > MAX_FILE_BYTES {
                return Err(format!("`t` holds more than {MAX_FILE_BYTES} bytes"));
            }
            bytes
        }
        (None, None) => return Err("the link carries no manifests: it has neither `m=` nor `t=`".into()),
    };
    let name = match name {
        Some(value) => utf8(base64(value, "n")?, "n")?,
        None => DEFAULT_FILE_NAME.to_string(),
    };
    Ok(ManifestFile { name, text: utf8(text, "the manifests")? })
}

fn base64(value: &str, key: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_ANY_PADDING.decode(value).map_err(|e| format!("`{key}` is not base64url ({e})"))
}

fn utf8(bytes: Vec<u8>, what: &str) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| format!("{what} must be UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> ManifestFile {
        ManifestFile { name: name.into(), text: text.into() }
    }

    #[test]
    fn round_trip_with_and_without_a_name() {
        let named = file("examples/web.yaml", "kind: Pod\nmetadata: {name: café-☕}\n");
        let fragment = encode(&named);
        assert!(fragment.starts_with("m=") && fragment.contains("&n="), "{fragment}");
        assert!(fragment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_=&".contains(&b)));
        assert_eq!(decode(&fragment), Ok(named));
        let unnamed = file(DEFAULT_FILE_NAME, "kind: Pod\n");
        assert_eq!(encode(&unnamed).find('&'), None);
        assert_eq!(decode(&format!("#{}", encode(&unnamed))), Ok(unnamed));
    }

    #[test]
    fn the_documented_example_and_plain_text() {
        assert_eq!(encode(&file("demo.yaml", "kind: Pod\n")), "m=y87MS7FSCMhP4QIA&n=ZGVtby55YW1s");
        assert_eq!(decode("n=ZGVtby55YW1s&t=a2luZDogUG9kCg"), Ok(file("demo.yaml", "kind: Pod\n")));
        assert_eq!(decode("t=a2luZDogUG9kCg==&v=matrix"), Ok(file(DEFAULT_FILE_NAME, "kind: Pod\n")));
        let m = encode(&file(DEFAULT_FILE_NAME, "hello\n"));
        assert_eq!(decode(&format!("{m}&n=ZGVtby55YW1s")).map(|f| f.text), Ok("hello\n".into()));
    }

    #[test]
    fn broken_links_say_why() {
        assert_eq!(decode("x=1"), Err("the link carries no manifests: it has neither `m=` nor `t=`".into()));
        assert!(decode("m=@@@").is_err_and(|e| e.starts_with("`m` is not base64url")));
        assert!(decode("m=aGVsbG8").is_err_and(|e| e.starts_with("`m` is not a DEFLATE stream")));
        assert_eq!(decode("t=_w"), Err("the manifests must be UTF-8 text".into()));
    }
}
