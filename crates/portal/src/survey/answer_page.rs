//! The answer page: staff answer on one page that works without
//! JavaScript, keep unfinished answers for later, and see every problem
//! beside its question; the same form serves the project team typing in a
//! paper form and the editor's live preview. A thin adapter over
//! [`super::answering`].

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use journey::survey::{self, QuestionKind, Questionnaire};
use store::survey::Survey;

use super::answering::{self, open_ballot, privacy_notice, Outcome, Refusal};
use super::questionnaire::questionnaire_of;
use crate::auth::{ensure_session, Identity};
use crate::error::PageError;
use crate::form::FieldErrors;
use crate::view::{render, Layout};
use crate::AppState;

pub(super) struct OptionView {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) checked: bool,
}

pub(super) struct ItemView {
    pub(super) field: String,
    pub(super) label: String,
    pub(super) error: String,
    pub(super) options: Vec<OptionView>,
}

pub(super) struct QuestionForm {
    pub(super) id: String,
    /// `radio`, `checkbox`, `matrix`, `number`, `text`, `textarea`.
    pub(super) control: &'static str,
    pub(super) text: String,
    pub(super) help: String,
    pub(super) required: bool,
    pub(super) condition: String,
    pub(super) error: String,
    /// Ids of help, condition and error texts, for `aria-describedby`.
    pub(super) described: String,
    pub(super) options: Vec<OptionView>,
    pub(super) items: Vec<ItemView>,
    pub(super) value: String,
    pub(super) min: String,
    pub(super) max: String,
    pub(super) step: String,
    pub(super) unit: String,
    pub(super) max_length: u32,
}

pub(super) struct SectionForm {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) questions: Vec<QuestionForm>,
}

#[derive(Template)]
#[template(path = "survey/answer.html")]
struct AnswerPage {
    layout: Layout,
    /// Where the form is sent.
    action: String,
    paper: bool,
    title: String,
    description: String,
    notice: Vec<(bool, String)>,
    sections: Vec<SectionForm>,
    summary: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "fragments/survey_preview.html")]
struct PreviewFragment {
    title: String,
    description: String,
    sections: Vec<SectionForm>,
    problems: Vec<String>,
}

/// The questionnaire as staff will see it (the editor's live preview), or
/// the problems that keep it from being shown.
pub fn preview_html(q: Result<&Questionnaire, Vec<String>>) -> Result<String, askama::Error> {
    let fragment = match q {
        Ok(q) => PreviewFragment {
            title: q.title.clone(),
            description: q.description.clone().unwrap_or_default(),
            sections: form_view(q, &[], &FieldErrors::new()),
            problems: Vec::new(),
        },
        Err(problems) => PreviewFragment {
            title: String::new(),
            description: String::new(),
            sections: Vec::new(),
            problems,
        },
    };
    fragment.render()
}

#[derive(Template)]
#[template(path = "survey/message.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    message: String,
}

fn message(
    csrf: String,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> Result<Response, PageError> {
    let mut response = render(&MessagePage {
        layout: Layout::anonymous(heading, csrf),
        heading: heading.into(),
        message: text.into(),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// The button that keeps unfinished answers instead of submitting them.
const SAVE_FIELD: &str = "_aktion";
const SAVE_VALUE: &str = "zwischenspeichern";

const UNKNOWN_TOKEN: &str = "Dieser Link oder Code ist nicht gültig, wurde schon benutzt oder die Umfrage ist beendet. Jede Person kann nur einmal teilnehmen. Wenn Sie noch nicht geantwortet haben, bitten Sie das Projektteam um einen neuen Link.";

fn condition_hint(q: &Questionnaire, question: &journey::survey::Question) -> String {
    let Some(cond) = &question.show_if else {
        return String::new();
    };
    let Some(other) = q.question(&cond.question) else {
        return String::new();
    };
    let label = |id: &str| -> String {
        other
            .kind
            .options()
            .and_then(|o| o.get(id))
            .map(|o| o.label.clone())
            .or_else(|| {
                other.kind.scale().and_then(|s| {
                    s.iter()
                        .find(|p| p.value.to_string() == id)
                        .map(|p| p.label.clone())
                })
            })
            .unwrap_or_else(|| id.to_string())
    };
    let values = match &cond.test {
        journey::survey::ConditionTest::Equals(v) | journey::survey::ConditionTest::Contains(v) => {
            format!("„{}“", label(v))
        }
        journey::survey::ConditionTest::AnyOf(vs) => vs
            .iter()
            .map(|v| format!("„{}“", label(v)))
            .collect::<Vec<_>>()
            .join(" oder "),
    };
    format!(
        "Nur beantworten, wenn Sie bei „{}“ {values} gewählt haben.",
        other.text
    )
}

pub(super) fn form_view(
    q: &Questionnaire,
    pairs: &[(String, String)],
    errors: &FieldErrors,
) -> Vec<SectionForm> {
    let values = |field: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let opts = |field: &str, list: Vec<(String, String)>| -> Vec<OptionView> {
        let chosen = values(field);
        list.into_iter()
            .map(|(value, label)| OptionView {
                checked: chosen.contains(&value.as_str()),
                value,
                label,
            })
            .collect()
    };
    let scale = |points: &[journey::survey::ScalePoint]| -> Vec<(String, String)> {
        points
            .iter()
            .map(|p| (p.value.to_string(), p.label.clone()))
            .collect()
    };
    q.sections
        .iter()
        .map(|s| SectionForm {
            title: s.title.clone(),
            description: s.description.clone().unwrap_or_default(),
            questions: s
                .questions
                .iter()
                .map(|question| {
                    let id = question.id.clone();
                    let mut view = QuestionForm {
                        id: id.clone(),
                        control: "text",
                        text: question.text.clone(),
                        help: question.help.clone().unwrap_or_default(),
                        required: question.required,
                        condition: condition_hint(q, question),
                        error: errors.get(&id).cloned().unwrap_or_default(),
                        described: String::new(),
                        options: Vec::new(),
                        items: Vec::new(),
                        value: values(&id)
                            .first()
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                        min: String::new(),
                        max: String::new(),
                        step: String::new(),
                        unit: String::new(),
                        max_length: 0,
                    };
                    match &question.kind {
                        QuestionKind::SingleChoice { options } => {
                            view.control = "radio";
                            view.options = opts(
                                &id,
                                options
                                    .list
                                    .iter()
                                    .map(|o| (o.id.clone(), o.label.clone()))
                                    .collect(),
                            );
                        }
                        QuestionKind::MultipleChoice { options, .. } => {
                            view.control = "checkbox";
                            view.options = opts(
                                &id,
                                options
                                    .list
                                    .iter()
                                    .map(|o| (o.id.clone(), o.label.clone()))
                                    .collect(),
                            );
                        }
                        QuestionKind::Likert { scale: points } => {
                            view.control = "radio";
                            view.options = opts(&id, scale(points));
                        }
                        QuestionKind::LikertMatrix {
                            items,
                            scale: points,
                        } => {
                            view.control = "matrix";
                            view.items = items
                                .list
                                .iter()
                                .map(|item| {
                                    let field = format!("{id}.{}", item.id);
                                    ItemView {
                                        error: errors.get(&field).cloned().unwrap_or_default(),
                                        options: opts(&field, scale(points)),
                                        field,
                                        label: item.label.clone(),
                                    }
                                })
                                .collect();
                        }
                        QuestionKind::Number {
                            min,
                            max,
                            integer,
                            unit,
                        } => {
                            view.control = "number";
                            view.min = min.map(|m| m.to_string()).unwrap_or_default();
                            view.max = max.map(|m| m.to_string()).unwrap_or_default();
                            view.step = if *integer { "1".into() } else { "any".into() };
                            view.unit = unit.clone().unwrap_or_default();
                        }
                        QuestionKind::Text {
                            max_length,
                            multiline,
                        } => {
                            view.control = if *multiline { "textarea" } else { "text" };
                            view.max_length = *max_length;
                        }
                    }
                    let mut described = Vec::new();
                    if !view.help.is_empty() {
                        described.push(format!("q-{id}-help"));
                    }
                    if !view.condition.is_empty() {
                        described.push(format!("q-{id}-cond"));
                    }
                    if !view.error.is_empty() {
                        described.push(format!("q-{id}-error"));
                    }
                    view.described = described.join(" ");
                    view
                })
                .collect(),
        })
        .collect()
}

/// What the answer form shows besides the questions: the values sent,
/// and the problems found in them.
pub(super) struct Filled<'a> {
    pub pairs: &'a [(String, String)],
    pub errors: &'a FieldErrors,
    pub summary: Vec<(String, String)>,
}

impl Filled<'_> {
    pub fn with(pairs: &[(String, String)]) -> Filled<'_> {
        Filled {
            pairs,
            errors: &NO_ERRORS,
            summary: Vec::new(),
        }
    }
}

static NO_ERRORS: std::sync::LazyLock<FieldErrors> = std::sync::LazyLock::new(FieldErrors::new);

/// The answer form; `paper` is the project team typing in a paper form
/// (no privacy notice to accept, no saving for later).
pub(super) async fn answer_page(
    state: &AppState,
    layout: Layout,
    survey: &Survey,
    action: String,
    paper: bool,
    filled: Filled<'_>,
) -> Result<Response, PageError> {
    let q = questionnaire_of(survey)?;
    render(&AnswerPage {
        layout,
        action,
        paper,
        title: q.title.clone(),
        description: q.description.clone().unwrap_or_default(),
        notice: privacy_notice(state, survey.min_group_size).await?,
        sections: form_view(&q, filled.pairs, filled.errors),
        summary: filled.summary,
    })
}

/// Answer errors by field (beside each question) and as the summary on
/// top: one line per question, linking to it.
pub(super) fn answer_problems(
    q: &Questionnaire,
    errs: Vec<survey::AnswerError>,
) -> (FieldErrors, Vec<(String, String)>) {
    let mut errors = FieldErrors::new();
    let mut summary: Vec<(String, String)> = Vec::new();
    for e in errs {
        errors.insert(e.field.clone(), e.message.clone());
        errors.insert(e.question.clone(), e.message.clone());
        if !summary.iter().any(|(f, _)| f == &e.question) {
            let label = summary_label(q, &e.question);
            summary.push((e.question, format!("{label} – {}", e.message)));
        }
    }
    (errors, summary)
}

/// How the error summary names a question: its text in quotes (a text
/// ending in "?" followed by a colon reads badly), with the section and, if
/// that is not enough, the position when several questions share the text.
fn summary_label(q: &Questionnaire, id: &str) -> String {
    let all: Vec<_> = q.questions().collect();
    let Some(index) = all.iter().position(|(_, qq)| qq.id == id) else {
        return id.to_owned();
    };
    let (section, question) = all[index];
    let text = question.text.trim();
    let twins: Vec<_> = all
        .iter()
        .enumerate()
        .filter(|(_, (_, qq))| qq.text.trim() == text)
        .collect();
    if twins.len() < 2 {
        return format!("„{text}“");
    }
    let same_section = twins
        .iter()
        .filter(|(_, (s, _))| s.id == section.id)
        .count();
    if same_section < 2 {
        format!("„{text}“ im Abschnitt „{}“", section.title.trim())
    } else {
        format!("„{text}“ (Frage {} von {})", index + 1, all.len())
    }
}

/// The layout of the public answer page, with a note on top if any.
fn answer_layout(survey: &Survey, csrf: String, flash: Option<&str>) -> Layout {
    let title = questionnaire_of(survey).map_or_else(|_| survey.title.clone(), |q| q.title);
    let layout = Layout::anonymous(&title, csrf);
    match flash {
        Some(text) => layout.with_flash("ok", text.to_string()),
        None => layout,
    }
}

pub async fn answer_form(
    State(state): State<AppState>,
    identity: Identity,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (csrf, cookie) = ensure_session(&state, &identity).await?;
    let mut response = match state.store.survey_for_token(&token).await? {
        Some(survey) if answering::outside_period(&survey).is_some() => message(
            csrf,
            StatusCode::CONFLICT,
            "Teilnahme gerade nicht möglich",
            &answering::outside_period(&survey).unwrap_or_default(),
        )?,
        Some(survey) => {
            let saved = answering::kept_draft(&state, &token)
                .await?
                .unwrap_or_default();
            let flash = (!saved.is_empty()).then_some(
                "Ihre zwischengespeicherten Antworten sind wieder da. Sie können weitermachen.",
            );
            answer_page(
                &state,
                answer_layout(&survey, csrf, flash),
                &survey,
                format!("/teilnahme/{token}"),
                false,
                Filled::with(&saved),
            )
            .await?
        }
        None => message(
            csrf,
            StatusCode::NOT_FOUND,
            "Teilnahme nicht möglich",
            UNKNOWN_TOKEN,
        )?,
    };
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    // Answers are personal: no copy in caches or the browser history.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

fn refused(csrf: String, refusal: Refusal) -> Result<Response, PageError> {
    match refusal {
        Refusal::UnknownOrUsed => message(
            csrf,
            StatusCode::CONFLICT,
            "Teilnahme nicht möglich",
            UNKNOWN_TOKEN,
        ),
        Refusal::OutsidePeriod(text) => message(
            csrf,
            StatusCode::CONFLICT,
            "Teilnahme gerade nicht möglich",
            &text,
        ),
    }
}

pub async fn answer_submit(
    State(state): State<AppState>,
    identity: Identity,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = identity
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    let ballot = match open_ballot(&state, &token).await? {
        Ok(ballot) => ballot,
        Err(refusal) => return refused(csrf, refusal),
    };
    let input = survey::response::input_from_form(&ballot.questionnaire, &pairs);
    let save_for_later = pairs
        .iter()
        .any(|(k, v)| k == SAVE_FIELD && v == SAVE_VALUE);
    let outcome = if save_for_later {
        answering::keep_draft(&state, &token, &ballot, &input, Some(&pairs)).await?
    } else {
        answering::submit(&state, &token, &ballot, &input).await?
    };
    match outcome {
        Outcome::Stored if save_for_later => {
            let survey = state.store.survey(ballot.survey_id).await?;
            answer_page(
                &state,
                answer_layout(&survey, csrf, Some("Zwischengespeichert. Öffnen Sie denselben Link später wieder, um weiterzumachen; abgeschickt ist noch nichts.")),
                &survey,
                format!("/teilnahme/{token}"),
                false,
                Filled::with(&pairs),
            )
            .await
        }
        Outcome::Stored => message(
            csrf,
            StatusCode::OK,
            "Vielen Dank für Ihre Teilnahme!",
            "Ihre Antworten sind gespeichert – ohne Namen, ohne Zeitpunkt und ohne Verbindung zu Ihrem Link. Sie können dieses Fenster jetzt schließen.",
        ),
        Outcome::Refused(refusal) => refused(csrf, refusal),
        Outcome::Invalid(errs) => {
            let (errors, summary) = answer_problems(&ballot.questionnaire, errs);
            let survey = state.store.survey(ballot.survey_id).await?;
            let mut response = answer_page(
                &state,
                answer_layout(&survey, csrf, None),
                &survey,
                format!("/teilnahme/{token}"),
                false,
                Filled {
                    pairs: &pairs,
                    errors: &errors,
                    summary,
                },
            )
            .await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questionnaire() -> Questionnaire {
        let yaml = r#"
id: test
title: Test
sections:
- id: arbeit
  title: Arbeit
  questions:
  - {id: nutzt, type: single_choice, text: Nutzen Sie KI?, required: true, options: [{id: ja, label: Ja}, {id: nein, label: Nein}]}
  - {id: sicher_arbeit, type: likert, text: Wie sicher fühlen Sie sich?, required: true}
- id: freizeit
  title: Freizeit
  questions:
  - {id: sicher_freizeit, type: likert, text: Wie sicher fühlen Sie sich?, required: true}
"#;
        survey::parse_questionnaire(yaml.as_bytes())
            .unwrap()
            .questionnaire
    }

    fn missing(id: &str) -> survey::AnswerError {
        survey::AnswerError {
            question: id.into(),
            field: id.into(),
            message: "Bitte beantworten Sie diese Frage.".into(),
        }
    }

    #[test]
    fn the_error_summary_quotes_questions_and_tells_twins_apart() {
        let (_, summary) = answer_problems(
            &questionnaire(),
            vec![
                missing("nutzt"),
                missing("sicher_arbeit"),
                missing("sicher_freizeit"),
            ],
        );
        let lines: Vec<&str> = summary.iter().map(|(_, line)| line.as_str()).collect();
        assert_eq!(
            lines,
            [
                "„Nutzen Sie KI?“ – Bitte beantworten Sie diese Frage.",
                "„Wie sicher fühlen Sie sich?“ im Abschnitt „Arbeit“ – Bitte beantworten Sie diese Frage.",
                "„Wie sicher fühlen Sie sich?“ im Abschnitt „Freizeit“ – Bitte beantworten Sie diese Frage.",
            ]
        );
        assert!(lines.iter().all(|l| !l.contains("?:")));
    }
}
