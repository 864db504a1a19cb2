//! Application revisions: RegisterApplicationRevision, GetApplicationRevision (with the AppSpec
//! content), BatchGetApplicationRevisions, ListApplicationRevisions. CreateDeployment registers
//! the revision it deploys and records its use.

use super::{app_name, application, err, State};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, paginate};
use crate::services::Ctx;
use crate::world::World;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Revision {
    /// The RevisionLocation, with its content.
    pub location: Value,
    pub description: Option<String>,
    pub register_time: f64,
    pub first_used: Option<f64>,
    pub last_used: Option<f64>,
    pub groups: Vec<String>,
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn invalid(message: impl Into<String>) -> AwsError {
    err("InvalidRevisionException", message)
}

/// Checks a RevisionLocation and fills in the sha256 of inline content.
pub fn normalize(loc: Option<&Value>) -> AwsResult<Value> {
    let loc = loc
        .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        .ok_or_else(|| err("RevisionRequiredException", "The revision must be specified."))?;
    let ty = opt_str(loc, "revisionType").unwrap_or("");
    let mut out = json!({"revisionType": ty});
    match ty {
        "AppSpecContent" | "String" => {
            let member = if ty == "AppSpecContent" {
                "appSpecContent"
            } else {
                "string"
            };
            let inner = loc
                .get(member)
                .ok_or_else(|| invalid(format!("A revision of type {ty} must have {member}.")))?;
            let content = opt_str(inner, "content")
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| invalid("The AppSpec content of the revision is empty."))?;
            let sha = sha256_hex(content);
            if let Some(given) = opt_str(inner, "sha256").filter(|s| !s.is_empty()) {
                if !given.eq_ignore_ascii_case(&sha) {
                    return Err(invalid(
                        "The sha256 of the revision does not match the SHA-256 hash of its content.",
                    ));
                }
            }
            out[member] = json!({"content": content, "sha256": sha});
        }
        "S3" => {
            let s3 = loc
                .get("s3Location")
                .filter(|s| opt_str(s, "bucket").is_some() && opt_str(s, "key").is_some())
                .ok_or_else(|| invalid("A revision of type S3 must have s3Location with bucket and key."))?;
            out["s3Location"] = s3.clone();
        }
        "GitHub" => {
            let g = loc
                .get("gitHubLocation")
                .ok_or_else(|| invalid("A revision of type GitHub must have gitHubLocation."))?;
            out["gitHubLocation"] = g.clone();
        }
        _ => return Err(invalid(format!("The revision type '{ty}' is not valid."))),
    }
    Ok(out)
}

/// The location without inline content (what GetDeployment and ListApplicationRevisions show).
pub fn without_content(loc: &Value) -> Value {
    let mut v = loc.clone();
    for m in ["appSpecContent", "string"] {
        if let Some(inner) = v.get_mut(m).and_then(Value::as_object_mut) {
            inner.remove("content");
        }
    }
    v
}

/// The inline content of a location.
pub fn content(loc: &Value) -> Option<&str> {
    loc.pointer("/appSpecContent/content")
        .or_else(|| loc.pointer("/string/content"))
        .and_then(Value::as_str)
}

fn same(a: &Value, b: &Value) -> bool {
    without_content(a) == without_content(b)
}

/// Registers the revision (if new) and records a use by `group` at `now`.
pub fn record_use(st: &mut State, app: &str, loc: &Value, group: Option<&str>, now: f64) {
    let list = st.revisions.entry(app.to_owned()).or_default();
    let idx = match list.iter().position(|r| same(&r.location, loc)) {
        Some(i) => i,
        None => {
            list.push(Revision {
                location: loc.clone(),
                description: None,
                register_time: now,
                first_used: None,
                last_used: None,
                groups: Vec::new(),
            });
            list.len() - 1
        }
    };
    let r = &mut list[idx];
    if let Some(g) = group {
        r.first_used.get_or_insert(now);
        r.last_used = Some(now);
        if !r.groups.iter().any(|x| x == g) {
            r.groups.push(g.to_owned());
        }
    }
}

fn info(r: &Revision) -> Value {
    let mut v = json!({"deploymentGroups": r.groups, "registerTime": r.register_time});
    if let Some(d) = &r.description {
        v["description"] = json!(d);
    }
    if let Some(t) = r.first_used {
        v["firstUsedTime"] = json!(t);
    }
    if let Some(t) = r.last_used {
        v["lastUsedTime"] = json!(t);
    }
    v
}

fn find<'a>(st: &'a State, app: &str, loc: &Value) -> AwsResult<&'a Revision> {
    st.revisions
        .get(app)
        .and_then(|l| l.iter().find(|r| same(&r.location, loc)))
        .ok_or_else(|| {
            err(
                "RevisionDoesNotExistException",
                format!("No application revision found for revision {}", without_content(loc)),
            )
        })
}

pub fn register_application_revision(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = app_name(&input, "applicationName")?;
    let loc = normalize(input.get("revision"))?;
    let description = opt_str(&input, "description").map(str::to_owned);
    if description.as_ref().is_some_and(|d| d.chars().count() > 100) {
        return Err(err("DescriptionTooLongException", "The description is too long."));
    }
    let now = world.now.as_secs_f64();
    let st = &mut world.region_mut(&ctx.partition()).codedeploy;
    application(st, &app)?;
    record_use(st, &app, &loc, None, now);
    if let Some(r) = st
        .revisions
        .get_mut(&app)
        .and_then(|l| l.iter_mut().find(|r| same(&r.location, &loc)))
    {
        if description.is_some() {
            r.description = description;
        }
    }
    Ok(json!({}))
}

pub fn get_application_revision(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = app_name(&input, "applicationName")?;
    let loc = normalize_lookup(input.get("revision"))?;
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    application(st, &app)?;
    let r = find(st, &app, &loc)?;
    Ok(json!({"applicationName": app, "revision": r.location, "revisionInfo": info(r)}))
}

/// A location named to look a revision up: inline content may be given by its sha256 alone.
fn normalize_lookup(loc: Option<&Value>) -> AwsResult<Value> {
    let l = loc.ok_or_else(|| err("RevisionRequiredException", "The revision must be specified."))?;
    if content(l).is_none() {
        let ty = opt_str(l, "revisionType").unwrap_or("");
        if let Some(sha) = l
            .pointer("/appSpecContent/sha256")
            .or_else(|| l.pointer("/string/sha256"))
            .and_then(Value::as_str)
        {
            let member = if ty == "String" { "string" } else { "appSpecContent" };
            return Ok(json!({"revisionType": ty, member: {"sha256": sha.to_ascii_lowercase()}}));
        }
    }
    normalize(Some(l))
}

pub fn batch_get_application_revisions(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = app_name(&input, "applicationName")?;
    let locs = input
        .get("revisions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if locs.is_empty() {
        return Err(err("RevisionRequiredException", "The revisions must be specified."));
    }
    if locs.len() > 25 {
        return Err(err(
            "BatchLimitExceededException",
            "The maximum number of names or IDs allowed for this request (25) was exceeded.",
        ));
    }
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    application(st, &app)?;
    let mut out = Vec::new();
    for l in &locs {
        let loc = normalize_lookup(Some(l))?;
        if let Ok(r) = find(st, &app, &loc) {
            out.push(json!({"revisionLocation": r.location, "genericRevisionInfo": info(r)}));
        }
    }
    Ok(json!({"applicationName": app, "revisions": out}))
}

pub fn list_application_revisions(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = app_name(&input, "applicationName")?;
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    application(st, &app)?;
    let mut list: Vec<&Revision> = st.revisions.get(&app).map(|l| l.iter().collect()).unwrap_or_default();
    match opt_str(&input, "deployed") {
        Some("include") => list.retain(|r| r.first_used.is_some()),
        Some("exclude") => list.retain(|r| r.first_used.is_none()),
        _ => {}
    }
    if let Some(b) = opt_str(&input, "s3Bucket") {
        let prefix = opt_str(&input, "s3KeyPrefix").unwrap_or("");
        list.retain(|r| {
            r.location.pointer("/s3Location/bucket").and_then(Value::as_str) == Some(b)
                && r.location
                    .pointer("/s3Location/key")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.starts_with(prefix))
        });
    }
    let key_of = |r: &Revision| match opt_str(&input, "sortBy") {
        Some("firstUsedTime") => r.first_used.unwrap_or(0.0),
        Some("lastUsedTime") => r.last_used.unwrap_or(0.0),
        _ => r.register_time,
    };
    list.sort_by(|a, b| key_of(a).total_cmp(&key_of(b)));
    if opt_str(&input, "sortOrder") == Some("descending") {
        list.reverse();
    }
    let locs: Vec<Value> = list.iter().map(|r| without_content(&r.location)).collect();
    let (page, next) = paginate(&locs, opt_str(&input, "nextToken"), 100, "InvalidNextTokenException")?;
    let mut out = json!({"revisions": page});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}
