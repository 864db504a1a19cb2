//! An aws-sdk-rust HTTP client that answers every request from an emulator in the same process,
//! with no socket: the SDK's request goes straight to [`crate::server::handle`], the same entry the
//! HTTP server uses, and the emulator's response goes back to the SDK.
//!
//! ```ignore
//! let em = cutover::Emulator::new(cutover::sim::ClockMode::Manual);
//! let http = cutover::connector::InProcess::new(em.clone());
//! let conf = aws_sdk_sts::Config::builder()
//!     .http_client(http)
//!     .endpoint_url("http://cutover.local")
//!     // credentials, region, behavior version ...
//!     .build();
//! ```

use crate::{server, Emulator};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use axum::body::Body;
use http_body_util::BodyExt;
use std::fmt;
use std::sync::Arc;

/// An SDK HTTP client (and connector) bound to one emulator.
#[derive(Clone)]
pub struct InProcess {
    emulator: Arc<Emulator>,
}

impl InProcess {
    pub fn new(emulator: Arc<Emulator>) -> InProcess {
        InProcess { emulator }
    }

    /// The emulator this client calls.
    pub fn emulator(&self) -> &Arc<Emulator> {
        &self.emulator
    }

    /// The client in the form SDK config builders take (`.http_client(...)`).
    pub fn shared(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

fn user_error(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ConnectorError {
    ConnectorError::user(e.into())
}

/// Converts the SDK's request into the server's form, reading its whole body.
async fn to_server_request(req: HttpRequest) -> Result<http::Request<Body>, ConnectorError> {
    let req: http::Request<SdkBody> = req.try_into_http1x().map_err(user_error)?;
    let (parts, body) = req.into_parts();
    let bytes = body.collect().await.map_err(ConnectorError::io)?.to_bytes();
    Ok(http::Request::from_parts(parts, Body::from(bytes)))
}

/// Converts the server's answer into the SDK's response.
fn to_sdk_response(resp: crate::protocol::HttpResponse) -> Result<HttpResponse, ConnectorError> {
    let mut builder = http::Response::builder().status(resp.status);
    for (name, value) in &resp.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let resp = builder
        .body(SdkBody::from(resp.body))
        .map_err(|e| ConnectorError::other(e.into(), None))?;
    HttpResponse::try_from(resp).map_err(|e| ConnectorError::other(e.into(), None))
}

impl HttpConnector for InProcess {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let em = self.emulator.clone();
        HttpConnectorFuture::new(async move {
            let req = to_server_request(request).await?;
            let resp = server::handle(em, req).await;
            to_sdk_response(resp)
        })
    }
}

impl HttpClient for InProcess {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ClockMode;

    fn sdk_request(method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> HttpRequest {
        let mut b = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(SdkBody::from(body.to_owned())).expect("request");
        HttpRequest::try_from(req).expect("smithy request")
    }

    #[tokio::test]
    async fn control_calls_go_through_without_a_socket() {
        let em = Emulator::new(ClockMode::Manual);
        let c = InProcess::new(em);
        let resp = c
            .call(sdk_request("GET", "http://cutover.local/_emulator/health", &[], ""))
            .await
            .expect("response");
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.headers().get("content-type"), Some("application/json"));
        let body = std::str::from_utf8(resp.body().bytes().expect("in-memory body")).expect("utf8");
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["status"], "ok");
        assert_eq!(v["clock"], "manual");
    }

    #[tokio::test]
    async fn request_body_reaches_the_emulator() {
        let em = Emulator::new(ClockMode::Manual);
        let c = InProcess::new(em.clone());
        let before = em.clock.now();
        let resp = c
            .call(sdk_request(
                "POST",
                "http://cutover.local/_emulator/clock",
                &[("content-type", "application/json")],
                r#"{"advance": 90}"#,
            ))
            .await
            .expect("response");
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(em.clock.now().as_secs_f64() - before.as_secs_f64(), 90.0);
        let resp = c
            .call(sdk_request(
                "POST",
                "http://cutover.local/_emulator/clock",
                &[("content-type", "application/json")],
                "[1]",
            ))
            .await
            .expect("response");
        assert_eq!(resp.status().as_u16(), 400);
    }

    #[tokio::test]
    async fn unknown_service_is_answered_not_dropped() {
        let c = InProcess::new(Emulator::new(ClockMode::Manual));
        let resp = c
            .call(sdk_request("POST", "http://cutover.local/", &[], ""))
            .await
            .expect("response");
        assert_eq!(resp.status().as_u16(), 400);
        assert_eq!(
            resp.headers().get("x-amzn-errortype"),
            Some("UnrecognizedClientException")
        );
    }
}
