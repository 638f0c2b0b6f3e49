//! Trainings: sessions with a capacity, enrolment with a waiting list,
//! attendance and completion. The rules are here; the store applies them in
//! one transaction so two people cannot take the last seat together.

use serde::{Deserialize, Serialize};

use super::{is_http_url, QualificationError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub id: String,
    pub offer: String,
    pub title: String,
    /// Local time in Europe/Berlin, `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    /// Room and address, or empty for online sessions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub place: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_url: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trainer: String,
    pub capacity: u32,
}

/// True for `YYYY-MM-DDTHH:MM` with plausible values.
pub fn is_local_datetime(s: &str) -> bool {
    let Some((date, time)) = s.split_once('T') else {
        return false;
    };
    let t = time.as_bytes();
    crate::usecase::is_iso_date(date)
        && t.len() == 5
        && t[2] == b':'
        && t.iter()
            .enumerate()
            .all(|(i, b)| i == 2 || b.is_ascii_digit())
        && time[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && time[3..].parse::<u8>().is_ok_and(|m| m < 60)
}

impl Session {
    /// [`Self::validate`]'s problems with the field each belongs to.
    pub fn issues(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.title.trim().is_empty() {
            problems.push(("title", "Der Titel fehlt.".to_string()));
        }
        for (field, label, value) in [
            ("starts_at", "Beginn", &self.starts_at),
            ("ends_at", "Ende", &self.ends_at),
        ] {
            if !is_local_datetime(value) {
                problems.push((
                    field,
                    format!("{label} „{value}“ ist keine Zeit der Form JJJJ-MM-TTTHH:MM."),
                ));
            }
        }
        if is_local_datetime(&self.starts_at)
            && is_local_datetime(&self.ends_at)
            && self.ends_at <= self.starts_at
        {
            problems.push((
                "ends_at",
                "Das Ende muss nach dem Beginn liegen.".to_string(),
            ));
        }
        if self.capacity == 0 {
            problems.push((
                "capacity",
                "Die Zahl der Plätze muss mindestens 1 sein.".to_string(),
            ));
        }
        if self.place.trim().is_empty() && self.online_url.is_none() {
            problems.push((
                "place",
                "Es fehlt ein Ort oder ein Link für die Online-Teilnahme.".to_string(),
            ));
        }
        if let Some(url) = self.online_url.as_deref().filter(|u| !is_http_url(u)) {
            problems.push((
                "online_url",
                format!("Der Link „{url}“ ist keine http(s)-Adresse."),
            ));
        }
        problems
    }

    pub fn validate(&self) -> Result<(), QualificationError> {
        let problems: Vec<String> = self.issues().into_iter().map(|(_, m)| m).collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(QualificationError::InvalidSession {
                session: self.id.clone(),
                problems,
            })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    Enrolled,
    WaitingList,
    Cancelled,
    Attended,
    NoShow,
    Completed,
}

impl EnrolmentStatus {
    pub fn key(self) -> &'static str {
        match self {
            EnrolmentStatus::Enrolled => "enrolled",
            EnrolmentStatus::WaitingList => "waiting_list",
            EnrolmentStatus::Cancelled => "cancelled",
            EnrolmentStatus::Attended => "attended",
            EnrolmentStatus::NoShow => "no_show",
            EnrolmentStatus::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<EnrolmentStatus> {
        [
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::WaitingList,
            EnrolmentStatus::Cancelled,
            EnrolmentStatus::Attended,
            EnrolmentStatus::NoShow,
            EnrolmentStatus::Completed,
        ]
        .into_iter()
        .find(|e| e.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            EnrolmentStatus::Enrolled => "angemeldet",
            EnrolmentStatus::WaitingList => "Warteliste",
            EnrolmentStatus::Cancelled => "abgemeldet",
            EnrolmentStatus::Attended => "teilgenommen",
            EnrolmentStatus::NoShow => "nicht erschienen",
            EnrolmentStatus::Completed => "abgeschlossen",
        }
    }

    /// Whether the person holds one of the session's seats.
    pub fn holds_seat(self) -> bool {
        matches!(
            self,
            EnrolmentStatus::Enrolled | EnrolmentStatus::Attended | EnrolmentStatus::Completed
        )
    }
}

/// A new enrolment gets a seat while one is free, else the waiting list.
pub fn enrol(capacity: u32, seats_taken: u32) -> EnrolmentStatus {
    if seats_taken < capacity {
        EnrolmentStatus::Enrolled
    } else {
        EnrolmentStatus::WaitingList
    }
}

/// Whether attendance may be recorded from `from` (only for seat holders).
pub fn can_record_attendance(from: EnrolmentStatus) -> bool {
    matches!(
        from,
        EnrolmentStatus::Enrolled | EnrolmentStatus::Attended | EnrolmentStatus::NoShow
    )
}

/// The statuses the project team may record next for a person with status
/// `from` in `session`, at local time `now` (`YYYY-MM-DDTHH:MM`): attendance
/// once the session has begun, completion once it has ended. This is what
/// the status list offers; [`transition_problem`] says why anything else is
/// refused.
pub fn next_statuses(from: EnrolmentStatus, session: &Session, now: &str) -> Vec<EnrolmentStatus> {
    [
        EnrolmentStatus::Attended,
        EnrolmentStatus::NoShow,
        EnrolmentStatus::Completed,
    ]
    .into_iter()
    .filter(|&to| transition_problem(from, to, session, now).is_none())
    .collect()
}

/// Why `to` cannot be recorded now for a person with status `from`, in
/// German; `None` when it can.
pub fn transition_problem(
    from: EnrolmentStatus,
    to: EnrolmentStatus,
    session: &Session,
    now: &str,
) -> Option<String> {
    let refused = || {
        Some(format!(
            "Der Status kann nicht von „{}“ zu „{}“ wechseln.",
            from.label(),
            to.label()
        ))
    };
    match to {
        _ if from == to => refused(),
        EnrolmentStatus::Attended | EnrolmentStatus::NoShow => {
            if !can_record_attendance(from) {
                refused()
            } else if now < session.starts_at.as_str() {
                Some(format!(
                    "Die Teilnahme lässt sich erst ab dem Beginn der Schulung erfassen ({}).",
                    crate::german::date(&session.starts_at)
                ))
            } else {
                None
            }
        }
        EnrolmentStatus::Completed => {
            if now < session.ends_at.as_str() {
                Some(format!(
                    "Abschließen geht erst nach dem Ende der Schulung ({}).",
                    crate::german::date(&session.ends_at)
                ))
            } else if from != EnrolmentStatus::Attended {
                Some(format!(
                    "Abschließen geht nur nach „teilgenommen“ (jetzt: „{}“).",
                    from.label()
                ))
            } else {
                None
            }
        }
        _ => refused(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            id: "s1".into(),
            offer: "intern_dienstanweisung".into(),
            title: "KI im Dienst".into(),
            starts_at: "2026-12-01T09:00".into(),
            ends_at: "2026-12-01T12:00".into(),
            place: "Ratshof, Raum 101".into(),
            online_url: None,
            trainer: "A. Beispiel".into(),
            capacity: 2,
        }
    }

    #[test]
    fn only_allowed_transitions_are_offered_and_completion_waits_for_the_end() {
        let s = session(); // 2026-12-01, 09:00 to 12:00
        let before = "2026-11-30T10:00";
        let during = "2026-12-01T10:00";
        let after = "2026-12-01T12:00";
        use EnrolmentStatus::*;
        assert!(next_statuses(Enrolled, &s, before).is_empty());
        assert_eq!(next_statuses(Enrolled, &s, during), [Attended, NoShow]);
        assert_eq!(next_statuses(Enrolled, &s, after), [Attended, NoShow]);
        assert_eq!(next_statuses(Attended, &s, during), [NoShow]);
        assert_eq!(next_statuses(Attended, &s, after), [NoShow, Completed]);
        assert_eq!(next_statuses(NoShow, &s, after), [Attended]);
        assert!(next_statuses(Completed, &s, after).is_empty());
        assert!(next_statuses(WaitingList, &s, after).is_empty());
        let early = transition_problem(Attended, Completed, &s, during).unwrap();
        assert!(early.contains("01.12.2026, 12:00 Uhr"), "{early}");
        let skipped = transition_problem(Enrolled, Completed, &s, after).unwrap();
        assert!(skipped.contains("teilgenommen"), "{skipped}");
    }

    #[test]
    fn seats_go_first_then_the_waiting_list() {
        assert_eq!(enrol(2, 0), EnrolmentStatus::Enrolled);
        assert_eq!(enrol(2, 1), EnrolmentStatus::Enrolled);
        assert_eq!(enrol(2, 2), EnrolmentStatus::WaitingList);
    }

    #[test]
    fn a_session_ending_before_it_starts_or_without_seats_is_rejected() {
        assert!(session().validate().is_ok());
        let mut s = session();
        s.ends_at = "2026-12-01T08:00".into();
        s.capacity = 0;
        s.online_url = Some("ftp://x".into());
        let err = s.validate().unwrap_err().to_string();
        assert!(
            err.contains("s1")
                && err.contains("nach dem Beginn")
                && err.contains("Plätze")
                && err.contains("ftp://x"),
            "{err}"
        );
        s.starts_at = "1.12.2026 9 Uhr".into();
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("1.12.2026 9 Uhr"));
    }
}
