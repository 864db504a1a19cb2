//! PutMetricData: datapoints are checked and kept (the most recent [`MAX_DATAPOINTS`] per region)
//! so tests can look at what was sent. Nothing reads them back through the API yet and alarms are
//! not evaluated against them.

use super::Datapoint;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::opt_str;
use crate::services::{now_secs, Ctx};
use crate::world::World;
use serde_json::{json, Value};

pub const MAX_DATAPOINTS: usize = 10_000;

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterValue", message)
}

pub fn put_metric_data(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let namespace = opt_str(&input, "Namespace").unwrap_or("");
    if namespace.starts_with("AWS/") {
        return Err(invalid(format!(
            "The value {namespace} for parameter Namespace is invalid: namespaces starting with AWS/ are reserved."
        )));
    }
    let data = input
        .get("MetricData")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let now = now_secs(world);
    let mut points = Vec::with_capacity(data.len());
    for (i, d) in data.iter().enumerate() {
        let value = d.get("Value").and_then(Value::as_f64);
        let has_values = d.get("Values").is_some() || d.get("StatisticValues").is_some();
        if value.is_some() && has_values {
            return Err(AwsError::new(
                "InvalidParameterCombination",
                format!("The parameters MetricData.member.{}.Value and MetricData.member.{}.Values or StatisticValues are mutually exclusive and you have specified both.", i + 1, i + 1),
            ));
        }
        let timestamp = d.get("Timestamp").and_then(Value::as_f64).unwrap_or(now);
        // CloudWatch accepts datapoints up to two weeks old and two hours ahead.
        if timestamp < now - 14.0 * 86_400.0 || timestamp > now + 2.0 * 3600.0 {
            return Err(invalid(format!(
                "The parameter MetricData.member.{}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.",
                i + 1
            )));
        }
        points.push(Datapoint {
            namespace: namespace.to_owned(),
            metric_name: opt_str(d, "MetricName").unwrap_or("").to_owned(),
            dimensions: d
                .get("Dimensions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| Some((opt_str(x, "Name")?.to_owned(), opt_str(x, "Value")?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            timestamp,
            value,
            unit: opt_str(d, "Unit").map(str::to_owned),
        });
    }
    let store = &mut world.region_mut(&ctx.partition()).cloudwatch.datapoints;
    for p in points {
        if store.len() >= MAX_DATAPOINTS {
            store.pop_front();
        }
        store.push_back(p);
    }
    Ok(json!({}))
}
