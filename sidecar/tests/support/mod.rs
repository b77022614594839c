//! Shared by the sidecar's integration tests.
#![allow(dead_code)] // each test crate uses a different part

pub mod fake_api;
pub mod nft_model;
