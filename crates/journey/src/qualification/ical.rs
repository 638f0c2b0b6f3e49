//! Sessions as iCalendar (RFC 5545): one file per session or per person.
//! Times are local to Europe/Berlin, which the file defines in a VTIMEZONE,
//! so calendars show the right hour across daylight-saving changes.

use std::fmt::Write as _;

use super::training::{EnrolmentStatus, Session};

const CRLF: &str = "\r\n";
/// RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets.
const MAX_OCTETS: usize = 75;

const VTIMEZONE: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line into pieces of at most 75 octets, never inside a
/// UTF-8 character; continuation lines start with a space.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > MAX_OCTETS {
            out.push_str(CRLF);
            out.push(' ');
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out
}

/// `2026-12-01T09:00` → `20261201T090000`.
fn local_time(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    format!(
        "{}T{}00",
        &digits[..8.min(digits.len())],
        digits.get(8..12).unwrap_or("0000")
    )
}

/// Days since 1970-01-01 → (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Unix seconds → (year, month, day, hour, minute, second) in UTC.
fn utc_parts(unix: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// Unix seconds → `YYYYMMDDTHHMMSSZ`.
pub fn utc_stamp(unix: i64) -> String {
    let (y, m, d, h, min, s) = utc_parts(unix);
    format!("{y:04}{m:02}{d:02}T{h:02}{min:02}{s:02}Z")
}

/// Unix seconds → RFC 3339 `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(unix: i64) -> String {
    let (y, m, d, h, min, s) = utc_parts(unix);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
}

/// A calendar with one VEVENT per session. `status` is the person's
/// enrolment, if the calendar is theirs (a waiting-list place is TENTATIVE).
/// `host` makes the UIDs globally unique; `now` is the DTSTAMP.
pub fn calendar(
    name: &str,
    events: &[(&Session, Option<EnrolmentStatus>)],
    host: &str,
    now: i64,
) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//KI-Reise//Qualifizierung//DE".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape_text(name)),
    ];
    lines.extend(VTIMEZONE.iter().map(|l| l.to_string()));
    let stamp = utc_stamp(now);
    for (session, status) in events {
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!(
            "UID:{}@{}",
            escape_text(&session.id),
            escape_text(host)
        ));
        lines.push(format!("DTSTAMP:{stamp}"));
        lines.push(format!(
            "DTSTART;TZID=Europe/Berlin:{}",
            local_time(&session.starts_at)
        ));
        lines.push(format!(
            "DTEND;TZID=Europe/Berlin:{}",
            local_time(&session.ends_at)
        ));
        lines.push(format!("SUMMARY:{}", escape_text(&session.title)));
        let location = if session.place.trim().is_empty() {
            session.online_url.clone().unwrap_or_default()
        } else {
            session.place.clone()
        };
        lines.push(format!("LOCATION:{}", escape_text(&location)));
        let mut description = String::new();
        if !session.trainer.is_empty() {
            let _ = writeln!(description, "Leitung: {}", session.trainer);
        }
        if let Some(url) = &session.online_url {
            let _ = writeln!(description, "Online-Teilnahme: {url}");
        }
        if let Some(s) = status {
            let _ = write!(description, "Ihr Status: {}", s.label());
        }
        if !description.is_empty() {
            lines.push(format!(
                "DESCRIPTION:{}",
                escape_text(description.trim_end())
            ));
        }
        if let Some(url) = &session.online_url {
            // URL is a URI value: no TEXT escaping (RFC 5545 §3.8.4.6).
            lines.push(format!("URL:{url}"));
        }
        let confirmed = match status {
            Some(EnrolmentStatus::WaitingList) => "TENTATIVE",
            Some(EnrolmentStatus::Cancelled) => "CANCELLED",
            _ => "CONFIRMED",
        };
        lines.push(format!("STATUS:{confirmed}"));
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        out.push_str(&fold(&line));
        out.push_str(CRLF);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            id: "s-42".into(),
            offer: "x".into(),
            title: "KI im Dienst; Teil 1, Grundlagen \\ Übung".into(),
            starts_at: "2026-12-01T09:00".into(),
            ends_at: "2026-12-01T12:30".into(),
            place: "Ratshof, Raum 101\nEingang B".into(),
            online_url: Some("https://konferenz.example/raum/ki".into()),
            trainer: "Änne Beispiel-Überlänge mit einem sehr langen Namen, der die Zeile sprengt"
                .into(),
            capacity: 10,
        }
    }

    #[test]
    fn every_line_ends_with_crlf_and_is_at_most_75_octets() {
        let ics = calendar(
            "Schulungen",
            &[(&session(), Some(EnrolmentStatus::WaitingList))],
            "ki.example",
            1_764_000_000,
        );
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("SUMMARY:KI im Dienst\\; Teil 1\\, Grundlagen \\\\ Übung\r\n"));
        assert!(unfolded.contains("LOCATION:Ratshof\\, Raum 101\\nEingang B\r\n"));
        assert!(unfolded.contains("DTSTART;TZID=Europe/Berlin:20261201T090000\r\n"));
        assert!(unfolded.contains("DTEND;TZID=Europe/Berlin:20261201T123000\r\n"));
        assert!(unfolded.contains("UID:s-42@ki.example\r\n"));
        assert!(unfolded.contains("STATUS:TENTATIVE\r\n"));
        assert!(unfolded.contains("Ihr Status: Warteliste"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
    }

    #[test]
    fn folding_never_splits_a_multibyte_character() {
        let line = format!("DESCRIPTION:{}", "ä".repeat(100));
        let folded = fold(&line);
        for piece in folded.split("\r\n") {
            assert!(piece.len() <= 75);
            assert!(std::str::from_utf8(piece.as_bytes()).is_ok());
        }
        assert_eq!(folded.replace("\r\n ", ""), line);
    }

    #[test]
    fn utc_stamps_match_known_dates() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        assert_eq!(rfc3339(1_790_000_000), "2026-09-21T14:13:20Z");
    }
}
