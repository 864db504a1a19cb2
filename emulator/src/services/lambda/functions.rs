//! Functions: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
//! UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction; the checks Lambda makes on
//! them (role trust, runtime, handler, memory, timeout, environment, code package) and the
//! Pending → Active / InProgress → Successful settling on the clock. Typed over
//! `cutover_types::lambda`.

use super::{conflict, invalid, not_found, user_err, Event, Function, State};
use crate::env::Env;
use crate::protocol::timestamp::iso8601;
use crate::protocol::{AwsError, AwsResult};
use crate::services::identity::RoleTrust;
use crate::services::util::paginate;
use crate::services::Ctx;
use crate::sim::PartitionKey;
use crate::sim::Signal;
use base64::Engine as _;
use cutover_types::lambda as t;
pub use cutover_types::lambda::{LastUpdateStatus, State as FunctionState};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Largest zip accepted in the request itself (`ZipFile`), as Lambda's direct upload limit.
pub const MAX_ZIPPED: usize = 50 * 1024 * 1024;
/// Largest unzipped size of a function's code.
pub const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;
/// Total size of environment variable names and values.
pub const MAX_ENVIRONMENT: usize = 4 * 1024;
pub const MAX_MEMORY: i64 = 10_240;
pub const MAX_TIMEOUT: i64 = 900;
/// Simulated seconds a new function stays Pending (and an update InProgress).
pub const SETTLE_SECS: f64 = 2.0;

/// Runtimes Lambda accepts for new functions and updates.
pub const RUNTIMES: &[&str] = &[
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "java8.al2",
    "java11",
    "java17",
    "java21",
    "java25",
    "dotnet8",
    "dotnet10",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
    "ruby4.0",
    "provided.al2",
    "provided.al2023",
];

/// The runtime Lambda recommends instead of a deprecated one.
fn recommended(runtime: &str) -> &'static str {
    if runtime.starts_with("nodejs") {
        "nodejs22.x"
    } else if runtime.starts_with("python") {
        "python3.13"
    } else if runtime.starts_with("java") {
        "java21"
    } else if runtime.starts_with("dotnet") {
        "dotnet8"
    } else if runtime.starts_with("ruby") {
        "ruby3.3"
    } else {
        "provided.al2023"
    }
}

/// Environment variables Lambda sets itself and refuses from users.
pub const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// A validated code package.
#[derive(Debug)]
pub struct Code {
    pub zip: Vec<u8>,
    /// Base64 of the SHA-256 of the zip, as `CodeSha256`.
    pub sha256: String,
    pub unzipped_size: u64,
}

/// One version's configuration (`$LATEST` or a published number).
#[derive(Debug, Clone)]
pub struct Config {
    pub version: String,
    pub runtime: Option<t::Runtime>,
    pub handler: Option<String>,
    pub role: String,
    pub description: String,
    pub timeout: i64,
    pub memory: i64,
    pub environment: Option<BTreeMap<String, String>>,
    pub architectures: Vec<t::Architecture>,
    pub ephemeral_storage: i64,
    pub tracing_mode: t::TracingMode,
    pub code: Arc<Code>,
    pub last_modified: f64,
    pub revision_id: String,
    pub state: FunctionState,
    pub last_update_status: Option<LastUpdateStatus>,
}

/// An alias.
#[derive(Debug, Clone)]
pub struct Alias {
    pub name: String,
    pub function_version: String,
    pub description: String,
    pub weights: BTreeMap<String, f64>,
    pub revision_id: String,
}

/// Everything about one function.
#[derive(Debug, Clone)]
pub struct Record {
    pub name: String,
    pub arn: String,
    pub latest: Config,
    /// Published versions by number.
    pub versions: BTreeMap<u64, Config>,
    pub next_version: u64,
    pub aliases: BTreeMap<String, Alias>,
    /// Resource policy statements by qualifier (`""` for the unqualified function).
    pub policies: BTreeMap<String, Vec<Value>>,
    pub tags: BTreeMap<String, String>,
}

impl Record {
    /// The configuration a qualifier (`None`, `$LATEST`, a version number or an alias) names.
    /// For an alias, its version's (routing weights are applied by Invoke).
    pub fn config(&self, qualifier: Option<&str>) -> Option<&Config> {
        match qualifier {
            None | Some("$LATEST") => Some(&self.latest),
            Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => self.versions.get(&q.parse().ok()?),
            Some(q) => {
                let a = self.aliases.get(q)?;
                self.config(Some(&a.function_version))
            }
        }
    }
}

/// `Timestamp` of the Lambda model: `2024-05-01T12:00:00.000+0000`.
pub fn lambda_time(epoch: f64) -> String {
    let t = iso8601(epoch);
    let t = t.trim_end_matches('Z');
    if t.contains('.') {
        format!("{t}+0000")
    } else {
        format!("{t}.000+0000")
    }
}

/// `name`, `name:qualifier`, `arn:…:function:name[:qualifier]` → (name, qualifier).
pub fn split_qualifier(name_or_arn: &str) -> (&str, Option<&str>) {
    if name_or_arn.starts_with("arn:") {
        let mut parts = name_or_arn.split(':');
        let name = parts.nth(6).unwrap_or("");
        (name, parts.next())
    } else {
        let mut parts = name_or_arn.splitn(2, ':');
        let first = parts.next().unwrap_or("");
        // A partial ARN `123456789012:function:name[:qualifier]`.
        if first.len() == 12 && first.bytes().all(|b| b.is_ascii_digit()) {
            let mut rest = name_or_arn.split(':').skip(2);
            let name = rest.next().unwrap_or("");
            return (name, rest.next());
        }
        (first, parts.next())
    }
}

pub fn function_arn(ctx: &Ctx, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:function:{name}", ctx.region, ctx.account)
}

pub fn not_found_fn(ctx: &Ctx, name: &str, qualifier: Option<&str>) -> AwsError {
    let arn = function_arn(ctx, name);
    match qualifier {
        Some(q) => not_found(format!("Function not found: {arn}:{q}")),
        None => not_found(format!("Function not found: {arn}")),
    }
}

/// The longest function name (the name itself, plain or inside an ARN or partial ARN). The
/// model's 140 characters and pattern for the whole member are checked before any handler.
pub const MAX_NAME: usize = 64;

/// Lambda's own limit on the name part of a `FunctionName` member, answered as its framework does.
pub fn check_function_name(function_name: &str) -> AwsResult<()> {
    let (name, _) = split_qualifier(function_name);
    if name.chars().count() > MAX_NAME {
        return Err(super::user_err(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{function_name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to {MAX_NAME}"
            ),
        ));
    }
    Ok(())
}

/// The record a `FunctionName` member names, with the qualifier it carries (if any).
pub fn record<'a>(state: &'a State, ctx: &Ctx, function_name: &'a str) -> AwsResult<(&'a Record, Option<&'a str>)> {
    check_function_name(function_name)?;
    let (name, q) = split_qualifier(function_name);
    let r = state.records.get(name).ok_or_else(|| not_found_fn(ctx, name, None))?;
    Ok((r, q))
}

pub fn record_mut<'a>(state: &'a mut State, ctx: &Ctx, function_name: &str) -> AwsResult<&'a mut Record> {
    check_function_name(function_name)?;
    let (name, _) = split_qualifier(function_name);
    state.records.get_mut(name).ok_or_else(|| not_found_fn(ctx, name, None))
}

/// The qualifier from the `Qualifier` member (`member`) or the name; both given and different is
/// an error.
pub fn qualifier<'a>(member: Option<&'a str>, from_name: Option<&'a str>) -> AwsResult<Option<&'a str>> {
    match (member, from_name) {
        (Some(a), Some(b)) if a != b => Err(invalid(
            "The derived qualifier from the function name does not match the specified qualifier.",
        )),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

// ---------------------------------------------------------------------------------------------
// Output

pub fn configuration(r: &Record, c: &Config, region: &str) -> t::FunctionConfiguration {
    let arn = if c.version == "$LATEST" {
        r.arn.clone()
    } else {
        format!("{}:{}", r.arn, c.version)
    };
    let creating = || "The function is being created.".to_owned();
    let pending = c.state == FunctionState::Pending;
    let updating = c.last_update_status == Some(LastUpdateStatus::InProgress);
    t::FunctionConfiguration {
        function_name: Some(r.name.clone()),
        function_arn: Some(arn),
        runtime: c.runtime.clone(),
        role: Some(c.role.clone()),
        handler: c.handler.clone(),
        code_size: Some(c.code.zip.len() as i64),
        description: Some(c.description.clone()),
        timeout: Some(c.timeout as i32),
        memory_size: Some(c.memory as i32),
        last_modified: Some(lambda_time(c.last_modified)),
        code_sha256: Some(c.code.sha256.clone()),
        version: Some(c.version.clone()),
        environment: c.environment.as_ref().map(|vars| t::EnvironmentResponse {
            variables: Some(vars.clone()),
            error: None,
        }),
        tracing_config: Some(t::TracingConfigResponse {
            mode: Some(c.tracing_mode.clone()),
        }),
        revision_id: Some(c.revision_id.clone()),
        state: Some(c.state.clone()),
        state_reason: pending.then(creating),
        state_reason_code: pending.then_some(t::StateReasonCode::Creating),
        last_update_status: c.last_update_status.clone(),
        last_update_status_reason: updating.then(creating),
        last_update_status_reason_code: updating.then(|| t::LastUpdateStatusReasonCode::from("Creating")),
        package_type: Some(t::PackageType::Zip),
        architectures: Some(c.architectures.clone()),
        ephemeral_storage: Some(t::EphemeralStorage {
            size: c.ephemeral_storage as i32,
        }),
        snap_start: Some(t::SnapStartResponse {
            apply_on: Some(t::SnapStartApplyOn::None),
            optimization_status: Some(t::SnapStartOptimizationStatus::Off),
        }),
        runtime_version_config: c.runtime.as_ref().map(|rt| t::RuntimeVersionConfig {
            runtime_version_arn: Some(format!(
                "arn:aws:lambda:{region}::runtime:{}",
                runtime_version_hash(rt.as_str())
            )),
            error: None,
        }),
        logging_config: Some(t::LoggingConfig {
            log_format: Some(t::LogFormat::Text),
            log_group: Some(format!("/aws/lambda/{}", r.name)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn runtime_version_hash(runtime: &str) -> String {
    let d = Sha256::digest(format!("cutover:{runtime}").as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// Checks

/// The execution role's check: `trust` is whether it lets `lambda.amazonaws.com` assume it, as
/// the lifecycle layer found (`lifecycle::identity::lambda_role`).
fn check_role(trust: RoleTrust) -> AwsResult<()> {
    trust.map_err(|_| invalid("The role defined for the function cannot be assumed by Lambda."))
}

fn check_runtime(runtime: &str) -> AwsResult<()> {
    if RUNTIMES.contains(&runtime) {
        return Ok(());
    }
    Err(invalid(format!(
        "The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime ({}) while creating or updating functions.",
        recommended(runtime)
    )))
}

fn check_memory(memory: i64) -> AwsResult<()> {
    if memory > MAX_MEMORY {
        return Err(invalid(format!(
            "'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to {MAX_MEMORY}"
        )));
    }
    if memory < 128 {
        return Err(invalid(
            "'MemorySize' value failed to satisfy constraint: Member must have value greater than or equal to 128",
        ));
    }
    Ok(())
}

fn check_timeout(timeout: i64) -> AwsResult<()> {
    if !(1..=MAX_TIMEOUT).contains(&timeout) {
        let bound = if timeout < 1 {
            "greater than or equal to 1"
        } else {
            "less than or equal to 900"
        };
        return Err(user_err(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy constraint: Member must have value {bound}"
            ),
        ));
    }
    Ok(())
}

/// The handler must be `module.function` for the Python and Node runtimes.
fn check_handler(runtime: &str, handler: &str) -> AwsResult<()> {
    let interpreted = runtime.starts_with("python") || runtime.starts_with("nodejs");
    if interpreted {
        let ok = handler
            .rsplit_once('.')
            .is_some_and(|(m, f)| !m.is_empty() && !f.is_empty() && !m.ends_with('/'));
        if !ok {
            return Err(invalid(format!(
                "Handler '{handler}' is not of the form module.function for runtime {runtime}."
            )));
        }
    }
    Ok(())
}

fn environment(env: Option<t::Environment>) -> AwsResult<Option<BTreeMap<String, String>>> {
    let Some(env) = env else {
        return Ok(None);
    };
    let vars = env.variables.unwrap_or_default();
    let reserved: Vec<&str> = vars
        .keys()
        .map(String::as_str)
        .filter(|k| RESERVED_ENV.contains(k))
        .collect();
    if !reserved.is_empty() {
        return Err(invalid(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {}",
            reserved.join(", ")
        )));
    }
    let measured = serde_json::to_string(&vars).unwrap_or_default();
    if measured.len() > MAX_ENVIRONMENT {
        return Err(invalid(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    Ok(Some(vars))
}

/// Where a request's code comes from: only zip files in the request are emulated.
struct CodeSource<'a> {
    /// A container image (`ImageUri`, or `PackageType` Image).
    image: bool,
    /// An S3 location (`S3Bucket`, `S3Key`, `S3ObjectVersion`).
    s3: bool,
    /// The `ZipFile` member, base64.
    zip: Option<&'a str>,
}

/// Only zip files in the request: S3 locations and container images are refused.
fn code_from(src: CodeSource<'_>) -> AwsResult<Arc<Code>> {
    if src.image {
        return Err(invalid(
            "cutover does not emulate container image functions (PackageType Image / ImageUri); upload a .zip file as ZipFile.",
        ));
    }
    if src.s3 {
        return Err(invalid(
            "cutover does not emulate code from S3 (S3Bucket/S3Key); upload the .zip file itself as ZipFile.",
        ));
    }
    let Some(b64) = src.zip else {
        return Err(invalid("Please provide a source for function code."));
    };
    let zip = B64
        .decode(b64)
        .map_err(|_| invalid("Could not unzip uploaded file. Please check your file, then try to upload again."))?;
    if zip.len() > MAX_ZIPPED {
        return Err(user_err(
            "RequestTooLargeException",
            "Request must be smaller than 70167211 bytes for the CreateFunction operation",
        )
        .with_status(413));
    }
    let unzipped_size = check_zip(&zip)?;
    let sha256 = B64.encode(Sha256::digest(&zip));
    Ok(Arc::new(Code {
        zip,
        sha256,
        unzipped_size,
    }))
}

/// A relative path inside the code directory, or `None` for one that would escape it.
pub fn safe_entry_path(name: &str) -> Option<std::path::PathBuf> {
    use std::path::Component;
    let path = std::path::Path::new(name);
    if name.contains('\\') || name.contains('\0') {
        return None;
    }
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Reads every entry of the zip (checking CRCs), refusing entries that escape the directory,
/// anything but stored or deflated entries, and more than [`MAX_UNZIPPED`] bytes in all.
/// Returns the unzipped size.
pub fn check_zip(zip: &[u8]) -> AwsResult<u64> {
    let bad = || invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|_| bad())?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| bad())?;
        let name = entry.name().map(|n| n.into_owned()).map_err(|_| bad())?;
        if safe_entry_path(&name).is_none() {
            return Err(invalid(format!(
                "Could not unzip uploaded file. Please check your file, then try to upload again. (cutover refuses the entry '{}': it would be written outside the function's directory)",
                name
            )));
        }
        if entry.is_symlink() {
            return Err(invalid(format!(
                "Could not unzip uploaded file. Please check your file, then try to upload again. (cutover refuses the symbolic link '{}')",
                name
            )));
        }
        if entry.is_dir() {
            continue;
        }
        let limit = MAX_UNZIPPED - total + 1;
        let mut sink = std::io::sink();
        let n = std::io::copy(&mut (&mut entry).take(limit), &mut sink).map_err(|_| bad())?;
        total += n;
        if total > MAX_UNZIPPED {
            return Err(invalid(format!(
                "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
            )));
        }
    }
    Ok(total)
}

// ---------------------------------------------------------------------------------------------
// Handlers

fn schedule_settle(env: &mut Env<'_>, key: &PartitionKey, name: &str, revision: &str) {
    let at = env.after_secs(SETTLE_SECS);
    env.schedule(
        at,
        key,
        Signal::Function(Event::Settle {
            name: name.to_owned(),
            revision: revision.to_owned(),
        }),
    );
}

/// Fired [`SETTLE_SECS`] after a create or update: the function becomes Active, the update
/// Successful, unless another change came since.
pub fn settle(st: &mut State, env: &mut Env<'_>, name: &str, revision: &str) {
    let Some(r) = st.records.get_mut(name) else { return };
    if r.latest.revision_id != revision {
        return;
    }
    let was = r.latest.state.clone();
    r.latest.state = FunctionState::Active;
    r.latest.last_update_status = Some(LastUpdateStatus::Successful);
    let arn = r.arn.clone();
    if was == FunctionState::Pending {
        env.record(crate::timeline::Entry::note(
            "lambda",
            format!("function {arn} is Active"),
        ));
    } else {
        env.record(crate::timeline::Entry::note(
            "lambda",
            format!("update of {arn} Successful"),
        ));
    }
}

/// CreateFunction, with `role_trust`: whether the input's `Role` lets Lambda assume it.
pub fn create_function(
    st: &mut State,
    env: &mut Env<'_>,
    role_trust: RoleTrust,
    ctx: &Ctx,
    input: t::CreateFunctionRequest,
) -> AwsResult<t::FunctionConfiguration> {
    let name_in = input.function_name.as_str();
    check_function_name(name_in)?;
    let (name, q) = split_qualifier(name_in);
    if q.is_some() || name.is_empty() {
        return Err(invalid(format!(
            "Function name {name_in} is not valid: a function is created without a qualifier."
        )));
    }
    let image = input.package_type == Some(t::PackageType::Image);
    if image {
        code_from(CodeSource {
            image,
            s3: false,
            zip: None,
        })?;
    }
    let (Some(runtime), Some(handler)) = (input.runtime.clone(), input.handler.clone()) else {
        return Err(invalid(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
        ));
    };
    check_runtime(runtime.as_str())?;
    check_handler(runtime.as_str(), &handler)?;
    let memory = input.memory_size.map_or(128, i64::from);
    check_memory(memory)?;
    let timeout = input.timeout.map_or(3, i64::from);
    check_timeout(timeout)?;
    let variables = environment(input.environment.clone())?;
    check_role(role_trust)?;
    let c = &input.code;
    let code = code_from(CodeSource {
        image: c.image_uri.is_some(),
        s3: c.s3_bucket.is_some() || c.s3_key.is_some() || c.s3_object_version.is_some(),
        zip: c.zip_file.as_deref(),
    })?;
    let key = ctx.partition();
    if st.records.contains_key(name) {
        return Err(conflict(format!("Function already exist: {name}")));
    }
    let arn = function_arn(ctx, name);
    let revision = env.ids.uuid();
    let now = env.now_secs();
    let latest = Config {
        version: "$LATEST".into(),
        runtime: Some(runtime),
        handler: Some(handler),
        role: input.role.clone(),
        description: input.description.clone().unwrap_or_default(),
        timeout,
        memory,
        environment: variables,
        architectures: input
            .architectures
            .clone()
            .unwrap_or_else(|| vec![t::Architecture::X86_64]),
        ephemeral_storage: input.ephemeral_storage.as_ref().map_or(512, |e| i64::from(e.size)),
        tracing_mode: input
            .tracing_config
            .as_ref()
            .and_then(|t| t.mode.clone())
            .unwrap_or(t::TracingMode::PassThrough),
        code,
        last_modified: now,
        revision_id: revision.clone(),
        state: FunctionState::Pending,
        last_update_status: None,
    };
    let mut record = Record {
        name: name.to_owned(),
        arn: arn.clone(),
        latest,
        versions: BTreeMap::new(),
        next_version: 1,
        aliases: BTreeMap::new(),
        policies: BTreeMap::new(),
        tags: input.tags.clone().unwrap_or_default(),
    };
    let mut out_config = record.latest.clone();
    if input.publish.unwrap_or(false) {
        out_config = super::versions::publish(env, &mut record, "");
    }
    let out = configuration(&record, &out_config, &ctx.region);
    st.functions.insert(
        name.to_owned(),
        Function {
            name: name.to_owned(),
            arn: arn.clone(),
        },
    );
    st.records.insert(name.to_owned(), record);
    schedule_settle(env, &key, name, &revision);
    env.record(crate::timeline::Entry::note(
        "lambda",
        format!("created function {arn} (Pending)"),
    ));
    Ok(out)
}

fn code_location(ctx: &Ctx, r: &Record, c: &Config) -> t::FunctionCodeLocation {
    t::FunctionCodeLocation {
        repository_type: Some("S3".into()),
        location: Some(format!(
            "https://awslambda-{}-tasks.s3.{}.amazonaws.com/snapshots/{}/{}-cutover?versionId={}",
            ctx.region, ctx.region, ctx.account, r.name, c.revision_id
        )),
        ..Default::default()
    }
}

pub fn get_function(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::GetFunctionRequest,
) -> AwsResult<t::GetFunctionResponse> {
    let (r, q) = record(st, ctx, &input.function_name)?;
    let q = qualifier(input.qualifier.as_deref(), q)?;
    let c = r.config(q).ok_or_else(|| not_found_fn(ctx, &r.name, q))?;
    Ok(t::GetFunctionResponse {
        configuration: Some(configuration(r, c, &ctx.region)),
        code: Some(code_location(ctx, r, c)),
        tags: (!r.tags.is_empty()).then(|| r.tags.clone()),
        ..Default::default()
    })
}

pub fn get_function_configuration(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::GetFunctionConfigurationRequest,
) -> AwsResult<t::FunctionConfiguration> {
    let (r, q) = record(st, ctx, &input.function_name)?;
    let q = qualifier(input.qualifier.as_deref(), q)?;
    let c = r.config(q).ok_or_else(|| not_found_fn(ctx, &r.name, q))?;
    Ok(configuration(r, c, &ctx.region))
}

pub fn list_functions(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListFunctionsRequest,
) -> AwsResult<t::ListFunctionsResponse> {
    let all = input.function_version == Some(t::FunctionVersion::All);
    let max = input.max_items.map_or(50, i64::from).clamp(1, 50) as usize;
    let mut items = Vec::new();
    for r in st.records.values() {
        items.push(configuration(r, &r.latest, &ctx.region));
        if all {
            for c in r.versions.values() {
                items.push(configuration(r, c, &ctx.region));
            }
        }
    }
    let (page, next) = paginate(&items, input.marker.as_deref(), max, "InvalidParameterValueException")?;
    Ok(t::ListFunctionsResponse {
        functions: Some(page),
        next_marker: next,
    })
}

fn check_revision(given: Option<&str>, current: &str) -> AwsResult<()> {
    match given {
        Some(r) if r != current => Err(user_err(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        )),
        _ => Ok(()),
    }
}

fn check_not_in_progress(r: &Record) -> AwsResult<()> {
    if r.latest.last_update_status == Some(LastUpdateStatus::InProgress) {
        return Err(conflict(format!(
            "The operation cannot be performed at this time. An update is in progress for resource: {}",
            r.arn
        )));
    }
    Ok(())
}

/// The change half of UpdateFunctionCode (the runtime's instances are stopped by the caller).
pub fn update_function_code(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UpdateFunctionCodeRequest,
) -> AwsResult<t::FunctionConfiguration> {
    let code = code_from(CodeSource {
        image: input.image_uri.is_some(),
        s3: input.s3_bucket.is_some() || input.s3_key.is_some() || input.s3_object_version.is_some(),
        zip: input.zip_file.as_deref(),
    })?;
    let dry_run = input.dry_run.unwrap_or(false);
    let key = ctx.partition();
    let revision = env.ids.uuid();
    let now = env.now_secs();
    let mut r = {
        let r = record_mut(st, ctx, &input.function_name)?;
        check_revision(input.revision_id.as_deref(), &r.latest.revision_id)?;
        check_not_in_progress(r)?;
        if dry_run {
            let mut c = r.latest.clone();
            c.code = code;
            return Ok(configuration(r, &c, &ctx.region));
        }
        r.clone()
    };
    r.latest.code = code;
    r.latest.last_modified = now;
    r.latest.revision_id = revision.clone();
    if r.latest.state == FunctionState::Active {
        r.latest.last_update_status = Some(LastUpdateStatus::InProgress);
    }
    let mut out_config = r.latest.clone();
    if input.publish.unwrap_or(false) {
        out_config = super::versions::publish(env, &mut r, "");
    }
    let out = configuration(&r, &out_config, &ctx.region);
    let arn = r.arn.clone();
    let name = r.name.clone();
    st.records.insert(name.clone(), r);
    schedule_settle(env, &key, &name, &revision);
    env.record(crate::timeline::Entry::note(
        "lambda",
        format!("updated the code of {arn}"),
    ));
    Ok(out)
}

/// The change half of UpdateFunctionConfiguration, with `role_trust`: whether the input's `Role`
/// lets Lambda assume it (`Ok` when the input names none).
pub fn update_function_configuration(
    st: &mut State,
    env: &mut Env<'_>,
    role_trust: RoleTrust,
    ctx: &Ctx,
    input: t::UpdateFunctionConfigurationRequest,
) -> AwsResult<t::FunctionConfiguration> {
    let key = ctx.partition();
    let mut r = {
        let r = record_mut(st, ctx, &input.function_name)?;
        check_revision(input.revision_id.as_deref(), &r.latest.revision_id)?;
        check_not_in_progress(r)?;
        r.clone()
    };
    let c = &mut r.latest;
    if let Some(rt) = input.runtime {
        check_runtime(rt.as_str())?;
        c.runtime = Some(rt);
    }
    if let Some(h) = input.handler {
        c.handler = Some(h);
    }
    if let (Some(rt), Some(h)) = (c.runtime.as_ref(), c.handler.as_deref()) {
        check_handler(rt.as_str(), h)?;
    }
    if let Some(m) = input.memory_size.map(i64::from) {
        check_memory(m)?;
        c.memory = m;
    }
    if let Some(t) = input.timeout.map(i64::from) {
        check_timeout(t)?;
        c.timeout = t;
    }
    if input.environment.is_some() {
        c.environment = environment(input.environment)?;
    }
    if let Some(d) = input.description {
        c.description = d;
    }
    if let Some(m) = input.tracing_config.and_then(|t| t.mode) {
        c.tracing_mode = m;
    }
    if let Some(s) = input.ephemeral_storage {
        c.ephemeral_storage = i64::from(s.size);
    }
    if let Some(role) = input.role {
        check_role(role_trust)?;
        r.latest.role = role;
    }
    let revision = env.ids.uuid();
    r.latest.revision_id = revision.clone();
    r.latest.last_modified = env.now_secs();
    if r.latest.state == FunctionState::Active {
        r.latest.last_update_status = Some(LastUpdateStatus::InProgress);
    }
    let out = configuration(&r, &r.latest, &ctx.region);
    let (name, arn) = (r.name.clone(), r.arn.clone());
    st.records.insert(name.clone(), r);
    schedule_settle(env, &key, &name, &revision);
    env.record(crate::timeline::Entry::note(
        "lambda",
        format!("updated the configuration of {arn}"),
    ));
    Ok(out)
}

/// The change half of DeleteFunction: the whole function, or one published version.
pub fn delete_function(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DeleteFunctionRequest,
) -> AwsResult<t::DeleteFunctionResponse> {
    let (name, q) = {
        let (r, q) = record(st, ctx, &input.function_name)?;
        (
            r.name.clone(),
            qualifier(input.qualifier.as_deref(), q)?.map(str::to_owned),
        )
    };
    match q.as_deref() {
        None => {
            st.records.remove(&name);
            st.functions.remove(&name);
            let arn = function_arn(ctx, &name);
            env.record(crate::timeline::Entry::note(
                "lambda",
                format!("deleted function {arn}"),
            ));
        }
        Some("$LATEST") => {
            return Err(invalid(
                "$LATEST version cannot be deleted without deleting the function.",
            ));
        }
        Some(v) => {
            let r = record_mut(st, ctx, &name)?;
            let n: u64 = v.parse().map_err(|_| {
                invalid("Deletion of aliases is not supported. Use the DeleteAlias API to delete aliases.")
            })?;
            let users: Vec<&str> = r
                .aliases
                .values()
                .filter(|a| a.function_version == v || a.weights.contains_key(v))
                .map(|a| a.name.as_str())
                .collect();
            if !users.is_empty() {
                return Err(conflict(format!(
                    "Unable to delete version because the following aliases reference it: [{}]",
                    users.join(", ")
                )));
            }
            if r.versions.remove(&n).is_none() {
                return Err(not_found_fn(ctx, &name, Some(v)));
            }
            r.policies.remove(v);
        }
    }
    Ok(t::DeleteFunctionResponse { status_code: Some(204) })
}
