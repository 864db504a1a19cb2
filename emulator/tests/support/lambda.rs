//! What the Lambda process tests share: the account, a role functions may assume, zip packages and
//! an internal call context.

use base64::Engine as _;
use cutover::model::Service;
use cutover::services::Ctx;
use std::io::Write;

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
pub const ACCT: &str = "000000000000";
pub const ROLE: &str = "arn:aws:iam::000000000000:role/fn-role";
pub const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

pub fn zip_of(files: &[(&str, &str)]) -> String {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o755);
        for (name, text) in files {
            z.start_file(*name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    B64.encode(buf.into_inner())
}

pub fn ctx() -> Ctx {
    let mut c = Ctx::internal(Service::Lambda, ACCT, "us-east-1");
    c.request_id = uuid::Uuid::new_v4().to_string();
    c
}
