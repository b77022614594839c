//! Snapshots of what `moat-agent render` prints: the nftables table for each node of a fixture, as
//! nft text and as JSON. Any change to the generated ruleset shows up here for review.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn render(args: &[&str]) -> String {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/shop");
    let output = Command::new(env!("CARGO_BIN_EXE_moat-agent"))
        .args(["render", "--manifests", fixture])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "no diagnostics expected: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn node0_text() {
    insta::assert_snapshot!(render(&["--node", "node0"]));
}

#[test]
fn node1_text() {
    insta::assert_snapshot!(render(&["--node", "node1"]));
}

#[test]
fn node1_json() {
    insta::assert_snapshot!(render(&["--node", "node1", "--output", "json"]));
}

#[test]
fn without_denied_log() {
    insta::assert_snapshot!(render(&["--node", "node1", "--no-denied-log"]));
}
