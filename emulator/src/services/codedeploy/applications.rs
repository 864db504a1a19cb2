//! Applications: CreateApplication, GetApplication, BatchGetApplications, ListApplications,
//! UpdateApplication, DeleteApplication.

use super::{app_name, application, application_arn, err, tags, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::codedeploy::{self as t, ComputePlatform};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Application {
    pub id: String,
    pub name: String,
    /// `Server`, `Lambda` or `ECS`.
    pub compute_platform: ComputePlatform,
    pub create_time: f64,
}

impl Application {
    pub fn info(&self) -> t::ApplicationInfo {
        t::ApplicationInfo {
            application_id: Some(self.id.clone()),
            application_name: Some(self.name.clone()),
            create_time: Some(self.create_time),
            linked_to_git_hub: Some(false),
            compute_platform: Some(self.compute_platform.clone()),
            ..Default::default()
        }
    }
}

pub fn create_application(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateApplicationInput,
) -> AwsResult<t::CreateApplicationOutput> {
    let key = ctx.partition();
    let name = app_name(&input.application_name)?;
    let platform = input.compute_platform.unwrap_or(ComputePlatform::Server);
    if matches!(platform, ComputePlatform::Unknown(_)) {
        return Err(err(
            "InvalidComputePlatformException",
            format!("The computePlatform is invalid: {platform}"),
        ));
    }
    let now = env.now_secs();
    let id = env.ids.uuid();
    if st.applications.contains_key(&name) {
        return Err(err(
            "ApplicationAlreadyExistsException",
            format!("{name} already exists in your account"),
        ));
    }
    let arn = application_arn(&key, &name);
    tags::add(st, &arn, input.tags.as_deref())?;
    st.applications.insert(
        name.clone(),
        Application {
            id: id.clone(),
            name: name.clone(),
            compute_platform: platform,
            create_time: now,
        },
    );
    env.record(crate::timeline::Entry::resource(
        "codedeploy",
        format!("application {name} created"),
        json!({"applicationId": id}),
    ));
    Ok(t::CreateApplicationOutput {
        application_id: Some(id),
    })
}

pub fn get_application(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetApplicationInput,
) -> AwsResult<t::GetApplicationOutput> {
    let name = app_name(&input.application_name)?;
    Ok(t::GetApplicationOutput {
        application: Some(application(st, &name)?.info()),
    })
}

pub fn batch_get_applications(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::BatchGetApplicationsInput,
) -> AwsResult<t::BatchGetApplicationsOutput> {
    let names = input.application_names;
    if names.len() > 100 {
        return Err(err(
            "BatchLimitExceededException",
            "The maximum number of names or IDs allowed for this request (100) was exceeded.",
        ));
    }
    let mut out = Vec::new();
    for n in names {
        if n.is_empty() {
            return Err(err(
                "ApplicationNameRequiredException",
                "The application name must be specified.",
            ));
        }
        out.push(application(st, &n)?.info());
    }
    Ok(t::BatchGetApplicationsOutput {
        applications_info: Some(out),
    })
}

pub fn list_applications(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListApplicationsInput,
) -> AwsResult<t::ListApplicationsOutput> {
    let names: Vec<String> = st.applications.keys().cloned().collect();
    let (page, next) = paginate(&names, input.next_token.as_deref(), 100, "InvalidNextTokenException")?;
    Ok(t::ListApplicationsOutput {
        applications: Some(page),
        next_token: next,
    })
}

pub fn update_application(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UpdateApplicationInput,
) -> AwsResult<()> {
    let key = ctx.partition();
    let name = app_name(input.application_name.as_deref().unwrap_or(""))?;
    let new = match &input.new_application_name {
        Some(n) => app_name(n)?,
        None => name.clone(),
    };
    application(st, &name)?;
    if new == name {
        return Ok(());
    }
    if st.applications.contains_key(&new) {
        return Err(err(
            "ApplicationAlreadyExistsException",
            format!("{new} already exists in your account"),
        ));
    }
    if let Some(mut app) = st.applications.remove(&name) {
        app.name = new.clone();
        st.applications.insert(new.clone(), app);
    }
    // Groups, revisions, deployments and tags follow the application.
    let groups: Vec<(String, String)> = st.groups.keys().filter(|(a, _)| *a == name).cloned().collect();
    for k in groups {
        if let Some(mut g) = st.groups.remove(&k) {
            g.application_name = new.clone();
            let old_arn = super::group_arn(&key, &name, &g.name);
            if let Some(t) = st.tags.remove(&old_arn) {
                st.tags.insert(super::group_arn(&key, &new, &g.name), t);
            }
            st.groups.insert((new.clone(), k.1), g);
        }
    }
    if let Some(r) = st.revisions.remove(&name) {
        st.revisions.insert(new.clone(), r);
    }
    for d in st.deployments.values_mut() {
        if d.application_name == name {
            d.application_name = new.clone();
        }
    }
    if let Some(t) = st.tags.remove(&application_arn(&key, &name)) {
        st.tags.insert(application_arn(&key, &new), t);
    }
    Ok(())
}

pub fn delete_application(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DeleteApplicationInput,
) -> AwsResult<()> {
    let key = ctx.partition();
    let name = app_name(&input.application_name)?;
    if st.applications.remove(&name).is_some() {
        let groups: Vec<(String, String)> = st.groups.keys().filter(|(a, _)| *a == name).cloned().collect();
        for k in groups {
            st.tags.remove(&super::group_arn(&key, &k.0, &k.1));
            st.groups.remove(&k);
        }
        st.revisions.remove(&name);
        st.tags.remove(&application_arn(&key, &name));
        env.record(crate::timeline::Entry::resource(
            "codedeploy",
            format!("application {name} deleted"),
            Value::Null,
        ));
    }
    Ok(())
}
