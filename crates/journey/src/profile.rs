//! The municipality's profile: name, official municipality key, staff,
//! departments and the contacts every later document names.

use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 200;
pub const MAX_DEPARTMENTS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Profile {
    pub name: String,
    /// Amtlicher Gemeindeschlüssel: 8 digits (Land, Regierungsbezirk, Kreis, Gemeinde).
    pub ags: String,
    pub staff_count: u32,
    pub departments: Vec<Department>,
    pub dpo_contact: String,
    pub it_security_contact: String,
    pub staff_council_contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub name: String,
    pub staff_count: u32,
}

/// A problem with one field, in German, for display next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

/// Checks a free-text field: required or not, and its length in characters.
pub fn check_text(
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
    errors: &mut Vec<FieldError>,
) {
    let len = value.trim().chars().count();
    if required && len == 0 {
        errors.push(FieldError::new(field, "Bitte ausfüllen."));
    } else if len > max {
        errors.push(FieldError::new(
            field,
            format!("Höchstens {max} Zeichen (jetzt {len})."),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push(FieldError::new(field, "Enthält unzulässige Steuerzeichen."));
    }
}

impl Profile {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text("name", &self.name, true, MAX_NAME, &mut errors);
        if !(self.ags.len() == 8 && self.ags.bytes().all(|b| b.is_ascii_digit())) {
            errors.push(FieldError::new(
                "ags",
                "Der Amtliche Gemeindeschlüssel hat genau 8 Ziffern, z. B. 15002000 für Halle (Saale).",
            ));
        }
        if self.staff_count == 0 {
            errors.push(FieldError::new(
                "staff_count",
                "Bitte die Zahl der Beschäftigten angeben (mindestens 1).",
            ));
        }
        if self.departments.is_empty() {
            errors.push(FieldError::new(
                "departments",
                "Bitte mindestens einen Fachbereich oder ein Amt angeben.",
            ));
        }
        if self.departments.len() > MAX_DEPARTMENTS {
            errors.push(FieldError::new(
                "departments",
                format!("Höchstens {MAX_DEPARTMENTS} Fachbereiche."),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for d in &self.departments {
            let mut sub = Vec::new();
            check_text("departments", &d.name, true, MAX_NAME, &mut sub);
            errors.extend(sub);
            if !names.insert(d.name.trim().to_lowercase()) {
                errors.push(FieldError::new(
                    "departments",
                    format!(
                        "Der Fachbereich „{}“ steht doppelt in der Liste.",
                        d.name.trim()
                    ),
                ));
            }
        }
        let dept_total: u64 = self
            .departments
            .iter()
            .map(|d| u64::from(d.staff_count))
            .sum();
        if dept_total > u64::from(self.staff_count) && self.staff_count > 0 {
            errors.push(FieldError::new(
                "departments",
                format!(
                    "Die Fachbereiche haben zusammen {dept_total} Beschäftigte, mehr als die {} der Kommune.",
                    self.staff_count
                ),
            ));
        }
        for (field, value) in [
            ("dpo_contact", &self.dpo_contact),
            ("it_security_contact", &self.it_security_contact),
            ("staff_council_contact", &self.staff_council_contact),
        ] {
            check_text(field, value, false, MAX_NAME, &mut errors);
        }
        errors
    }
}

/// Parses the department list as typed in a textarea: one department a
/// line, `Name; Beschäftigte` (the count may be left out).
pub fn parse_department_lines(text: &str) -> Result<Vec<Department>, FieldError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (name, count) = match line.rsplit_once(';') {
            Some((name, count)) => {
                let count = count.trim();
                let n = if count.is_empty() {
                    0
                } else {
                    count.parse::<u32>().map_err(|_| {
                        FieldError::new(
                            "departments",
                            format!(
                                "Zeile {}: „{count}“ ist keine Zahl. Format: Name; Beschäftigte",
                                i + 1
                            ),
                        )
                    })?
                };
                (name.trim(), n)
            }
            None => (line, 0),
        };
        out.push(Department {
            name: name.to_string(),
            staff_count: count,
        });
    }
    Ok(out)
}

pub fn department_lines(departments: &[Department]) -> String {
    departments
        .iter()
        .map(|d| format!("{}; {}", d.name, d.staff_count))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn halle() -> Profile {
        Profile {
            name: "Stadt Halle (Saale)".into(),
            ags: "15002000".into(),
            staff_count: 3000,
            departments: vec![
                Department {
                    name: "Bürgerservice".into(),
                    staff_count: 120,
                },
                Department {
                    name: "Jugendamt".into(),
                    staff_count: 300,
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_profile_is_valid() {
        assert_eq!(halle().validate(), vec![]);
    }

    #[test]
    fn ags_must_have_eight_digits() {
        let mut p = halle();
        p.ags = "1500200".into();
        assert_eq!(p.validate()[0].field, "ags");
        p.ags = "1500200a".into();
        assert_eq!(p.validate()[0].field, "ags");
    }

    #[test]
    fn duplicate_departments_are_named_in_the_error() {
        let mut p = halle();
        p.departments.push(Department {
            name: " jugendamt".into(),
            staff_count: 1,
        });
        let errors = p.validate();
        assert!(
            errors.iter().any(|e| e.message.contains("jugendamt")),
            "{errors:?}"
        );
    }

    #[test]
    fn department_lines_round_trip_and_report_bad_counts_by_line() {
        let deps = parse_department_lines("Bürgerservice; 120\n\nJugendamt;300\nKämmerei").unwrap();
        assert_eq!(deps.len(), 3);
        assert_eq!(deps[2].staff_count, 0);
        let again = parse_department_lines(&department_lines(&deps)).unwrap();
        assert_eq!(again, deps);
        let err = parse_department_lines("A; 1\nB; viele").unwrap_err();
        assert!(err.message.starts_with("Zeile 2"));
    }

    #[test]
    fn control_characters_and_overlong_names_are_rejected() {
        let mut p = halle();
        p.name = "x".repeat(MAX_NAME + 1);
        assert!(p.validate().iter().any(|e| e.field == "name"));
        p.name = "Stadt\u{0}".into();
        assert!(p
            .validate()
            .iter()
            .any(|e| e.message.contains("Steuerzeichen")));
    }
}
