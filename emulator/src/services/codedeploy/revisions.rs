//! Application revisions: RegisterApplicationRevision, GetApplicationRevision (with the AppSpec
//! content), BatchGetApplicationRevisions, ListApplicationRevisions. CreateDeployment registers
//! the revision it deploys and records its use.

use super::{app_name, application, err, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::codedeploy::{
    self as t, ApplicationRevisionSortBy, ListStateFilterAction, RevisionLocationType, SortOrder,
};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Revision {
    /// The RevisionLocation, with its content.
    pub location: t::RevisionLocation,
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

/// Inline content and its sha256, as given (`appSpecContent` or `string`).
fn inline(loc: &t::RevisionLocation, ty: &RevisionLocationType) -> Option<(Option<String>, Option<String>)> {
    match ty {
        RevisionLocationType::AppSpecContent => loc
            .app_spec_content
            .as_ref()
            .map(|c| (c.content.clone(), c.sha256.clone())),
        _ => loc.string.as_ref().map(|c| (c.content.clone(), c.sha256.clone())),
    }
}

/// A location of inline content of type `ty` (`AppSpecContent` or `String`).
fn with_inline(ty: RevisionLocationType, content: Option<String>, sha256: Option<String>) -> t::RevisionLocation {
    let mut out = t::RevisionLocation {
        revision_type: Some(ty.clone()),
        ..Default::default()
    };
    if ty == RevisionLocationType::String {
        out.string = Some(t::RawString { content, sha256 });
    } else {
        out.app_spec_content = Some(t::AppSpecContent { content, sha256 });
    }
    out
}

/// Checks a RevisionLocation and fills in the sha256 of inline content.
pub fn normalize(loc: Option<&t::RevisionLocation>) -> AwsResult<t::RevisionLocation> {
    let loc = loc
        .filter(|l| **l != t::RevisionLocation::default())
        .ok_or_else(|| err("RevisionRequiredException", "The revision must be specified."))?;
    let ty = loc
        .revision_type
        .clone()
        .unwrap_or_else(|| RevisionLocationType::Unknown(String::new()));
    match &ty {
        RevisionLocationType::AppSpecContent | RevisionLocationType::String => {
            let member = if ty == RevisionLocationType::AppSpecContent {
                "appSpecContent"
            } else {
                "string"
            };
            let (content, given) =
                inline(loc, &ty).ok_or_else(|| invalid(format!("A revision of type {ty} must have {member}.")))?;
            let content = content
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| invalid("The AppSpec content of the revision is empty."))?;
            let sha = sha256_hex(&content);
            if let Some(given) = given.filter(|s| !s.is_empty()) {
                if !given.eq_ignore_ascii_case(&sha) {
                    return Err(invalid(
                        "The sha256 of the revision does not match the SHA-256 hash of its content.",
                    ));
                }
            }
            Ok(with_inline(ty, Some(content), Some(sha)))
        }
        RevisionLocationType::S3 => {
            let s3 = loc
                .s3_location
                .as_ref()
                .filter(|s| s.bucket.is_some() && s.key.is_some())
                .ok_or_else(|| invalid("A revision of type S3 must have s3Location with bucket and key."))?;
            Ok(t::RevisionLocation {
                revision_type: Some(ty.clone()),
                s3_location: Some(s3.clone()),
                ..Default::default()
            })
        }
        RevisionLocationType::GitHub => {
            let g = loc
                .git_hub_location
                .as_ref()
                .ok_or_else(|| invalid("A revision of type GitHub must have gitHubLocation."))?;
            Ok(t::RevisionLocation {
                revision_type: Some(ty.clone()),
                git_hub_location: Some(g.clone()),
                ..Default::default()
            })
        }
        RevisionLocationType::Unknown(other) => Err(invalid(format!("The revision type '{other}' is not valid."))),
    }
}

/// The location without inline content (what GetDeployment and ListApplicationRevisions show).
pub fn without_content(loc: &t::RevisionLocation) -> t::RevisionLocation {
    let mut v = loc.clone();
    if let Some(c) = v.app_spec_content.as_mut() {
        c.content = None;
    }
    if let Some(c) = v.string.as_mut() {
        c.content = None;
    }
    v
}

/// The inline content of a location.
pub fn content(loc: &t::RevisionLocation) -> Option<&str> {
    loc.app_spec_content
        .as_ref()
        .and_then(|c| c.content.as_deref())
        .or_else(|| loc.string.as_ref().and_then(|c| c.content.as_deref()))
}

fn same(a: &t::RevisionLocation, b: &t::RevisionLocation) -> bool {
    without_content(a) == without_content(b)
}

/// A location as error messages show it: `revisionType` first, then its member.
fn describe(loc: &t::RevisionLocation) -> Value {
    let mut out = json!({"revisionType": loc.revision_type});
    if let Ok(Value::Object(members)) = serde_json::to_value(loc) {
        for (k, v) in members {
            if k != "revisionType" {
                out[k] = v;
            }
        }
    }
    out
}

/// Registers the revision (if new) and records a use by `group` at `now`.
pub fn record_use(st: &mut State, app: &str, loc: &t::RevisionLocation, group: Option<&str>, now: f64) {
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

fn info(r: &Revision) -> t::GenericRevisionInfo {
    t::GenericRevisionInfo {
        deployment_groups: Some(r.groups.clone()),
        register_time: Some(r.register_time),
        description: r.description.clone(),
        first_used_time: r.first_used,
        last_used_time: r.last_used,
    }
}

fn find<'a>(st: &'a State, app: &str, loc: &t::RevisionLocation) -> AwsResult<&'a Revision> {
    st.revisions
        .get(app)
        .and_then(|l| l.iter().find(|r| same(&r.location, loc)))
        .ok_or_else(|| {
            err(
                "RevisionDoesNotExistException",
                format!(
                    "No application revision found for revision {}",
                    describe(&without_content(loc))
                ),
            )
        })
}

pub fn register_application_revision(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::RegisterApplicationRevisionInput,
) -> AwsResult<()> {
    let app = app_name(&input.application_name)?;
    let loc = normalize(Some(&input.revision))?;
    let description = input.description;
    if description.as_ref().is_some_and(|d| d.chars().count() > 100) {
        return Err(err("DescriptionTooLongException", "The description is too long."));
    }
    let now = env.now_secs();
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
    Ok(())
}

pub fn get_application_revision(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetApplicationRevisionInput,
) -> AwsResult<t::GetApplicationRevisionOutput> {
    let app = app_name(&input.application_name)?;
    let loc = normalize_lookup(&input.revision)?;
    application(st, &app)?;
    let r = find(st, &app, &loc)?;
    Ok(t::GetApplicationRevisionOutput {
        application_name: Some(app),
        revision: Some(r.location.clone()),
        revision_info: Some(info(r)),
    })
}

/// A location named to look a revision up: inline content may be given by its sha256 alone.
fn normalize_lookup(l: &t::RevisionLocation) -> AwsResult<t::RevisionLocation> {
    if content(l).is_none() {
        let sha = l
            .app_spec_content
            .as_ref()
            .and_then(|c| c.sha256.as_deref())
            .or_else(|| l.string.as_ref().and_then(|c| c.sha256.as_deref()));
        if let Some(sha) = sha {
            let ty = l
                .revision_type
                .clone()
                .unwrap_or_else(|| RevisionLocationType::Unknown(String::new()));
            return Ok(with_inline(ty, None, Some(sha.to_ascii_lowercase())));
        }
    }
    normalize(Some(l))
}

pub fn batch_get_application_revisions(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::BatchGetApplicationRevisionsInput,
) -> AwsResult<t::BatchGetApplicationRevisionsOutput> {
    let app = app_name(&input.application_name)?;
    let locs = input.revisions;
    if locs.is_empty() {
        return Err(err("RevisionRequiredException", "The revisions must be specified."));
    }
    if locs.len() > 25 {
        return Err(err(
            "BatchLimitExceededException",
            "The maximum number of names or IDs allowed for this request (25) was exceeded.",
        ));
    }
    application(st, &app)?;
    let mut out = Vec::new();
    for l in &locs {
        let loc = normalize_lookup(l)?;
        if let Ok(r) = find(st, &app, &loc) {
            out.push(t::RevisionInfo {
                revision_location: Some(r.location.clone()),
                generic_revision_info: Some(info(r)),
            });
        }
    }
    Ok(t::BatchGetApplicationRevisionsOutput {
        application_name: Some(app),
        revisions: Some(out),
        error_message: None,
    })
}

pub fn list_application_revisions(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListApplicationRevisionsInput,
) -> AwsResult<t::ListApplicationRevisionsOutput> {
    let app = app_name(&input.application_name)?;
    application(st, &app)?;
    let mut list: Vec<&Revision> = st.revisions.get(&app).map(|l| l.iter().collect()).unwrap_or_default();
    match input.deployed {
        Some(ListStateFilterAction::Include) => list.retain(|r| r.first_used.is_some()),
        Some(ListStateFilterAction::Exclude) => list.retain(|r| r.first_used.is_none()),
        _ => {}
    }
    if let Some(b) = input.s3_bucket.as_deref() {
        let prefix = input.s3_key_prefix.as_deref().unwrap_or("");
        list.retain(|r| {
            let s3 = r.location.s3_location.as_ref();
            s3.and_then(|s| s.bucket.as_deref()) == Some(b)
                && s3.and_then(|s| s.key.as_deref()).is_some_and(|k| k.starts_with(prefix))
        });
    }
    let key_of = |r: &Revision| match input.sort_by {
        Some(ApplicationRevisionSortBy::FirstUsedTime) => r.first_used.unwrap_or(0.0),
        Some(ApplicationRevisionSortBy::LastUsedTime) => r.last_used.unwrap_or(0.0),
        _ => r.register_time,
    };
    list.sort_by(|a, b| key_of(a).total_cmp(&key_of(b)));
    if input.sort_order == Some(SortOrder::Descending) {
        list.reverse();
    }
    let locs: Vec<t::RevisionLocation> = list.iter().map(|r| without_content(&r.location)).collect();
    let (page, next) = paginate(&locs, input.next_token.as_deref(), 100, "InvalidNextTokenException")?;
    Ok(t::ListApplicationRevisionsOutput {
        revisions: Some(page),
        next_token: next,
    })
}
