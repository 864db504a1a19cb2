//! An aws-sdk-rust HTTP client that calls the router in-process. Being written.
