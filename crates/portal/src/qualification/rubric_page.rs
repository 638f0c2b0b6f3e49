//! The evaluation rubric, editable by the project team: names, descriptions
//! and weights of the criteria, criteria added and removed, the thresholds
//! of the suggestion, and a way back to the shipped rubric. Saving rescores
//! every stored evaluation in the same transaction, so points, ranking and
//! comparison follow the rubric at once.

use crate::text_input::Form;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use journey::qualification::rubric::{format_number, Rubric, RubricCriterion};
use journey::survey::{is_valid_id, slug};

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{parse_decimal_de, FieldErrors, Fields};
use crate::qualification::page::{flashed, NAV};
use crate::qualification::rubric::shipped_rubric;
use crate::qualification::rubric::store_rubric;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

/// One criterion as the form shows it: what was stored or what was typed.
pub struct CriterionRow {
    /// Position in the form; field names end in it.
    pub key: String,
    pub id: String,
    pub label: String,
    pub description: String,
    pub weight: String,
    pub remove: bool,
}

#[derive(Template)]
#[template(path = "qualification/rubric.html")]
struct RubricPage {
    layout: Layout,
    /// The criteria, then the empty row for one to add (key `new`).
    rows: Vec<CriterionRow>,
    aufnehmen: String,
    pruefen: String,
    version: i64,
    sum: String,
    edited: bool,
    errors: FieldErrors,
    form_error: String,
}

fn rows_of(rubric: &Rubric) -> Vec<CriterionRow> {
    rubric
        .criteria
        .iter()
        .enumerate()
        .map(|(i, c)| CriterionRow {
            key: i.to_string(),
            id: c.id.clone(),
            label: c.label.clone(),
            description: c.description.clone(),
            weight: format_number(c.weight),
            remove: false,
        })
        .collect()
}

fn empty_row() -> CriterionRow {
    CriterionRow {
        key: "new".into(),
        id: String::new(),
        label: String::new(),
        description: String::new(),
        weight: String::new(),
        remove: false,
    }
}

fn differs_from_shipped(rubric: &Rubric) -> Result<bool, AppError> {
    let shipped = shipped_rubric()?;
    Ok(rubric.criteria != shipped.criteria || rubric.thresholds != shipped.thresholds)
}

async fn show_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<(&'static str, String)>,
) -> Result<Response, PageError> {
    let (rubric, version) = crate::qualification::rubric::current(state).await?;
    render(&RubricPage {
        layout: flashed(
            Layout::for_user(state, cu, "Bewertungsraster", NAV).await,
            flash,
        ),
        rows: rows_of(&rubric).into_iter().chain([empty_row()]).collect(),
        aufnehmen: format_number(rubric.thresholds.aufnehmen),
        pruefen: format_number(rubric.thresholds.pruefen),
        version,
        sum: format_number(rubric.criteria.iter().map(|c| c.weight).sum()),
        edited: differs_from_shipped(&rubric)?,
        errors: FieldErrors::new(),
        form_error: String::new(),
    })
}

pub async fn show(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    show_page(&state, &cu, None).await
}

/// The rows as submitted: `id.N`, `label.N`, `description.N`, `weight.N`,
/// `remove.N`, and the empty row `*.new` for a criterion to add.
fn submitted_rows(f: &Fields) -> (Vec<CriterionRow>, CriterionRow) {
    let row = |key: &str| CriterionRow {
        key: key.to_string(),
        id: f.get(&format!("id.{key}")).trim().to_string(),
        label: f.get(&format!("label.{key}")).to_string(),
        description: f.get(&format!("description.{key}")).to_string(),
        weight: f.get(&format!("weight.{key}")).to_string(),
        remove: f.has(&format!("remove.{key}")),
    };
    let rows = f
        .pairs()
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("id."))
        .filter(|key| *key != "new")
        .map(row)
        .collect();
    (rows, row("new"))
}

/// A fresh id for a criterion added under `label`, unlike any in `taken`.
fn new_id(label: &str, taken: &[String]) -> String {
    let base: String = slug(label).chars().take(56).collect();
    let base = if is_valid_id(&base) {
        base
    } else {
        "kriterium".to_string()
    };
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Builds the rubric from the form; field problems go to `errors`, problems
/// of the whole (weights that do not sum to 100, thresholds) to the caller
/// through [`Rubric::validate`].
fn build(
    rows: &[CriterionRow],
    new: &CriterionRow,
    f: &Fields,
    version: i64,
    errors: &mut FieldErrors,
) -> Rubric {
    let mut criteria = Vec::new();
    let criterion = |row: &CriterionRow, errors: &mut FieldErrors| {
        if row.label.trim().is_empty() {
            errors.insert(
                format!("label.{}", row.key),
                "Bitte eine Bezeichnung angeben.",
            );
        }
        let weight = match parse_decimal_de(&row.weight) {
            Some(w) if w < 0.0 => {
                errors.insert(
                    format!("weight.{}", row.key),
                    "Das Gewicht darf nicht negativ sein.",
                );
                w
            }
            Some(w) => w,
            None => {
                errors.insert(
                    format!("weight.{}", row.key),
                    "Bitte das Gewicht als Zahl in Prozent angeben, z. B. 12,5.",
                );
                0.0
            }
        };
        RubricCriterion {
            id: row.id.clone(),
            label: row.label.trim().to_string(),
            description: row.description.trim().to_string(),
            weight,
        }
    };
    for row in rows.iter().filter(|r| !r.remove) {
        criteria.push(criterion(row, errors));
    }
    let wants_new = [&new.label, &new.description, &new.weight]
        .iter()
        .any(|v| !v.trim().is_empty());
    if wants_new {
        let mut added = criterion(new, errors);
        let taken: Vec<String> = criteria.iter().map(|c| c.id.clone()).collect();
        added.id = new_id(&added.label, &taken);
        criteria.push(added);
    }
    let mut threshold = |name: &str| match parse_decimal_de(f.get(name)) {
        Some(v) => v,
        None => {
            errors.insert(name, "Bitte eine Punktzahl zwischen 0 und 100 angeben.");
            0.0
        }
    };
    let thresholds = journey::qualification::rubric::Thresholds {
        aufnehmen: threshold("aufnehmen"),
        pruefen: threshold("pruefen"),
    };
    Rubric {
        schema: shipped_rubric().ok().and_then(|r| r.schema.clone()),
        version: u32::try_from(version + 1).unwrap_or(u32::MAX),
        thresholds,
        criteria,
    }
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields::new(pairs);
    let version: i64 = f.get("version").trim().parse().unwrap_or(-1);
    if f.has("reset") {
        let mut shipped = shipped_rubric()?.clone();
        shipped.version = u32::try_from(version + 1).unwrap_or(u32::MAX);
        let flash = match store_rubric(&state, &cu, &shipped, version, "zurückgesetzt").await {
            Ok(()) => (
                "ok",
                "Das mitgelieferte Bewertungsraster gilt wieder; alle Bewertungen sind neu berechnet."
                    .to_string(),
            ),
            Err(e) => ("error", e.to_string()),
        };
        return show_page(&state, &cu, Some(flash)).await;
    }
    let (rows, new) = submitted_rows(&f);
    let mut errors = FieldErrors::new();
    let rubric = build(&rows, &new, &f, version, &mut errors);
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let form_error = if !errors.is_empty() {
        "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".to_string()
    } else if let Err(e) = rubric.validate() {
        format!("{e} Nichts wurde gespeichert.")
    } else {
        match store_rubric(&state, &cu, &rubric, version, "geändert").await {
            Ok(()) => {
                let flash = (
                    "ok",
                    format!(
                        "Bewertungsraster gespeichert ({} Kriterien); alle Bewertungen sind neu berechnet.",
                        rubric.criteria.len()
                    ),
                );
                return show_page(&state, &cu, Some(flash)).await;
            }
            Err(AppError::Conflict(message)) => {
                status = StatusCode::CONFLICT;
                message
            }
            Err(e) => return Err(e.into()),
        }
    };
    let sum = rows
        .iter()
        .filter(|r| !r.remove)
        .chain(std::iter::once(&new))
        .filter_map(|r| parse_decimal_de(&r.weight))
        .sum();
    let page = RubricPage {
        layout: Layout::for_user(&state, &cu, "Bewertungsraster", NAV).await,
        rows: rows.into_iter().chain([new]).collect(),
        aufnehmen: f.get("aufnehmen").to_string(),
        pruefen: f.get("pruefen").to_string(),
        version,
        sum: format_number(sum),
        edited: true,
        errors,
        form_error,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_criterion_gets_an_id_from_its_label_unlike_the_others() {
        let taken = vec!["barrierefreiheit".to_string()];
        assert_eq!(new_id("Barrierefreiheit", &taken), "barrierefreiheit-2");
        assert_eq!(new_id("Übung & Praxis", &taken), "uebung-praxis");
        assert!(is_valid_id(&new_id("§§", &taken)));
    }
}
