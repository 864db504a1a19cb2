//! PutLogEvents, GetLogEvents and FilterLogEvents.

use super::groups::{group, group_mut, group_name};
use super::pattern::Pattern;
use super::{invalid, stream_not_found, LogEvent, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::logs as t;

const DAY_MS: i64 = 86_400_000;
/// A batch may not be larger than this, counting each event's message bytes plus 26.
pub const MAX_BATCH_BYTES: usize = 1_048_576;
const EVENT_OVERHEAD: usize = 26;
/// Events older than this (before now) are rejected as too old.
const TOO_OLD_MS: i64 = 14 * DAY_MS;
/// Events further than this ahead of now are rejected as too new.
const TOO_NEW_MS: i64 = 2 * 3_600_000;

/// An index into a batch as the output's `Integer` (a batch holds at most 10,000 events).
fn index(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

pub fn put_log_events(
    logs: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::PutLogEventsRequest,
) -> AwsResult<t::PutLogEventsResponse> {
    let batch: Vec<(i64, String)> = input.log_events.into_iter().map(|e| (e.timestamp, e.message)).collect();
    let now = env.now.0;
    let g = group_mut(logs, &input.log_group_name)?;
    let retention = g.retention_days;
    let stream = g.streams.get_mut(&input.log_stream_name).ok_or_else(stream_not_found)?;
    if batch.windows(2).any(|w| w[0].0 > w[1].0) {
        return Err(invalid(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    let size: usize = batch.iter().map(|(_, m)| m.len() + EVENT_OVERHEAD).sum();
    if size > MAX_BATCH_BYTES {
        return Err(invalid(format!(
            "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }
    if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
        if last.0 - first.0 > DAY_MS {
            return Err(invalid(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
            ));
        }
    }
    // The batch is in time order, so rejected events are a prefix (too old, expired) and a suffix
    // (too new).
    let too_old_end = batch.iter().rposition(|(ts, _)| *ts < now - TOO_OLD_MS);
    let expired_end = retention
        .and_then(|days| batch.iter().rposition(|(ts, _)| *ts < now - days * DAY_MS))
        .filter(|&i| too_old_end.is_none_or(|o| i > o));
    let too_new_start = batch.iter().position(|(ts, _)| *ts > now + TOO_NEW_MS);
    let first_ok = too_old_end.max(expired_end).map(|i| i + 1).unwrap_or(0);
    let end_ok = too_new_start.unwrap_or(batch.len());
    for (ts, message) in batch.iter().take(end_ok).skip(first_ok) {
        stream.insert(LogEvent {
            timestamp: *ts,
            ingestion_time: now,
            message: message.clone(),
        });
    }
    stream.uploads += 1;
    let rejected =
        (too_old_end.is_some() || expired_end.is_some() || too_new_start.is_some()).then(|| t::RejectedLogEventsInfo {
            too_old_log_event_end_index: too_old_end.map(index),
            expired_log_event_end_index: expired_end.map(index),
            too_new_log_event_start_index: too_new_start.map(index),
        });
    Ok(t::PutLogEventsResponse {
        next_sequence_token: Some(stream.sequence_token()),
        rejected_log_events_info: rejected,
        ..Default::default()
    })
}

fn event_value(e: &LogEvent) -> t::OutputLogEvent {
    t::OutputLogEvent {
        timestamp: Some(e.timestamp),
        message: Some(e.message.clone()),
        ingestion_time: Some(e.ingestion_time),
    }
}

enum Cursor {
    Forward(usize),
    Backward(usize),
}

fn parse_token(token: &str) -> AwsResult<Cursor> {
    let bad = || invalid("The specified nextToken is invalid.");
    let (dir, n) = token.split_once('/').ok_or_else(bad)?;
    let n: usize = n.parse().map_err(|_| bad())?;
    match dir {
        "f" => Ok(Cursor::Forward(n)),
        "b" => Ok(Cursor::Backward(n)),
        _ => Err(bad()),
    }
}

/// Pages through one stream. A token is a position between events: `f/<n>` reads forward from
/// event `n`, `b/<n>` reads backward from just before event `n`. Without a token the first page
/// is the oldest events when `startFromHead` is true and the newest otherwise. When a page is
/// empty, the token given is handed back (so polling with `nextForwardToken` waits at the end).
pub fn get_log_events(
    logs: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::GetLogEventsRequest,
) -> AwsResult<t::GetLogEventsResponse> {
    let key = ctx.partition();
    let name = group_name(
        &key,
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let g = group(logs, &name)?;
    let stream = g.streams.get(&input.log_stream_name).ok_or_else(stream_not_found)?;
    let events = &stream.events;
    let start = input.start_time;
    let end = input.end_time;
    let limit = input.limit.map_or(10_000, i64::from).clamp(1, 10_000) as usize;
    let in_window = |i: &usize| {
        let ts = events[*i].timestamp;
        start.is_none_or(|s| ts >= s) && end.is_none_or(|e| ts < e)
    };
    let cursor = match input.next_token.as_deref() {
        Some(token) => parse_token(token)?,
        None if input.start_from_head.unwrap_or(false) => Cursor::Forward(0),
        None => Cursor::Backward(events.len()),
    };
    let (picked, at): (Vec<usize>, usize) = match cursor {
        Cursor::Forward(i) => {
            let i = i.min(events.len());
            ((i..events.len()).filter(in_window).take(limit).collect(), i)
        }
        Cursor::Backward(i) => {
            let i = i.min(events.len());
            let mut v: Vec<usize> = (0..i).rev().filter(in_window).take(limit).collect();
            v.reverse();
            (v, i)
        }
    };
    // One page holds at most 1 MB (message bytes plus 26 per event, as PutLogEvents counts them),
    // the events nearest the cursor first.
    let size = |i: &usize| events[*i].message.len() + 26;
    let picked = match cursor {
        Cursor::Forward(_) => {
            let mut total = 0;
            picked
                .into_iter()
                .take_while(|i| {
                    total += size(i);
                    total <= MAX_BATCH_BYTES
                })
                .collect::<Vec<usize>>()
        }
        Cursor::Backward(_) => {
            let mut total = 0;
            let mut v: Vec<usize> = picked
                .into_iter()
                .rev()
                .take_while(|i| {
                    total += size(i);
                    total <= MAX_BATCH_BYTES
                })
                .collect();
            v.reverse();
            v
        }
    };
    let (forward, backward) = match (picked.first(), picked.last()) {
        (Some(&first), Some(&last)) => (last + 1, first),
        _ => (at, at),
    };
    Ok(t::GetLogEventsResponse {
        events: Some(picked.iter().map(|&i| event_value(&events[i])).collect()),
        next_forward_token: Some(format!("f/{forward}")),
        next_backward_token: Some(format!("b/{backward}")),
    })
}

/// FNV-1a, to give each stream a stable number inside event ids.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn filter_log_events(
    logs: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::FilterLogEventsRequest,
) -> AwsResult<t::FilterLogEventsResponse> {
    let key = ctx.partition();
    let name = group_name(
        &key,
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let names = input.log_stream_names.unwrap_or_default();
    let prefix = input.log_stream_name_prefix.as_deref();
    if !names.is_empty() && prefix.is_some() {
        return Err(invalid(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    let pattern = Pattern::parse(input.filter_pattern.as_deref().unwrap_or(""))?;
    let start = input.start_time;
    let end = input.end_time;
    let limit = input.limit.map_or(10_000, i64::from).clamp(1, 10_000) as usize;
    let g = group(logs, &name)?;
    let streams: Vec<_> = g
        .streams
        .values()
        .filter(|s| names.is_empty() || names.contains(&s.name))
        .filter(|s| prefix.is_none_or(|p| s.name.starts_with(p)))
        .collect();
    let mut found: Vec<(i64, &str, usize, &LogEvent)> = Vec::new();
    for s in &streams {
        for (i, e) in s.events.iter().enumerate() {
            if start.is_none_or(|t| e.timestamp >= t)
                && end.is_none_or(|t| e.timestamp <= t)
                && pattern.matches(&e.message)
            {
                found.push((e.timestamp, s.name.as_str(), i, e));
            }
        }
    }
    found.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let values: Vec<t::FilteredLogEvent> = found
        .iter()
        .map(|(ts, stream, i, e)| t::FilteredLogEvent {
            log_stream_name: Some((*stream).to_owned()),
            timestamp: Some(*ts),
            message: Some(e.message.clone()),
            ingestion_time: Some(e.ingestion_time),
            event_id: Some(format!("{:020}{:020}{:016}", fnv(stream), ts, i)),
        })
        .collect();
    let (page, next) = paginate(&values, input.next_token.as_deref(), limit, "InvalidParameterException")?;
    let searched = streams
        .iter()
        .map(|s| t::SearchedLogStream {
            log_stream_name: Some(s.name.clone()),
            searched_completely: Some(true),
        })
        .collect();
    Ok(t::FilterLogEventsResponse {
        events: Some(page),
        searched_log_streams: Some(searched),
        next_token: next,
    })
}
