//! Applications: CreateApplication, GetApplication, BatchGetApplications, ListApplications,
//! UpdateApplication, DeleteApplication.

use super::{app_name, application, application_arn, err, tags};
use crate::protocol::AwsResult;
use crate::services::util::{opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::world::World;
use cutover_types::codedeploy::ComputePlatform;
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
    pub fn to_json(&self) -> Value {
        json!({
            "applicationId": self.id,
            "applicationName": self.name,
            "createTime": self.create_time,
            "linkedToGitHub": false,
            "computePlatform": self.compute_platform,
        })
    }
}

pub fn create_application(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = app_name(&input, "applicationName")?;
    let platform = ComputePlatform::from(opt_str(&input, "computePlatform").unwrap_or("Server"));
    if matches!(platform, ComputePlatform::Unknown(_)) {
        return Err(err(
            "InvalidComputePlatformException",
            format!("The computePlatform is invalid: {platform}"),
        ));
    }
    let now = world.now.as_secs_f64();
    let id = world.ids.uuid();
    let st = &mut world.region_mut(&key).codedeploy;
    if st.applications.contains_key(&name) {
        return Err(err(
            "ApplicationAlreadyExistsException",
            format!("{name} already exists in your account"),
        ));
    }
    let arn = application_arn(&key, &name);
    tags::add(st, &arn, input.get("tags"))?;
    st.applications.insert(
        name.clone(),
        Application {
            id: id.clone(),
            name: name.clone(),
            compute_platform: platform,
            create_time: now,
        },
    );
    world.record(crate::timeline::Entry::resource(
        "codedeploy",
        format!("application {name} created"),
        json!({"applicationId": id}),
    ));
    Ok(json!({"applicationId": id}))
}

pub fn get_application(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = app_name(&input, "applicationName")?;
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    Ok(json!({"application": application(st, &name)?.to_json()}))
}

pub fn batch_get_applications(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let names = str_list(&input, "applicationNames");
    if names.len() > 100 {
        return Err(err(
            "BatchLimitExceededException",
            "The maximum number of names or IDs allowed for this request (100) was exceeded.",
        ));
    }
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    let mut out = Vec::new();
    for n in names {
        if n.is_empty() {
            return Err(err(
                "ApplicationNameRequiredException",
                "The application name must be specified.",
            ));
        }
        out.push(application(st, &n)?.to_json());
    }
    Ok(json!({"applicationsInfo": out}))
}

pub fn list_applications(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    let names: Vec<String> = st.applications.keys().cloned().collect();
    let (page, next) = paginate(&names, opt_str(&input, "nextToken"), 100, "InvalidNextTokenException")?;
    let mut out = json!({"applications": page});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

pub fn update_application(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = app_name(&input, "applicationName")?;
    let new = match opt_str(&input, "newApplicationName") {
        Some(_) => app_name(&input, "newApplicationName")?,
        None => name.clone(),
    };
    let st = &mut world.region_mut(&key).codedeploy;
    application(st, &name)?;
    if new == name {
        return Ok(json!({}));
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
    Ok(json!({}))
}

pub fn delete_application(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = app_name(&input, "applicationName")?;
    let st = &mut world.region_mut(&key).codedeploy;
    if st.applications.remove(&name).is_some() {
        let groups: Vec<(String, String)> = st.groups.keys().filter(|(a, _)| *a == name).cloned().collect();
        for k in groups {
            st.tags.remove(&super::group_arn(&key, &k.0, &k.1));
            st.groups.remove(&k);
        }
        st.revisions.remove(&name);
        st.tags.remove(&application_arn(&key, &name));
        world.record(crate::timeline::Entry::resource(
            "codedeploy",
            format!("application {name} deleted"),
            Value::Null,
        ));
    }
    Ok(json!({}))
}
