//! Calendar dates as the journey keeps them: ISO 8601 strings (`YYYY-MM-DD`).
//! The crate has no clock and no date library; ISO dates compare correctly
//! as strings, so validating the shape and the calendar is all it needs.

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
    use super::is_iso_date;

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
