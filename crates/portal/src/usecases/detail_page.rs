//! The page of one use case: canvas, classification, status and history,
//! and the register entry, with the forms that change them.

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::form::from_key;
use crate::form::key;
use crate::form::FieldErrors;
use crate::form::Fields;
use crate::text_input::Form;
use crate::usecases::assessment::save;
use crate::usecases::assessment::timestamp;
use crate::usecases::canvas_form::canvas_fields;
use crate::usecases::canvas_form::parse_canvas;
use crate::usecases::canvas_form::CanvasForm;
use crate::usecases::content::decision_tree;
use crate::usecases::page::use_case_message;
use crate::usecases::page::NAV;
use crate::usecases::register::register_entry;
use crate::usecases::register::register_problems;
use crate::usecases::register::save_register_entry;
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::Permission;
use journey::usecase::ai_act::{Classification, DecisionTree};
use journey::usecase::model::{Origin, Status, UseCase};
use journey::usecase::register::{RegisterEntry, RegisterField};
use store::usecases::UseCaseRecord;
use store::StoreError;

pub struct ObligationView {
    pub title: String,
    pub articles: String,
    pub description: String,
    pub applies_from: String,
}

pub struct ClassificationView {
    pub conclusion: String,
    pub risk: &'static str,
    pub summary: String,
    pub obligations: Vec<ObligationView>,
    pub answers: Vec<(String, String)>,
    pub needs_review: bool,
    pub fria_required: bool,
    pub tree_version: String,
}

/// The obligations with their articles and dates, as the tree describes them.
pub fn obligation_views(tree: &DecisionTree, ids: &[String]) -> Vec<ObligationView> {
    ids.iter()
        .filter_map(|id| tree.obligation(id))
        .map(|o| ObligationView {
            title: o.title.clone(),
            articles: o.articles.join(", "),
            description: o.description.clone(),
            applies_from: tree.date(&o.applies_from).map_or_else(
                || o.applies_from.clone(),
                |d| format!("{} ({})", journey::date::german(&d.date), d.label),
            ),
        })
        .collect()
}

pub(super) fn classification_view(tree: &DecisionTree, c: &Classification) -> ClassificationView {
    let answers = c.answers_in_order(tree);
    ClassificationView {
        conclusion: c.conclusion_label.clone(),
        risk: c.risk.label(),
        summary: c.summary(tree),
        obligations: obligation_views(tree, &c.obligations),
        answers,
        needs_review: c.needs_review(tree),
        fria_required: c.fria_required,
        tree_version: c.tree_version.clone(),
    }
}

pub struct TransitionView {
    pub value: String,
    pub label: &'static str,
    pub blockers: Vec<String>,
    pub selected: bool,
}

pub struct HistoryView {
    pub from: &'static str,
    pub to: &'static str,
    pub at: String,
    pub reason: String,
}

pub struct RegisterFieldView {
    pub key: &'static str,
    pub label: &'static str,
    pub internal: bool,
}

/// A field the project team writes, as the form shows it.
pub struct WrittenFieldView {
    /// The form field's name, `reg_<key>`.
    pub name: String,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    /// A textarea rather than a one-line input.
    pub long: bool,
}

pub struct RegisterForm {
    pub name: String,
    pub description: String,
    pub contact: String,
    pub published: bool,
    pub fields: Vec<RegisterFieldView>,
    pub written: Vec<WrittenFieldView>,
}

impl RegisterForm {
    fn from_entry(e: &RegisterEntry) -> RegisterForm {
        RegisterForm {
            name: e.name.clone(),
            description: e.description.clone(),
            contact: e.contact.clone(),
            published: e.published,
            written: RegisterField::WRITTEN
                .into_iter()
                .map(|f| {
                    let value = e.written(f);
                    let dated = matches!(f, RegisterField::StartDate | RegisterField::EndDate);
                    WrittenFieldView {
                        name: format!("reg_{}", f.key()),
                        label: f.label(),
                        hint: f.hint(),
                        value: if dated && journey::date::is_iso_date(&value) {
                            journey::date::german(&value)
                        } else {
                            value
                        },
                        long: !dated && f != RegisterField::Supplier,
                    }
                })
                .collect(),
            fields: RegisterField::ALL
                .into_iter()
                .filter(|f| *f != RegisterField::Name)
                .map(|f| RegisterFieldView {
                    key: f.key(),
                    label: f.label(),
                    internal: e.internal.contains(&f),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "usecases/usecase.html")]
pub(super) struct DetailPage {
    pub(super) layout: Layout,
    pub(super) uc: UseCase,
    pub(super) origin: String,
    pub(super) version: i64,
    pub(super) created: String,
    pub(super) updated: String,
    pub(super) can_assess: bool,
    pub(super) canvas: CanvasForm,
    pub(super) missing: String,
    pub(super) score: Option<(String, String, String)>,
    pub(super) transitions: Vec<TransitionView>,
    pub(super) reason: String,
    pub(super) history: Vec<HistoryView>,
    pub(super) classification: Option<ClassificationView>,
    pub(super) register: RegisterForm,
    pub(super) register_published: bool,
    pub(super) errors: FieldErrors,
    pub(super) canvas_error: String,
    pub(super) status_error: String,
    pub(super) register_error: String,
    pub(super) duties: Vec<crate::usecases::duties_view::DutyRow>,
}

pub(super) fn origin_label(o: &Origin) -> String {
    match o {
        Origin::Own => "eigene Idee".to_owned(),
        Origin::Survey => "aus der Bestandsaufnahme übernommen".to_owned(),
        Origin::Library { entry } => format!("aus der Bibliothek übernommen ({entry})"),
        Origin::Imported { from } => format!("importiert von {from}"),
    }
}

/// What a detail page shows besides the stored use case: posted input and
/// errors for one of its forms.
#[derive(Default)]
pub(super) struct DetailInput {
    pub(super) canvas: Option<Fields>,
    pub(super) status: Option<Fields>,
    pub(super) register: Option<RegisterEntry>,
    pub(super) errors: FieldErrors,
    pub(super) canvas_error: String,
    pub(super) status_error: String,
    pub(super) register_error: String,
    pub(super) flash: Option<(&'static str, String)>,
}

pub(super) async fn detail_page(
    state: &AppState,
    cu: &CurrentUser,
    record: &UseCaseRecord,
    input: DetailInput,
) -> Result<Response, PageError> {
    let uc = &record.use_case;
    let tree = decision_tree()?;
    let canvas_fields = input
        .canvas
        .unwrap_or_else(|| canvas_fields(&uc.canvas, record.version));
    let missing = uc
        .canvas
        .missing_fields()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let score = crate::usecases::scoring::current(state)
        .await?
        .score(&uc.canvas)
        .ok()
        .map(|s| {
            (
                journey::usecase::matrix::decimal(s.benefit),
                journey::usecase::matrix::decimal(s.feasibility),
                journey::usecase::matrix::decimal(s.total),
            )
        });
    let chosen = input
        .status
        .as_ref()
        .map(|f| f.get("to").to_owned())
        .unwrap_or_default();
    let transitions = uc
        .status
        .allowed_next()
        .iter()
        .map(|to| {
            let mut blockers = uc.blockers(*to);
            if *to == Status::Stopped {
                blockers.push("eine Begründung ist nötig".to_owned());
            }
            TransitionView {
                value: key(*to),
                label: to.label(),
                selected: chosen == key(*to),
                blockers,
            }
        })
        .collect();
    let register_entry = input
        .register
        .or_else(|| record.register.clone())
        .unwrap_or_else(|| RegisterEntry::draft_from(uc));
    let today = journey::date::today();
    let names = crate::usecases::duties_api::owner_names(state).await?;
    let duties = crate::usecases::duties::synced(state, record)
        .await?
        .iter()
        .filter(|t| t.current)
        .map(|t| crate::usecases::duties_view::DutyRow::new(t, &names, &today))
        .collect();
    let mut layout = Layout::for_user(state, cu, &uc.intake.title, NAV).await;
    if let Some((kind, message)) = input.flash {
        layout = layout.with_flash(kind, message);
    }
    render(&DetailPage {
        layout,
        origin: origin_label(&uc.origin),
        version: record.version,
        created: format_time(record.created_at),
        updated: format_time(record.updated_at),
        can_assess: cu.user.role.can(Permission::AssessUseCases),
        canvas: CanvasForm::from_fields(&canvas_fields, &input.errors),
        missing,
        score,
        transitions,
        reason: input
            .status
            .as_ref()
            .map(|f| f.get("reason").to_owned())
            .unwrap_or_default(),
        history: uc
            .history
            .iter()
            .rev()
            .map(|h| HistoryView {
                from: h.from.label(),
                to: h.to.label(),
                at: h.at.replace('T', " ").replace('Z', " UTC"),
                reason: h.reason.clone(),
            })
            .collect(),
        classification: uc
            .classification
            .as_ref()
            .map(|c| classification_view(tree, c)),
        register: RegisterForm::from_entry(&register_entry),
        register_published: record.register.as_ref().is_some_and(|r| r.published),
        errors: input.errors,
        canvas_error: input.canvas_error,
        status_error: input.status_error,
        register_error: input.register_error,
        duties,
        uc: uc.clone(),
    })
}

pub(super) fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let query = Fields::new(query);
    let flash = if query.has("neu") {
        Some((
            "ok",
            "Vielen Dank! Die Idee ist eingereicht; das Projektteam bewertet sie.".to_owned(),
        ))
    } else if query.has("gespeichert") {
        Some(("ok", "Gespeichert.".to_owned()))
    } else {
        None
    };
    detail_page(
        &state,
        &cu,
        &record,
        DetailInput {
            flash,
            ..DetailInput::default()
        },
    )
    .await
}

pub fn conflict_note() -> String {
    StoreError::Conflict.to_string()
        + " Ihre Eingaben stehen noch im Formular; ein erneutes Speichern überschreibt den neuen Stand."
}

pub async fn save_canvas(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let mut fields = Fields::new(pairs);
    let mut errors = FieldErrors::new();
    let canvas = parse_canvas(&fields, &record.use_case.canvas, &mut errors);
    if !errors.is_empty() {
        let page = detail_page(
            &state,
            &cu,
            &record,
            DetailInput {
                canvas: Some(fields),
                errors,
                canvas_error: "Bitte prüfen Sie die markierten Felder im Canvas.".to_owned(),
                ..DetailInput::default()
            },
        )
        .await?;
        return Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let mut uc = record.use_case.clone();
    uc.canvas = canvas;
    match save(
        &state,
        &cu,
        &record,
        &uc,
        fields.version(),
        "Canvas gespeichert",
    )
    .await
    {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/anwendungsfaelle/{}?gespeichert=1#canvas",
            saved.use_case.id
        ))
        .into_response()),
        Err(StoreError::Conflict) => {
            // The form keeps the input but takes the current version, so a
            // deliberate second save overwrites.
            fields.remove("version");
            fields.push("version", record.version.to_string());
            let page = detail_page(
                &state,
                &cu,
                &record,
                DetailInput {
                    canvas: Some(fields),
                    canvas_error: conflict_note(),
                    ..DetailInput::default()
                },
            )
            .await?;
            Ok(with_status(page, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn change_status(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let fields = Fields::new(pairs);
    let mut uc = record.use_case.clone();
    let from = uc.status;
    let mut errors = FieldErrors::new();
    match from_key::<Status>(fields.get("to")) {
        None => errors.insert("to", "Bitte den neuen Status wählen."),
        Some(to) => {
            if let Err(e) = uc.change_status(to, &timestamp(), fields.get("reason")) {
                let field = if to == Status::Stopped && fields.get("reason").trim().is_empty() {
                    "reason"
                } else {
                    "to"
                };
                errors.insert(field, use_case_message(&e));
            }
        }
    }
    let status_error = if errors.is_empty() {
        let change = format!("Status: {} → {}", from.label(), uc.status.label());
        match save(&state, &cu, &record, &uc, fields.version(), &change).await {
            Ok(saved) => {
                return Ok(Redirect::to(&format!(
                    "/anwendungsfaelle/{}?gespeichert=1#status",
                    saved.use_case.id
                ))
                .into_response())
            }
            Err(StoreError::Conflict) => StoreError::Conflict.to_string(),
            Err(e) => return Err(e.into()),
        }
    } else {
        "Der Status wurde nicht geändert.".to_owned()
    };
    let conflict = errors.is_empty();
    let page = detail_page(
        &state,
        &cu,
        &record,
        DetailInput {
            status: Some(fields),
            errors,
            status_error,
            ..DetailInput::default()
        },
    )
    .await?;
    Ok(with_status(
        page,
        if conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    ))
}

pub async fn save_register(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let fields = Fields::new(pairs);
    let uc = &record.use_case;
    let entry = register_entry(
        uc,
        fields.get("reg_name"),
        fields.get("reg_description"),
        fields.get("reg_contact"),
        fields.get("reg_published") == "1",
        fields
            .all("reg_internal")
            .into_iter()
            .filter_map(from_key::<RegisterField>)
            .collect(),
        &RegisterField::WRITTEN.map(|f| (f, fields.get(&format!("reg_{}", f.key())).to_owned())),
    );
    let mut errors = FieldErrors::new();
    for (field, problem) in register_problems(&entry) {
        errors.insert(format!("reg_{field}"), problem);
    }
    let register_error = if errors.is_empty() {
        let saved = save_register_entry(&state, &cu, uc, &entry, fields.version()).await;
        match saved {
            Ok(saved) => {
                return Ok(Redirect::to(&format!(
                    "/anwendungsfaelle/{}?gespeichert=1#register",
                    saved.use_case.id
                ))
                .into_response())
            }
            Err(StoreError::Conflict) => conflict_note(),
            Err(e) => return Err(e.into()),
        }
    } else {
        "Bitte prüfen Sie die markierten Felder des Registereintrags.".to_owned()
    };
    let conflict = errors.is_empty();
    let page = detail_page(
        &state,
        &cu,
        &record,
        DetailInput {
            register: Some(entry),
            errors,
            register_error,
            ..DetailInput::default()
        },
    )
    .await?;
    Ok(with_status(
        page,
        if conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    ))
}
