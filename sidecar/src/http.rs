//! `/metrics` (Prometheus text), `/healthz` (the process serves) and `/readyz` (the first sync
//! succeeded), on the `--listen` address.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use moat_engine::model::policy::Direction;

use crate::agent::Shared;
use crate::compile::DIRECTIONS;
use crate::metrics::Metrics;
use crate::nft::kernel::{Kernel, Nft};

#[derive(Clone)]
struct Context {
    metrics: Arc<Metrics>,
    shared: Arc<Shared>,
    nft: Nft,
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    shared: Arc<Shared>,
    nft: Nft,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics_page))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readiness))
        .with_state(Context { metrics, shared, nft });
    axum::serve(listener, app).await
}

pub async fn bind(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address).await
}

async fn readiness(State(context): State<Context>) -> impl IntoResponse {
    if context.shared.ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "waiting for the first successful sync\n")
    }
}

async fn metrics_page(State(context): State<Context>) -> impl IntoResponse {
    let (shared, nft) = (context.shared.clone(), context.nft.clone());
    let denied = tokio::task::spawn_blocking(move || denied_packets(&shared, nft)).await.unwrap_or_default();
    let body = context.metrics.render(&denied);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body)
}

/// Packets denied per local pod and direction, read from the table's named counters (a listing of
/// counters only: cheap, and off the sync path).
fn denied_packets(shared: &Shared, mut nft: Nft) -> BTreeMap<(String, Direction), u64> {
    let Some(enforced) = shared.enforced() else {
        return BTreeMap::new();
    };
    let Ok(counters) = nft.counters() else {
        return BTreeMap::new();
    };
    let mut denied = BTreeMap::new();
    for pod in &enforced.compiled.local_pods {
        for direction in DIRECTIONS {
            if let Some(&packets) = counters.get(&pod.denied_counter(direction)) {
                denied.insert((pod.id.clone(), direction), packets);
            }
        }
    }
    denied
}
