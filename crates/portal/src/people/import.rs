//! Reading a CSV list of users (name, email, department, role) as exported
//! from a spreadsheet or HR system. Every row is checked; problems are
//! reported with their line number and nothing is guessed.

use std::collections::HashSet;

use crate::form::check_email;
use journey::access::Role;

pub const MAX_BYTES: usize = 1024 * 1024;
pub const MAX_ROWS: usize = 5000;

#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub line: u64,
    pub name: String,
    pub email: String,
    pub department: Option<String>,
    pub role: Role,
}

#[derive(Debug, Default)]
pub struct ImportCheck {
    pub valid: Vec<ImportRow>,
    /// (line, German message)
    pub errors: Vec<(u64, String)>,
}

fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| {
        let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        names.iter().any(|n| *n == h)
    })
}

/// Checks the CSV against the known departments and existing emails.
pub fn check(
    text: &str,
    departments: &[String],
    existing_emails: &HashSet<String>,
) -> Result<ImportCheck, String> {
    if text.len() > MAX_BYTES {
        return Err("Die CSV-Datei ist größer als 1 MB. Bitte teilen Sie sie auf.".into());
    }
    if text.trim().is_empty() {
        return Err("Die CSV-Datei ist leer.".into());
    }
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("Die Kopfzeile ist nicht lesbar: {e}"))?
        .clone();
    let name_col = column(&headers, &["name"]);
    let email_col = column(&headers, &["email", "e-mail", "mail", "e-mail-adresse"]);
    let (Some(name_col), Some(email_col)) = (name_col, email_col) else {
        return Err("Die Kopfzeile braucht mindestens die Spalten „name“ und „email“ (weitere: „department“, „role“).".into());
    };
    let dept_col = column(&headers, &["department", "fachbereich", "amt"]);
    let role_col = column(&headers, &["role", "rolle"]);
    let known: Vec<String> = departments.iter().map(|d| d.to_lowercase()).collect();
    let mut seen = HashSet::new();
    let mut out = ImportCheck::default();
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(format!("Höchstens {MAX_ROWS} Zeilen je Import."));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i as u64 + 2, |p| p.line());
                out.errors.push((line, format!("nicht lesbar ({e})")));
                continue;
            }
        };
        let line = record.position().map_or(i as u64 + 2, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let name = get(Some(name_col));
        let email = store::users::normalize_email(&get(Some(email_col)));
        let department = get(dept_col);
        let role_text = get(role_col);
        let mut problems = Vec::new();
        let mut field_errors = Vec::new();
        journey::profile::check_text("name", &name, true, 200, &mut field_errors);
        problems.extend(
            field_errors
                .into_iter()
                .map(|e| format!("Name: {}", e.message)),
        );
        if let Some(msg) = check_email(&email) {
            problems.push(format!("E-Mail „{email}“: {msg}"));
        } else if existing_emails.contains(&email) {
            problems.push(format!("E-Mail {email} ist bereits vergeben"));
        } else if !seen.insert(email.clone()) {
            problems.push(format!("E-Mail {email} steht mehrfach in der Datei"));
        }
        let role = if role_text.is_empty() {
            Some(Role::Staff)
        } else {
            Role::parse(&role_text)
        };
        if role.is_none() {
            problems.push(format!(
                "Rolle „{role_text}“ ist unbekannt (erlaubt: admin, project-team, staff, viewer)"
            ));
        }
        let department = if department.is_empty() {
            None
        } else if let Some(pos) = known.iter().position(|d| *d == department.to_lowercase()) {
            Some(departments[pos].clone())
        } else {
            problems.push(format!(
                "Fachbereich „{department}“ gibt es im Profil der Kommune nicht"
            ));
            None
        };
        if problems.is_empty() {
            out.valid.push(ImportRow {
                line,
                name,
                email,
                department,
                role: role.unwrap_or(Role::Staff),
            });
        } else {
            out.errors.push((line, problems.join("; ")));
        }
    }
    if out.valid.is_empty() && out.errors.is_empty() {
        return Err("Die CSV-Datei enthält keine Personen.".into());
    }
    Ok(out)
}

/// What an import made: each new account's email and invitation link, how
/// many links went out by email, and the rows left out.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Imported {
    pub invites: Vec<(String, String)>,
    pub mailed: usize,
    pub skipped: Vec<(u64, String)>,
}

/// Why an import stored nothing.
#[derive(Debug)]
pub enum ImportRefusal {
    /// The text is no readable CSV list.
    Unreadable(String),
    /// Rows with problems (line, message), and how many rows were fine.
    Rows {
        valid: usize,
        errors: Vec<(u64, String)>,
    },
}

/// Creates the accounts of a CSV list, each with an invitation link
/// (emailed when SMTP is set up). All or none: a row with a problem refuses
/// the list, unless `only_valid`, which imports the valid rows and reports
/// the others as skipped. An email address taken meanwhile is a conflict.
pub async fn import_users(
    state: &crate::AppState,
    cu: &crate::auth::CurrentUser,
    text: &str,
    only_valid: bool,
) -> Result<Result<Imported, ImportRefusal>, crate::error::AppError> {
    use store::tokens::TokenKind;
    let existing: HashSet<String> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    let departments: Vec<String> = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default();
    let checked = match check(text, &departments, &existing) {
        Ok(c) => c,
        Err(message) => return Ok(Err(ImportRefusal::Unreadable(message))),
    };
    if !checked.errors.is_empty() && !only_valid {
        return Ok(Err(ImportRefusal::Rows {
            valid: checked.valid.len(),
            errors: checked.errors,
        }));
    }
    let new: Vec<store::users::NewUser> = checked
        .valid
        .iter()
        .map(|r| store::users::NewUser {
            email: r.email.clone(),
            name: r.name.clone(),
            role: r.role,
            department: r.department.clone(),
            password_hash: None,
        })
        .collect();
    let created = match state.store.create_users(&cu.actor(), &new).await {
        Ok(users) => users,
        Err(store::StoreError::Duplicate(msg)) => {
            return Err(crate::error::AppError::Conflict(format!(
                "{msg} Nichts wurde gespeichert."
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let mut imported = Imported {
        invites: Vec::new(),
        mailed: 0,
        skipped: checked.errors,
    };
    for user in &created {
        let token = state
            .store
            .create_user_token(&cu.actor(), user, TokenKind::Invite)
            .await?;
        let url = super::invitations::link_url(state, &token);
        if super::invitations::mail_link(state, user, TokenKind::Invite, &url)
            .await
            .0
        {
            imported.mailed += 1;
        }
        imported.invites.push((user.email.clone(), url));
    }
    Ok(Ok(imported))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps() -> Vec<String> {
        vec!["Bürgerservice".into(), "Jugendamt".into()]
    }

    #[test]
    fn valid_rows_are_read_with_german_headers_and_semicolons() {
        let csv = "Name;E-Mail;Fachbereich;Rolle\nAnna Schmidt;ANNA@halle.de;bürgerservice;Projektteam\nBen Ott;ben@halle.de;;\n";
        let r = check(csv, &deps(), &HashSet::new()).unwrap();
        assert_eq!(r.errors, vec![]);
        assert_eq!(r.valid.len(), 2);
        assert_eq!(r.valid[0].email, "anna@halle.de");
        assert_eq!(r.valid[0].department.as_deref(), Some("Bürgerservice"));
        assert_eq!(r.valid[0].role, Role::ProjectTeam);
        assert_eq!(r.valid[1].role, Role::Staff);
    }

    #[test]
    fn broken_rows_are_reported_with_their_line_number() {
        let csv = "name,email,department,role\nA,a@halle.de,Jugendamt,staff\nB,kaputt,Jugendamt,staff\nC,c@halle.de,Marsamt,chef\nD,a@halle.de,,\n";
        let r = check(csv, &deps(), &HashSet::new()).unwrap();
        assert_eq!(r.valid.len(), 1);
        let lines: Vec<u64> = r.errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(r.errors[1].1.contains("Marsamt") && r.errors[1].1.contains("chef"));
        assert!(r.errors[2].1.contains("mehrfach"));
    }

    #[test]
    fn existing_emails_and_missing_headers_are_refused() {
        let existing: HashSet<String> = ["a@halle.de".to_string()].into();
        let r = check("name,email\nA,a@halle.de\n", &deps(), &existing).unwrap();
        assert!(r.errors[0].1.contains("bereits vergeben"));
        assert!(check("vorname,nachname\nA,B\n", &deps(), &existing).is_err());
        assert!(check("", &deps(), &existing).is_err());
    }

    #[test]
    fn hostile_markup_is_kept_as_text_and_never_interpreted() {
        let csv = "name,email\n<script>alert(1)</script>,x@halle.de\n";
        let r = check(csv, &deps(), &HashSet::new()).unwrap();
        assert_eq!(r.valid[0].name, "<script>alert(1)</script>");
    }
}
