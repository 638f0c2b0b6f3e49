//! German formatting for everything a person reads: pages, exports and
//! documents. Dates (`14.01.2027`, `14.01.2027, 09:00 Uhr`), decimal numbers
//! (`9,7`, never `-0`), counted nouns (`1 Frage`, `2 Fragen`) and the
//! municipality's name with its article (`der Stadt Musterstadt`).
//!
//! Values are stored in machine form (ISO 8601, Unix seconds, `f64`); this
//! module is the one place that turns them into German. Times of day are
//! shown in German civil time (CET/CEST), the time the town hall works in.

use crate::date::{from_unix, is_iso_date};

/// An ISO date (`2027-01-14`) or date-time (`2027-01-14T09:00`, seconds and
/// a trailing `Z` allowed) as Germans write it: `14.01.2027` or
/// `14.01.2027, 09:00 Uhr`. Anything else is returned unchanged, so a free
/// text such as "bald" survives.
pub fn date(iso: &str) -> String {
    let iso = iso.trim();
    let (day, time) = match iso.split_once(['T', ' ']) {
        Some((day, time)) => (day, Some(time)),
        None => (iso, None),
    };
    if !is_iso_date(day) {
        return iso.to_owned();
    }
    let german_day = crate::date::german(day);
    match time.map(|t| t.trim_end_matches('Z')) {
        None => german_day,
        Some(t) if is_clock_time(t) => format!("{german_day}, {} Uhr", &t[..5]),
        Some(_) => iso.to_owned(),
    }
}

/// `HH:MM` or `HH:MM:SS`, with valid hours and minutes.
fn is_clock_time(t: &str) -> bool {
    let b = t.as_bytes();
    let two = |i: usize| {
        t.get(i..i + 2)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let shape = match b.len() {
        5 => b[2] == b':',
        8 => b[2] == b':' && b[5] == b':' && two(6).is_some_and(|s| s < 60),
        _ => false,
    };
    shape && two(0).is_some_and(|h| h < 24) && two(3).is_some_and(|m| m < 60)
}

/// The German civil date of a Unix time: `14.01.2027`.
pub fn date_of_unix(unix: i64) -> String {
    date(&from_unix(unix + berlin_offset(unix)))
}

/// The German civil date and time of a Unix time: `14.01.2027, 09:00 Uhr`.
pub fn date_time_of_unix(unix: i64) -> String {
    let local = unix + berlin_offset(unix);
    let seconds = local.rem_euclid(86_400);
    format!(
        "{}, {:02}:{:02} Uhr",
        date(&from_unix(local)),
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// The German civil time of a Unix time in the form trainings are stored
/// in, `YYYY-MM-DDTHH:MM`, for comparing with them.
pub fn local_date_time(unix: i64) -> String {
    let local = unix + berlin_offset(unix);
    let seconds = local.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}",
        from_unix(local),
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// Seconds to add to UTC for German time: CEST (+2 h) from the last Sunday
/// of March, 01:00 UTC, to the last Sunday of October, 01:00 UTC; CET (+1 h)
/// otherwise (the EU rule since 1996).
fn berlin_offset(unix: i64) -> i64 {
    let year: i64 = from_unix(unix)[..4].parse().unwrap_or(1970);
    let start = last_sunday_unix(year, 3) + 3600;
    let end = last_sunday_unix(year, 10) + 3600;
    if (start..end).contains(&unix) {
        7200
    } else {
        3600
    }
}

/// Midnight UTC of the last Sunday of a 31-day month.
fn last_sunday_unix(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) mod 7.
    let weekday = (last + 4).rem_euclid(7);
    (last - weekday) * 86_400
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A number with German separators and at most `places` decimals, trailing
/// zeros dropped: `9.7` → `9,7`, `120000` → `120.000`, `2.50` → `2,5`. A
/// value that rounds to zero is `0`, never `-0`.
pub fn decimal(value: f64, places: u32) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    let scale = 10f64.powi(i32::try_from(places).unwrap_or(0));
    let scaled = (value.abs() * scale).round();
    let negative = value < 0.0 && scaled > 0.0;
    // Whole units and the fraction in units of 10^-places; f64 holds every
    // integer a municipality will count exactly.
    let units = (scaled / scale).trunc();
    let fraction = scaled - units * scale;
    let digits = format!("{units:.0}");
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if fraction > 0.0 {
        let width = places as usize;
        let fraction = format!("{fraction:0width$.0}");
        out.push(',');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out
}

/// A counted noun: `count(1, "Frage", "Fragen")` → `1 Frage`,
/// `count(2, …)` → `2 Fragen`, `count(0, …)` → `0 Fragen`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    let noun = if n == 1 { singular } else { plural };
    format!("{} {noun}", decimal(n as f64, 0))
}

/// The grammatical case a municipality's name is needed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// "die Stadt Musterstadt beschäftigt …"
    Nominative,
    /// "die Beschäftigten der Stadt Musterstadt"
    Genitive,
    /// "mit der Stadt Musterstadt"
    Dative,
}

/// The grammatical gender of the word naming the kind of municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Feminine,
    Masculine,
    Neuter,
}

/// The gender of the municipality's kind, read from the first word of its
/// official name ("Stadt Musterstadt", "Markt Musterhausen", "Amt Muster");
/// `None` for a bare place name ("Musterstadt"), which takes no article.
pub fn municipality_gender(name: &str) -> Option<Gender> {
    let mut words = name.split_whitespace();
    let first = words.next()?.to_lowercase();
    // "Musterstadt" alone is a place name, not the kind of municipality.
    words.next()?;
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| first.ends_with(s));
    if ends(&["stadt", "gemeinde", "region", "städteregion", "verwaltung"]) {
        Some(Gender::Feminine)
    } else if ends(&["markt", "kreis", "flecken", "bezirk", "verband"]) {
        Some(Gender::Masculine)
    } else if ends(&["amt"]) {
        Some(Gender::Neuter)
    } else {
        None
    }
}

/// The place in the municipality's name, for a place/date line:
/// "Stadt Halle (Saale)" → "Halle (Saale)", "Musterstadt" → "Musterstadt".
pub fn place_name(name: &str) -> String {
    let name = name.trim();
    match (
        municipality_gender(name),
        name.split_once(char::is_whitespace),
    ) {
        (Some(_), Some((_, place))) => place.trim().to_owned(),
        _ => name.to_owned(),
    }
}

/// The municipality's name with the article its case needs:
/// `with_article("Stadt Musterstadt", Case::Genitive)` → `der Stadt
/// Musterstadt`. A bare place name stays bare in the nominative and dative
/// and takes `von` in the genitive ("die Beschäftigten von Musterstadt").
pub fn with_article(name: &str, case: Case) -> String {
    let name = name.trim();
    let Some(gender) = municipality_gender(name) else {
        return match case {
            Case::Genitive => format!("von {name}"),
            Case::Nominative | Case::Dative => name.to_owned(),
        };
    };
    let article = match (gender, case) {
        (Gender::Feminine, Case::Nominative) => "die",
        (Gender::Feminine, Case::Genitive | Case::Dative) => "der",
        (Gender::Masculine, Case::Nominative) => "der",
        (Gender::Neuter, Case::Nominative) => "das",
        (Gender::Masculine | Gender::Neuter, Case::Genitive) => "des",
        (Gender::Masculine | Gender::Neuter, Case::Dative) => "dem",
    };
    if case == Case::Genitive && gender != Gender::Feminine {
        // "des Marktes Musterhausen", "des Amtes Muster", "des Landkreises …".
        let (first, rest) = name.split_once(char::is_whitespace).unwrap_or((name, ""));
        let ending = if first.ends_with('s') { "es" } else { "s" };
        let ending = if matches!(first.chars().last(), Some('t' | 'k')) {
            "es"
        } else {
            ending
        };
        return format!("{article} {first}{ending} {}", rest.trim())
            .trim_end()
            .to_owned();
    }
    format!("{article} {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_and_times_are_written_the_german_way() {
        assert_eq!(date("2027-01-14"), "14.01.2027");
        assert_eq!(date("2027-01-14T09:00"), "14.01.2027, 09:00 Uhr");
        assert_eq!(date("2027-01-14T09:00:30Z"), "14.01.2027, 09:00 Uhr");
        assert_eq!(date("2027-01-14 17:45"), "14.01.2027, 17:45 Uhr");
        assert_eq!(date("bald"), "bald");
        assert_eq!(date("2027-02-30"), "2027-02-30");
        assert_eq!(date("2027-01-14T25:00"), "2027-01-14T25:00");
    }

    #[test]
    fn unix_times_are_shown_in_german_civil_time() {
        // 2027-01-14 08:00 UTC is 09:00 CET.
        assert_eq!(date_time_of_unix(1_799_913_600), "14.01.2027, 09:00 Uhr");
        // 2026-07-01 22:30 UTC is already 2 July in Germany (CEST).
        assert_eq!(date_of_unix(1_782_945_000), "02.07.2026");
        assert_eq!(date_time_of_unix(1_782_945_000), "02.07.2026, 00:30 Uhr");
        // Summer time 2026 starts 29 March 01:00 UTC.
        assert_eq!(
            date_time_of_unix(1_774_746_000 - 1),
            "29.03.2026, 01:59 Uhr"
        );
        assert_eq!(date_time_of_unix(1_774_746_000), "29.03.2026, 03:00 Uhr");
        assert_eq!(local_date_time(1_799_913_600), "2027-01-14T09:00");
    }

    #[test]
    fn decimals_use_a_comma_and_never_show_minus_zero() {
        assert_eq!(decimal(9.7, 1), "9,7");
        assert_eq!(decimal(9.74, 1), "9,7");
        assert_eq!(decimal(2.5, 2), "2,5");
        assert_eq!(decimal(120_000.0, 0), "120.000");
        assert_eq!(decimal(1234.5, 2), "1.234,5");
        assert_eq!(decimal(-0.0, 0), "0");
        assert_eq!(decimal(-0.3, 0), "0");
        assert_eq!(decimal(-0.004, 2), "0");
        assert_eq!(decimal(-1.5, 1), "-1,5");
        assert_eq!(decimal(0.05, 2), "0,05");
        assert_eq!(decimal(f64::NAN, 1), "–");
    }

    #[test]
    fn counted_nouns_agree_with_their_number() {
        assert_eq!(count(1, "Frage", "Fragen"), "1 Frage");
        assert_eq!(count(2, "Frage", "Fragen"), "2 Fragen");
        assert_eq!(count(0, "Eintrag", "Einträgen"), "0 Einträgen");
        assert_eq!(count(1500, "Person", "Personen"), "1.500 Personen");
    }

    #[test]
    fn the_municipality_takes_the_article_of_its_kind() {
        let stadt = "Stadt Musterstadt";
        assert_eq!(
            with_article(stadt, Case::Nominative),
            "die Stadt Musterstadt"
        );
        assert_eq!(with_article(stadt, Case::Genitive), "der Stadt Musterstadt");
        assert_eq!(with_article(stadt, Case::Dative), "der Stadt Musterstadt");
        assert_eq!(
            with_article("Gemeinde Musterdorf", Case::Genitive),
            "der Gemeinde Musterdorf"
        );
        assert_eq!(
            with_article("Hansestadt Musterhafen", Case::Nominative),
            "die Hansestadt Musterhafen"
        );
        assert_eq!(
            with_article("Markt Musterhausen", Case::Genitive),
            "des Marktes Musterhausen"
        );
        assert_eq!(
            with_article("Landkreis Musterland", Case::Genitive),
            "des Landkreises Musterland"
        );
        assert_eq!(
            with_article("Landkreis Musterland", Case::Dative),
            "dem Landkreis Musterland"
        );
        assert_eq!(
            with_article("Amt Muster", Case::Nominative),
            "das Amt Muster"
        );
        assert_eq!(
            with_article("Amt Muster", Case::Genitive),
            "des Amtes Muster"
        );
        assert_eq!(
            with_article("Musterstadt", Case::Genitive),
            "von Musterstadt"
        );
        assert_eq!(with_article("Musterstadt", Case::Nominative), "Musterstadt");
        assert_eq!(place_name("Stadt Halle (Saale)"), "Halle (Saale)");
        assert_eq!(place_name("Musterstadt"), "Musterstadt");
    }
}
