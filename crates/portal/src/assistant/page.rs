//! The KI-Assistent for staff: a chat through the gateway, with the choice
//! of assistant (saved instructions), model and data class, and the notice
//! that they are talking to an AI system (Art. 50(1) AI Act).
//!
//! With JavaScript the answer streams (`/assistent/stream`, server-sent
//! events of text pieces, then the sanitised HTML); without it the form
//! posts and the page comes back with the whole answer. By default
//! conversations are not stored on the server: the browser keeps them (and
//! the no-JS form carries the previous turns in a hidden field). Only while
//! an administrator has turned storage on are the turns also kept on the
//! server, for the retention period, where each person sees and deletes
//! their own.

use std::convert::Infallible;

use crate::text_input::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::{Caller, Event, GenerateRequest, Input, Params, Screening};
use journey::access::Permission;
use journey::policy::DataClass;
use serde::Deserialize;
use store::assistants::{Assistant, AssistantInput};
use store::chat_history::NewTurn;

use super::routing::{local_offer, model_label, not_sent, notice, LocalOffer, NotSent};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::spaces::grounding::{citations_markdown, ground, Grounding};
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;

pub const NAV: &str = "/assistent";

/// Longest message accepted from the chat form.
const MAX_MESSAGE_CHARS: usize = 20_000;
/// Longest answer, in tokens.
const MAX_ANSWER_TOKENS: u32 = 512;
/// Turns of earlier conversation sent along (the context is small).
const MAX_TURNS: usize = 8;

#[derive(Debug, Deserialize)]
struct ShippedAssistant {
    name: String,
    description: String,
    system_prompt: String,
    #[serde(default)]
    data_class: Option<String>,
}

const SHIPPED: &str = include_str!("../../../../content/de/assistenten.yaml");

/// The assistants, with the shipped ones added on first use.
pub async fn assistants(state: &AppState) -> Result<Vec<Assistant>, AppError> {
    let list = state.store.assistants().await?;
    if !list.is_empty() {
        return Ok(list);
    }
    let shipped: Vec<ShippedAssistant> = serde_yaml::from_str(SHIPPED)
        .map_err(|e| AppError::Internal(format!("assistenten.yaml: {e}")))?;
    let inputs: Vec<AssistantInput<'_>> = shipped
        .iter()
        .map(|a| AssistantInput {
            name: &a.name,
            description: &a.description,
            system_prompt: &a.system_prompt,
            data_class: a.data_class.as_deref(),
        })
        .collect();
    state.store.seed_assistants(&inputs).await?;
    Ok(state.store.assistants().await?)
}

struct Turn {
    question: String,
    answer_html: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
    /// An assistant's data class (slug), which the script preselects.
    class: String,
    /// A model's technical id, shown as the option's tooltip.
    title: String,
}

/// A stored conversation in the list beside the chat.
struct Stored {
    id: i64,
    title: String,
    updated: String,
    turns: i64,
}

#[derive(askama::Template)]
#[template(path = "assistant/assistant.html")]
struct ChatPage {
    layout: Layout,
    available: bool,
    models: Vec<Choice>,
    assistants: Vec<Choice>,
    classes: Vec<Choice>,
    /// The knowledge spaces the user may read, to answer from.
    spaces: Vec<Choice>,
    turns: Vec<Turn>,
    history: String,
    message: String,
    errors: FieldErrors,
    form_error: String,
    /// What the personal-data check found in the last message and where
    /// the message went because of it.
    notice: String,
    labelling: bool,
    can_manage: bool,
    can_limit: bool,
    can_configure: bool,
    /// Days the server keeps chat texts; none: not stored.
    retention_days: Option<i64>,
    stored: Vec<Stored>,
    /// The stored conversation this chat continues, if any.
    conversation: String,
    /// After a refusal by data class: the local model to resend to, with
    /// the assistant and class the message was sent with.
    offer: Option<LocalOffer>,
    resend_assistant: String,
    resend_class: String,
}

/// One earlier exchange, as the no-JS form carries it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
struct Exchange {
    q: String,
    a: String,
}

async fn chat_page(
    state: &AppState,
    cu: &CurrentUser,
    chosen: (&str, &str, &str),
) -> Result<ChatPage, AppError> {
    let (rules, _) = crate::documents::rules::current_rules(state).await?;
    let models: Vec<gateway::ModelInfo> = state.gateway().map(|g| g.models()).unwrap_or_default();
    let (model, assistant, class) = chosen;
    let retention_days = state.store.chat_retention_days().await?;
    let default_class = if class.is_empty() {
        rules.default_class.slug()
    } else {
        class
    };
    Ok(ChatPage {
        layout: Layout::for_user(state, cu, "KI-Assistent", NAV).await,
        available: !models.is_empty(),
        models: models
            .iter()
            .map(|m| Choice {
                selected: m.id == model,
                label: model_label(m),
                value: m.id.clone(),
                class: String::new(),
                title: m.id.clone(),
            })
            .collect(),
        assistants: std::iter::once(Choice {
            value: String::new(),
            label: "ohne Vorgabe".into(),
            selected: assistant.is_empty(),
            class: String::new(),
            title: String::new(),
        })
        .chain(assistants(state).await?.into_iter().map(|a| {
            let class = a
                .data_class
                .as_deref()
                .and_then(|c| DataClass::parse(c).ok());
            Choice {
                selected: a.id.to_string() == assistant,
                value: a.id.to_string(),
                label: match class {
                    Some(c) => format!("{} (mindestens {})", a.name, c.label()),
                    None => a.name,
                },
                class: class.map(|c| c.slug().to_owned()).unwrap_or_default(),
                title: String::new(),
            }
        }))
        .collect(),
        classes: DataClass::ALL
            .into_iter()
            .map(|c| Choice {
                value: c.slug().to_owned(),
                label: c.label().to_owned(),
                selected: c.slug() == default_class,
                class: String::new(),
                title: String::new(),
            })
            .collect(),
        spaces: crate::spaces::operations::visible(state, cu)
            .await?
            .into_iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: format!("{} (mindestens {})", s.name, s.data_class.label()),
                selected: false,
                class: s.data_class.slug().to_owned(),
                title: String::new(),
            })
            .collect(),
        turns: Vec::new(),
        history: String::new(),
        message: String::new(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        notice: String::new(),
        labelling: rules.labelling_required,
        can_manage: cu.user.role.can(Permission::ManageAssistants),
        can_limit: cu.user.role.can(Permission::ManageQuotas),
        can_configure: cu.user.role.can(Permission::ManageGateway),
        retention_days,
        stored: match retention_days {
            Some(_) => stored(state, cu).await?,
            None => Vec::new(),
        },
        conversation: String::new(),
        offer: None,
        resend_assistant: String::new(),
        resend_class: String::new(),
    })
}

async fn stored(state: &AppState, cu: &CurrentUser) -> Result<Vec<Stored>, AppError> {
    Ok(state
        .store
        .chat_conversations(cu.user.id)
        .await?
        .into_iter()
        .map(|c| Stored {
            id: c.id,
            title: c.title,
            updated: format_time(c.updated_at),
            turns: c.turns,
        })
        .collect())
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    /// A stored conversation to continue.
    gespraech: Option<i64>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let mut page = chat_page(&state, &cu, ("", "", "")).await?;
    if let Some(id) = q.gespraech {
        let history: Vec<Exchange> = state
            .store
            .chat_turns(cu.user.id, id)
            .await?
            .into_iter()
            .map(|t| Exchange {
                q: t.question,
                a: t.answer,
            })
            .collect();
        show_turns(&mut page, &history);
        page.conversation = id.to_string();
    }
    render(&page)
}

fn show_turns(page: &mut ChatPage, history: &[Exchange]) {
    page.turns = history
        .iter()
        .map(|e| Turn {
            question: e.q.clone(),
            answer_html: documents::markdown::to_html_fragment(&e.a),
        })
        .collect();
    page.history = serde_json::to_string(history).unwrap_or_default();
}

/// Deletes one of the user's stored conversations.
pub async fn delete_conversation(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    state.store.delete_chat_conversation(cu.user.id, id).await?;
    Ok(Redirect::to(NAV).into_response())
}

/// Keeps a finished turn on the server while an administrator has turned
/// that on; returns the conversation it belongs to. A failure to store
/// does not cost the user the answer they already have.
async fn keep(
    state: &AppState,
    cu: &CurrentUser,
    form: &ChatForm,
    reply: (&str, &str),
    answer: &str,
) -> Option<i64> {
    let turn = NewTurn {
        question: form.message.trim(),
        answer,
        model: reply.0,
        data_class: reply.1,
    };
    let conversation = form.conversation.trim().parse::<i64>().ok();
    match state
        .store
        .save_chat_turn(cu.user.id, conversation, &turn)
        .await
    {
        Ok(id) => Some(id),
        Err(store::StoreError::Refused(_)) => None,
        Err(e) => {
            tracing::warn!(error = %e, "chat turn not stored");
            None
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ChatForm {
    #[serde(default)]
    model: String,
    #[serde(default)]
    assistant: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    message: String,
    /// A knowledge space to answer from (its id), if any.
    #[serde(default)]
    space: String,
    /// Earlier turns: JSON from the page (no-JS) or the script.
    #[serde(default)]
    history: String,
    /// The stored conversation to continue (only while storage is on).
    #[serde(default)]
    conversation: String,
    /// A shorter answer than the page's default (scripts and tests); never
    /// longer.
    #[serde(default)]
    max_tokens: Option<u32>,
}

/// The conversation for the model: the assistant's instructions, the
/// earlier turns (at most [`MAX_TURNS`]), the new message; and the
/// assistant's data class, if it has one.
async fn conversation(
    state: &AppState,
    cu: &CurrentUser,
    form: &ChatForm,
) -> Result<
    (
        Vec<engine::Message>,
        Vec<Exchange>,
        Option<DataClass>,
        Option<Grounding>,
    ),
    AppError,
> {
    let message = form.message.trim();
    if message.is_empty() {
        return Err(AppError::invalid(
            "message",
            "Bitte geben Sie eine Nachricht ein.",
        ));
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid(
            "message",
            format!("Die Nachricht ist zu lang (höchstens {MAX_MESSAGE_CHARS} Zeichen)."),
        ));
    }
    let history: Vec<Exchange> = if form.history.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(&form.history).map_err(|_| {
            AppError::invalid(
                "history",
                "Der bisherige Verlauf ist beschädigt; bitte neu beginnen.",
            )
        })?
    };
    let mut messages = Vec::new();
    let mut assistant_class = None;
    if let Ok(id) = form.assistant.trim().parse::<i64>() {
        let a = assistants(state)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                AppError::invalid("assistant", "Diesen Assistenten gibt es nicht (mehr).")
            })?;
        messages.push(engine::Message::new("system", &a.system_prompt));
        assistant_class = a
            .data_class
            .as_deref()
            .and_then(|c| DataClass::parse(c).ok());
    }
    for e in history.iter().rev().take(MAX_TURNS).rev() {
        messages.push(engine::Message::new("user", &e.q));
        messages.push(engine::Message::new("assistant", &e.a));
    }
    // Sources from a space go into the user's turn (see `grounding`).
    let grounding = match form.space.trim().parse::<i64>() {
        Ok(id) => Some(ground(state, cu, id, message).await?),
        Err(_) => None,
    };
    let turn = grounding.as_ref().map_or(message, |g| g.user_turn.as_str());
    messages.push(engine::Message::new("user", turn));
    Ok((messages, history, assistant_class, grounding))
}

async fn start(
    state: &AppState,
    cu: &CurrentUser,
    form: &ChatForm,
) -> Result<(gateway::Reply, Vec<Exchange>, String), NotSent> {
    let gw = state
        .gateway()
        .ok_or_else(|| AppError::Unavailable("Es ist kein KI-Modell eingerichtet. Die Administration startet ki-reise mit „serve --model DATEI.gguf“ oder trägt unter „Einstellungen des KI-Gateways“ ein Backend ein.".into()))?;
    let (messages, history, assistant_class, grounding) = conversation(state, cu, form).await?;
    let model = if form.model.trim().is_empty() {
        gw.models()
            .first()
            .map(|m| m.id.clone())
            .unwrap_or_default()
    } else {
        form.model.trim().to_owned()
    };
    // An assistant made for, say, personal data keeps its class even when
    // a lower one is chosen: the stricter of the two decides the routing.
    let chosen = form.class.trim();
    let class = match (DataClass::parse(chosen).ok(), assistant_class) {
        (Some(c), Some(a)) => Some(c.max(a).slug()),
        (None, Some(a)) if chosen.is_empty() => Some(a.slug()),
        _ => Some(chosen).filter(|c| !c.is_empty()),
    };
    // The space's class is a floor as well.
    let class = match (&grounding, class.and_then(|c| DataClass::parse(c).ok())) {
        (Some(g), Some(c)) => Some(c.max(g.class).slug()),
        (Some(g), None) => Some(g.class.slug()),
        (None, _) => class,
    };
    let sources = grounding.map_or_else(String::new, |g| citations_markdown(&g.citations));
    let caller = Caller::user(cu.user.clone());
    // The class the gateway will route by, for the local offer after a
    // refusal: the chosen one raised by what the detector finds.
    let effective = gw
        .data_class(&caller, class)
        .ok()
        .map(|d| Screening::of(d, messages.iter().map(|m| m.content.as_str())).effective);
    let request = GenerateRequest {
        model,
        input: Input::Chat(messages),
        params: Params::factual(
            form.max_tokens
                .map_or(MAX_ANSWER_TOKENS, |n| n.clamp(1, MAX_ANSWER_TOKENS)),
        ),
    };
    let reply = gw.generate(&caller, class, request).await.map_err(|e| {
        let code = e.code;
        let local = effective
            .filter(|_| code == Some("policy_violation"))
            .and_then(|c| local_offer(gw, c));
        let error = match e.status {
            StatusCode::TOO_MANY_REQUESTS => AppError::TooManyRequests(e.message),
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => {
                // The form's field for what the API calls the header.
                let field = match e.param.as_deref() {
                    Some("X-Datenklasse") => "class",
                    Some(p) => p,
                    None => "message",
                };
                AppError::invalid(field, e.message)
            }
            _ => AppError::Unavailable(e.message),
        };
        NotSent { error, code, local }
    })?;
    Ok((reply, history, sources))
}

/// Without JavaScript: the whole answer at once, the page again.
pub async fn send(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<ChatForm>,
) -> Result<Response, PageError> {
    let mut page = chat_page(&state, &cu, (&form.model, &form.assistant, &form.class)).await?;
    for c in &mut page.spaces {
        c.selected = c.value == form.space.trim();
    }
    let mut offer = None;
    let outcome = async {
        let (mut reply, history, sources) = start(&state, &cu, &form).await.map_err(|n| {
            offer = n.local;
            n.error
        })?;
        let mut answer = String::new();
        while let Some(event) = reply.next().await {
            match event {
                Event::Text(t) => answer.push_str(&t),
                // The portal offers the model no tools.
                Event::ToolCall(_) | Event::Logprob(_) => {}
                Event::Done { .. } => break,
                Event::Failed(e) => return Err(AppError::Unavailable(e.message)),
            }
        }
        answer.push_str(&sources);
        let kept = keep(
            &state,
            &cu,
            &form,
            (&reply.model, reply.class.slug()),
            &answer,
        )
        .await;
        let notice = state
            .gateway()
            .map(|gw| notice(gw, &reply))
            .unwrap_or_default();
        Ok::<_, AppError>((history, answer, kept, notice))
    }
    .await;
    match outcome {
        Ok((mut history, answer, kept, notice)) => {
            page.notice = notice;
            history.push(Exchange {
                q: form.message.trim().to_owned(),
                a: answer,
            });
            show_turns(&mut page, &history);
            page.conversation = kept.map(|id| id.to_string()).unwrap_or_default();
            if kept.is_some() {
                page.stored = stored(&state, &cu).await?;
            }
            render(&page)
        }
        Err(AppError::Invalid { field, message }) => {
            let field = field.unwrap_or_else(|| "message".into());
            // Only these two fields show their error beside them; any other
            // (model, assistant) is named at the top so it is never lost.
            if !matches!(field.as_str(), "class" | "message" | "space") {
                page.form_error = message.clone();
            }
            page.errors.insert(field, message);
            page.offer = offer;
            page.resend_assistant = form.assistant.clone();
            page.resend_class = form.class.clone();
            page.message = form.message.clone();
            page.history = form.history.clone();
            page.conversation = form.conversation.clone();
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => {
            page.form_error = e.to_string();
            page.message = form.message.clone();
            page.history = form.history.clone();
            page.conversation = form.conversation.clone();
            let status = e.status();
            let mut response = render(&page)?;
            *response.status_mut() = status;
            Ok(response)
        }
    }
}

fn sse_json(value: serde_json::Value) -> Result<SseEvent, Infallible> {
    Ok(SseEvent::default().data(value.to_string()))
}

/// With JavaScript: the answer as server-sent events — `{"text": …}` pieces,
/// then `{"done": true, "html": …}` (sanitised) or `{"error": …}`. Closing
/// the connection frees the model's slot at once.
pub async fn stream(State(state): State<AppState>, cu: CurrentUser, body: Bytes) -> Response {
    let form: ChatForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(e) => {
            return crate::error::ApiError(AppError::invalid(
                "message",
                format!("Ungültige Anfrage: {e}"),
            ))
            .into_response()
        }
    };
    let (mut reply, _, sources) = match start(&state, &cu, &form).await {
        Ok(r) => r,
        Err(n) => return not_sent(n),
    };
    let notice = state
        .gateway()
        .map(|gw| notice(gw, &reply))
        .unwrap_or_default();
    let events = async_stream(move |tx| async move {
        if !notice.is_empty() {
            let _ = tx
                .send(sse_json(serde_json::json!({ "notice": notice })))
                .await;
        }
        let mut answer = String::new();
        while let Some(event) = reply.next().await {
            let item = match event {
                Event::Text(t) => {
                    answer.push_str(&t);
                    serde_json::json!({ "text": t })
                }
                Event::Done { .. } => {
                    if !sources.is_empty() {
                        answer.push_str(&sources);
                        let _ = tx
                            .send(sse_json(serde_json::json!({ "text": sources })))
                            .await;
                    }
                    let kept = keep(
                        &state,
                        &cu,
                        &form,
                        (&reply.model, reply.class.slug()),
                        &answer,
                    )
                    .await;
                    let _ = tx
                        .send(sse_json(serde_json::json!({
                            "done": true,
                            "html": documents::markdown::to_html_fragment(&answer),
                            "conversation": kept,
                        })))
                        .await;
                    break;
                }
                Event::Failed(e) => serde_json::json!({ "error": e.message }),
                // The portal offers the model no tools.
                Event::ToolCall(_) | Event::Logprob(_) => continue,
            };
            if tx.send(sse_json(item)).await.is_err() {
                break;
            }
        }
    });
    (
        [(header::CACHE_CONTROL, "no-store")],
        Sse::new(events).keep_alive(KeepAlive::default()),
    )
        .into_response()
}

/// A stream fed by a task through a small channel; when the client goes
/// away the receiver is dropped, the task's send fails and the reply (and
/// with it the model's slot) is dropped.
fn async_stream<F, Fut>(
    produce: F,
) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<SseEvent, Infallible>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(produce(tx));
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}
