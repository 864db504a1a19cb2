//! PutMetricData: datapoints are checked and kept (the most recent [`MAX_DATAPOINTS`] per region)
//! so tests can look at what was sent. Nothing reads them back through the API yet and alarms are
//! not evaluated against them.

use super::State;
use super::{non_finite, t, Datapoint};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::Value;

pub const MAX_DATAPOINTS: usize = 10_000;

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterValue", message)
}

/// `PutMetricDataInput`, taking non-finite doubles (strings in the canonical form, see
/// [`non_finite`]) as the `Value` handler did: a datum's non-finite `Value` is absent, and
/// non-finite `Values`, `Counts` and `StatisticValues` (of which only the presence is read) are 0.
pub struct PutMetricData(pub t::PutMetricDataInput);

impl<'de> Deserialize<'de> for PutMetricData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = Value::deserialize(d)?;
        let mut all: Vec<&mut Value> = Vec::new();
        for (member, list) in v.as_object_mut().into_iter().flatten() {
            let items = list.as_array_mut().into_iter().flatten();
            match member.as_str() {
                "MetricData" => all.extend(items),
                "EntityMetricData" => {
                    for e in items {
                        all.extend(
                            e.get_mut("MetricData")
                                .and_then(Value::as_array_mut)
                                .into_iter()
                                .flatten(),
                        );
                    }
                }
                _ => {}
            }
        }
        for datum in all {
            let Some(m) = datum.as_object_mut() else { continue };
            if non_finite(m.get("Value")) {
                m.remove("Value");
            }
            for list in ["Values", "Counts"] {
                for x in m.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
                    if x.is_string() {
                        *x = Value::from(0.0);
                    }
                }
            }
            if let Some(Value::Object(s)) = m.get_mut("StatisticValues") {
                for x in s.values_mut().filter(|x| x.is_string()) {
                    *x = Value::from(0.0);
                }
            }
        }
        t::PutMetricDataInput::deserialize(v)
            .map(PutMetricData)
            .map_err(D::Error::custom)
    }
}

pub fn put_metric_data(cw: &mut State, env: &mut Env<'_>, _ctx: &Ctx, input: PutMetricData) -> AwsResult<()> {
    let input = input.0;
    let namespace = input.namespace;
    if namespace.starts_with("AWS/") {
        return Err(invalid(format!(
            "The value {namespace} for parameter Namespace is invalid: namespaces starting with AWS/ are reserved."
        )));
    }
    let data = input.metric_data.unwrap_or_default();
    let now = env.now_secs();
    let mut points = Vec::with_capacity(data.len());
    for (i, d) in data.into_iter().enumerate() {
        let has_values = d.values.is_some() || d.statistic_values.is_some();
        if d.value.is_some() && has_values {
            return Err(AwsError::new(
                "InvalidParameterCombination",
                format!("The parameters MetricData.member.{}.Value and MetricData.member.{}.Values or StatisticValues are mutually exclusive and you have specified both.", i + 1, i + 1),
            ));
        }
        let timestamp = d.timestamp.unwrap_or(now);
        // CloudWatch accepts datapoints up to two weeks old and two hours ahead.
        if timestamp < now - 14.0 * 86_400.0 || timestamp > now + 2.0 * 3600.0 {
            return Err(invalid(format!(
                "The parameter MetricData.member.{}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.",
                i + 1
            )));
        }
        points.push(Datapoint {
            namespace: namespace.clone(),
            metric_name: d.metric_name,
            dimensions: d
                .dimensions
                .unwrap_or_default()
                .into_iter()
                .map(|x| (x.name, x.value))
                .collect(),
            timestamp,
            value: d.value,
            unit: d.unit,
        });
    }
    let store = &mut cw.datapoints;
    for p in points {
        if store.len() >= MAX_DATAPOINTS {
            store.pop_front();
        }
        store.push_back(p);
    }
    Ok(())
}
