//! EC2 `Filters` (`[{Name, Values}]`): a resource matches when every filter has at least one value
//! matching one of the resource's values for that name. Values may use `*` and `?` wildcards.
//! `tag:<key>`, `tag-key` and `tag-value` work on every resource that has tags.

use super::invalid;
use crate::protocol::AwsResult;
use cutover_types::ec2 as t;

#[derive(Debug, Clone)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// Reads `Filters`, refusing names outside `known` (tag filters are always known when `tagged`).
pub fn parse(input: Option<&[t::Filter]>, known: &[&str], tagged: bool) -> AwsResult<Vec<Filter>> {
    let mut out = Vec::new();
    for f in input.unwrap_or_default() {
        let name = f.name.clone().unwrap_or_default();
        let is_tag = name.starts_with("tag:") || name == "tag-key" || name == "tag-value";
        if !(known.contains(&name.as_str()) || (tagged && is_tag)) {
            return Err(invalid(format!("The filter '{name}' is invalid")));
        }
        let values = f.values.clone().unwrap_or_default();
        out.push(Filter { name, values });
    }
    Ok(out)
}

/// Whether a resource passes every filter. `field(name)` gives the resource's values for a
/// non-tag filter name.
pub fn matches(filters: &[Filter], tags: &[(String, String)], field: impl Fn(&str) -> Vec<String>) -> bool {
    filters.iter().all(|f| {
        let have: Vec<String> = if let Some(key) = f.name.strip_prefix("tag:") {
            tags.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
        } else if f.name == "tag-key" {
            tags.iter().map(|(k, _)| k.clone()).collect()
        } else if f.name == "tag-value" {
            tags.iter().map(|(_, v)| v.clone()).collect()
        } else {
            field(&f.name)
        };
        f.values.iter().any(|want| have.iter().any(|h| glob(want, h)))
    })
}

pub use crate::services::util::glob;

pub fn b(v: bool) -> Vec<String> {
    vec![v.to_string()]
}

pub fn s(v: &str) -> Vec<String> {
    vec![v.to_owned()]
}
