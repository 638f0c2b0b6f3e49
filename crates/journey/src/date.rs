//! Calendar dates as the journey keeps them: ISO 8601 strings (`YYYY-MM-DD`),
//! and the one place every crate gets today's date and the German way of
//! writing a date from. No date library: ISO dates compare correctly as
//! strings, so validating the shape and the calendar is all it needs, and
//! [`today`] is the only function that reads the clock. Days are UTC days.

/// Whether `s` is exactly an ISO 8601 calendar date (`YYYY-MM-DD`) that
/// exists, leap years included. Callers trim user input first.
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    (1..=days_in_month(year, month)).contains(&day)
}

/// Today's UTC date as `YYYY-MM-DD`.
pub fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    from_unix(now)
}

/// The UTC date of a Unix timestamp as `YYYY-MM-DD`.
pub fn from_unix(unix: i64) -> String {
    // Days since 1970-01-01 to the civil date (H. Hinnant's algorithm).
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The date `days` after an ISO date (before, for negative `days`); `None`
/// for anything that is not an ISO date.
pub fn add_days(iso: &str, days: i64) -> Option<String> {
    if !is_iso_date(iso) {
        return None;
    }
    let (y, m, d) = (
        iso[..4].parse::<i64>().ok()?,
        iso[5..7].parse::<i64>().ok()?,
        iso[8..10].parse::<i64>().ok()?,
    );
    // Civil date to days since 1970-01-01 (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let epoch_days = era * 146_097 + doe - 719_468;
    Some(from_unix((epoch_days + days) * 86_400))
}

/// `2026-03-31` as Germans write it, `31.03.2026`; anything that is not
/// an ISO date is returned unchanged.
pub fn german(iso: &str) -> String {
    if !is_iso_date(iso) {
        return iso.to_owned();
    }
    format!("{}.{}.{}", &iso[8..10], &iso[5..7], &iso[..4])
}

/// The German month names, January first.
pub const MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// `2026-03-31` → `31. März 2026`, for running text; anything that is not
/// an ISO date is returned unchanged.
pub fn german_long(iso: &str) -> String {
    if !is_iso_date(iso) {
        return iso.to_owned();
    }
    let day: u32 = iso[8..10].parse().unwrap_or(1);
    let month: usize = iso[5..7].parse().unwrap_or(1);
    format!("{day}. {} {}", MONTHS[month.clamp(1, 12) - 1], &iso[..4])
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_added_across_months_and_leap_years() {
        assert_eq!(add_days("2026-12-07", 90).as_deref(), Some("2027-03-07"));
        assert_eq!(add_days("2028-02-28", 1).as_deref(), Some("2028-02-29"));
        assert_eq!(add_days("2026-03-01", -1).as_deref(), Some("2026-02-28"));
        assert_eq!(add_days("1970-01-01", 0).as_deref(), Some("1970-01-01"));
        assert_eq!(add_days("7.12.2026", 1), None);
    }

    #[test]
    fn unix_times_become_their_utc_day() {
        assert_eq!(from_unix(0), "1970-01-01");
        assert_eq!(from_unix(951_782_400), "2000-02-29");
        // 2026-11-26 10:30 UTC.
        assert_eq!(from_unix(1_795_689_000), "2026-11-26");
        assert_eq!(from_unix(-1), "1969-12-31");
        assert!(is_iso_date(&today()));
    }

    #[test]
    fn iso_dates_are_written_the_german_way() {
        assert_eq!(german("2026-03-01"), "01.03.2026");
        assert_eq!(german_long("2026-03-01"), "1. März 2026");
        assert_eq!(german("bald"), "bald");
        assert_eq!(german_long("2026-02-30"), "2026-02-30");
    }

    #[test]
    fn real_calendar_dates_pass() {
        for d in [
            "2026-08-02",
            "2024-02-29",
            "2000-02-29",
            "2026-12-31",
            "2026-04-30",
        ] {
            assert!(is_iso_date(d), "{d}");
        }
    }

    #[test]
    fn impossible_or_malformed_dates_fail() {
        for d in [
            "2026-02-30",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-02",
            "2026-08-00",
            "2.8.2026",
            "2026-08-2x",
            " 2026-08-02",
            "2026-8-2",
            "",
            "2026-+8-02",
        ] {
            assert!(!is_iso_date(d), "{d}");
        }
    }
}
