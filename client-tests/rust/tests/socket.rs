//! The library's real-socket entry: `cutover::server::start` on port 0, called with the SDK's own
//! default HTTP client (no connector), then shut down gracefully.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use cutover::sim::ClockMode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_default_http_client_over_a_real_socket() {
    let server = cutover::server::start("127.0.0.1:0", ClockMode::Manual)
        .await
        .expect("server starts");
    assert!(server.url.starts_with("http://127.0.0.1:"), "{}", server.url);
    assert_ne!(server.addr.port(), 0);
    let conf = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.url)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "tests",
        )))
        .build();
    let sts = aws_sdk_sts::Client::new(&conf);
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity over TCP");
    assert_eq!(me.account(), Some("000000000000"));

    let other = aws_sdk_sts::Client::new(
        &conf
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "999988887777",
                "x",
                None,
                None,
                "tests",
            )))
            .build(),
    );
    let them = other
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity over TCP");
    assert_eq!(them.account(), Some("999988887777"));

    let addr = server.addr;
    server.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the port is closed after shutdown"
    );
}
