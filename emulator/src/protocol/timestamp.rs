//! Timestamp text forms used on the wire: ISO 8601 (awsQuery, EC2), RFC 7231 http-date (restJson
//! headers), epoch seconds (JSON bodies). Pure arithmetic on epoch seconds: no clock reads here.

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn split(epoch: f64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let total_ms = (epoch * 1000.0).round() as i64;
    let secs = total_ms.div_euclid(1000);
    let ms = total_ms.rem_euclid(1000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, mo, d) = civil_from_days(days);
    (y, mo, d, sod / 3600, (sod / 60) % 60, sod % 60, ms)
}

/// `2024-05-01T12:00:00.000Z` when there are milliseconds, else `2024-05-01T12:00:00Z`.
pub fn iso8601(epoch: f64) -> String {
    let (y, mo, d, h, mi, s, ms) = split(epoch);
    if ms == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn http_date(epoch: f64) -> String {
    let (y, mo, d, h, mi, s, _) = split(epoch.floor());
    let days = (epoch.floor() as i64).div_euclid(86_400);
    let wd = WEEKDAYS[days.rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y:04} {h:02}:{mi:02}:{s:02} GMT",
        MONTHS[(mo - 1) as usize]
    )
}

/// Parses ISO 8601 (`2024-05-01T12:00:00Z`, with optional fraction and offset), an http-date,
/// or epoch seconds given as text.
pub fn parse(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    parse_iso(t).or_else(|| parse_http_date(t))
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_iso(t: &str) -> Option<f64> {
    let (date, time) = t.split_once(['T', 't', ' '])?;
    let mut dp = date.splitn(3, '-');
    let (y, mo, d) = (num(dp.next()?)?, num(dp.next()?)?, num(dp.next()?)?);
    let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0i64)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, off) = time.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let off = off[1..].replace(':', "");
        let oh = num(off.get(0..2)?)?;
        let om = num(off.get(2..).filter(|s| !s.is_empty()).unwrap_or("00"))?;
        (c, sign * (oh * 3600 + om * 60))
    } else {
        (time, 0)
    };
    let mut cp = clock.splitn(3, ':');
    let (h, mi) = (num(cp.next()?)?, num(cp.next()?)?);
    let sec_text = cp.next().unwrap_or("0");
    let (whole, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let s = num(whole)?;
    let frac: f64 = if frac.is_empty() {
        0.0
    } else {
        format!("0.{frac}").parse().ok()?
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    Some((days * 86_400 + h * 3600 + mi * 60 + s - offset) as f64 + frac)
}

fn parse_http_date(t: &str) -> Option<f64> {
    // "Wed, 21 Oct 2015 07:28:00 GMT"
    let rest = t.split_once(", ")?.1;
    let mut p = rest.split_whitespace();
    let d = num(p.next()?)?;
    let mon = p.next()?;
    let mo = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as u32 + 1;
    let y = num(p.next()?)?;
    let mut c = p.next()?.split(':');
    let (h, mi, s) = (num(c.next()?)?, num(c.next()?)?, num(c.next()?)?);
    Some((days_from_civil(y, mo, d as u32) * 86_400 + h * 3600 + mi * 60 + s) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_422_172_800.0), "2015-01-25T08:00:00Z");
        assert_eq!(iso8601(1_422_172_800.123), "2015-01-25T08:00:00.123Z");
        assert_eq!(http_date(1_422_172_800.0), "Sun, 25 Jan 2015 08:00:00 GMT");
        assert_eq!(parse("2015-01-25T08:00:00Z"), Some(1_422_172_800.0));
        assert_eq!(parse("2015-01-25T08:00:00.5Z"), Some(1_422_172_800.5));
        assert_eq!(parse("2015-01-25T10:00:00+02:00"), Some(1_422_172_800.0));
        assert_eq!(parse("Sun, 25 Jan 2015 08:00:00 GMT"), Some(1_422_172_800.0));
        assert_eq!(parse("1422172800"), Some(1_422_172_800.0));
        assert_eq!(parse("not a date"), None);
        assert_eq!(parse("2015-13-25T08:00:00Z"), None);
    }
}
