//! The Lambda Runtime API one instance talks to: `GET /2018-06-01/runtime/invocation/next`,
//! `POST …/invocation/{id}/response`, `POST …/invocation/{id}/error`, `POST …/init/error`.
//! Each instance has its own listener on 127.0.0.1 (port picked by the OS), so the API knows
//! which process is asking without any extension of the protocol.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Mutex};

/// An invocation handed to the runtime by `/next`.
#[derive(Debug)]
pub struct Delivery {
    pub request_id: String,
    pub payload: Vec<u8>,
    /// Wall-clock epoch milliseconds (runtime clients compare it with their own clock).
    pub deadline_ms: i64,
    pub invoked_arn: String,
    pub trace_id: String,
}

/// What the runtime reported.
#[derive(Debug)]
pub enum Report {
    /// The runtime took the invocation with this id.
    Picked(String, Instant),
    Response(String, Vec<u8>),
    Error(String, Vec<u8>, Option<String>),
    InitError(Vec<u8>, Option<String>),
}

pub struct Api {
    pub next_tx: mpsc::Sender<Delivery>,
    next_rx: Mutex<mpsc::Receiver<Delivery>>,
    reports: mpsc::UnboundedSender<Report>,
}

impl Api {
    pub fn new() -> (Arc<Api>, mpsc::UnboundedReceiver<Report>) {
        let (next_tx, next_rx) = mpsc::channel(1);
        let (reports, rx) = mpsc::unbounded_channel();
        (
            Arc::new(Api {
                next_tx,
                next_rx: Mutex::new(next_rx),
                reports,
            }),
            rx,
        )
    }
}

pub fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(api)
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    let d = {
        let mut rx = api.next_rx.lock().await;
        rx.recv().await
    };
    let Some(d) = d else {
        return StatusCode::GONE.into_response();
    };
    let _ = api.reports.send(Report::Picked(d.request_id.clone(), Instant::now()));
    let mut r = Response::new(axum::body::Body::from(d.payload));
    let h = r.headers_mut();
    let pairs = [
        ("Lambda-Runtime-Aws-Request-Id", d.request_id),
        ("Lambda-Runtime-Deadline-Ms", d.deadline_ms.to_string()),
        ("Lambda-Runtime-Invoked-Function-Arn", d.invoked_arn),
        ("Lambda-Runtime-Trace-Id", d.trace_id),
        ("Content-Type", "application/json".to_owned()),
    ];
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(k),
            axum::http::HeaderValue::try_from(v),
        ) {
            h.insert(k, v);
        }
    }
    r
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("Content-Type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn response(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Bytes) -> Response {
    let _ = api.reports.send(Report::Response(id, body.to_vec()));
    accepted()
}

async fn error(State(api): State<Arc<Api>>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let _ = api.reports.send(Report::Error(id, body.to_vec(), error_type(&headers)));
    accepted()
}

async fn init_error(State(api): State<Arc<Api>>, headers: HeaderMap, body: Bytes) -> Response {
    let _ = api.reports.send(Report::InitError(body.to_vec(), error_type(&headers)));
    accepted()
}
