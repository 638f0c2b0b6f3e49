//! `ki-reise bench survey`: how many complete survey answers the portal
//! takes per second over HTTP, and whether every acknowledged one is
//! stored. It sets up its own survey (default questionnaire, one printed
//! code per submission) in the given database, serves the portal in this
//! process on 127.0.0.1, lets `--clients` sessions submit through the JSON
//! API at once, and counts the stored answers afterwards.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use journey::survey::{self, QuestionKind, Questionnaire, SurveyContext};
use store::survey::NewSurvey;
use store::{Actor, Store};

use crate::CliError;

#[derive(Debug, Args)]
pub struct SurveyArgs {
    /// Zahl der gleichzeitigen Teilnehmenden (Sitzungen).
    #[arg(long, default_value_t = 200)]
    pub clients: usize,
    /// Zahl der abgeschickten Antworten (je eine mit eigenem Code).
    #[arg(long, default_value_t = 10_000)]
    pub submissions: usize,
    /// Datenbank (sqlite://… oder postgres://…); ohne Angabe eine neue
    /// SQLite-Datei in einem temporären Ordner.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Ein schon laufendes Portal auf derselben Datenbank statt des
    /// eingebauten (für den Test mit kill -9, scripts/survey-kill9.sh).
    #[arg(long, requires = "database_url")]
    pub url: Option<String>,
}

/// A complete, valid answer to `q`: the first option, the middle of each
/// scale, the smallest allowed number, a short text; questions shown only
/// under a condition are left out.
pub fn complete_answer(q: &Questionnaire) -> Result<survey::response::ResponseInput, CliError> {
    use serde_json::Value;
    let mut input = survey::response::ResponseInput::new();
    for (_, question) in q.questions() {
        if question.show_if.is_some() {
            continue;
        }
        let middle = |scale: &[survey::ScalePoint]| scale[scale.len() / 2].value.to_string();
        let value = match &question.kind {
            QuestionKind::SingleChoice { options } => Value::String(
                options
                    .list
                    .first()
                    .map(|o| o.id.clone())
                    .unwrap_or_default(),
            ),
            QuestionKind::MultipleChoice { options, .. } => Value::Array(
                options
                    .list
                    .iter()
                    .find(|o| !o.exclusive)
                    .map(|o| Value::String(o.id.clone()))
                    .into_iter()
                    .collect(),
            ),
            QuestionKind::Likert { scale } => Value::String(middle(scale)),
            QuestionKind::LikertMatrix { items, scale } => Value::Object(
                items
                    .list
                    .iter()
                    .map(|i| (i.id.clone(), Value::String(middle(scale))))
                    .collect(),
            ),
            QuestionKind::Number { min, .. } => Value::String(min.unwrap_or(1.0).to_string()),
            QuestionKind::Text { .. } => Value::String("Lasttest".into()),
        };
        input.insert(question.id.clone(), value);
    }
    survey::validate_response(q, &input, survey::Completeness::Complete).map_err(|errors| {
        CliError(format!(
            "Die Testantwort passt nicht zum Fragebogen: {}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok(input)
}

/// A municipality with a few departments, so that the questionnaire's
/// department question has options to answer.
fn bench_profile() -> journey::profile::Profile {
    journey::profile::Profile {
        name: "Lasttest-Stadt".into(),
        staff_count: 1000,
        departments: ["Bürgerservice", "Jugendamt", "Kämmerei", "Bauamt"]
            .iter()
            .map(|name| journey::profile::Department {
                name: (*name).to_string(),
                staff_count: 250,
            })
            .collect(),
        ..journey::profile::Profile::default()
    }
}

/// An open survey with `codes` one-time codes.
async fn prepare(store: &Store, codes: usize) -> Result<(i64, Vec<String>, String), CliError> {
    let model = journey::competency::CompetencyModel::default_model()
        .map_err(|e| CliError(e.to_string()))?;
    let q = survey::default_questionnaire()
        .map_err(|e| CliError(e.to_string()))?
        .resolve(&SurveyContext::from_profile(&bench_profile(), &model));
    let json = serde_json::to_string(&q).map_err(|e| CliError(e.to_string()))?;
    let actor = Actor::system();
    let created = store
        .create_survey(
            &actor,
            &NewSurvey {
                title: "Lasttest Bestandsaufnahme".into(),
                questionnaire: json.clone(),
                import_report: String::new(),
                min_group_size: 5,
            },
        )
        .await?;
    store.open_survey(&actor, created.id, &json).await?;
    let mut all = Vec::with_capacity(codes);
    // In batches, so that no single transaction grows without bound.
    while all.len() < codes {
        let n = (codes - all.len()).min(2000);
        all.extend(store.create_survey_codes(&actor, created.id, n).await?);
    }
    let body = serde_json::to_string(&complete_answer(&q)?).map_err(|e| CliError(e.to_string()))?;
    Ok((created.id, all, body))
}

/// Serves the portal in this process on a free port; returns its address.
async fn serve_here(store: &Store) -> Result<String, CliError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| CliError(e.to_string()))?
    );
    let state = portal::AppState::new(
        store.clone(),
        portal::PortalConfig {
            public_url: base.clone(),
            ..portal::PortalConfig::default()
        },
        journey::plan::Plan::default_plan(),
    );
    tokio::spawn(portal::launch(listener, state, std::future::pending()));
    Ok(base)
}

pub async fn run(args: SurveyArgs) -> Result<(), CliError> {
    let temp = std::env::temp_dir().join(format!("ki-reise-bench-survey-{}", std::process::id()));
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&temp).map_err(|e| CliError(e.to_string()))?;
            format!("sqlite://{}", temp.join("bench.db").display())
        }
    };
    let store = Store::connect(&url).await?;
    let submissions = args.submissions.max(1);
    eprintln!("Bereite {submissions} Teilnahmecodes vor …");
    let (survey_id, codes, body) = prepare(&store, submissions).await?;
    let before = store.survey_responses(survey_id).await?.len();

    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => serve_here(&store).await?,
    };

    let clients = args.clients.clamp(1, submissions);
    let mut sessions = Vec::with_capacity(clients);
    // The answer page opens a session without login and uses up nothing.
    let page = format!("/teilnahme/{}", codes[0]);
    for _ in 0..clients {
        sessions.push(crate::bench_portal::session(&base, &page).await?);
    }
    eprintln!("{clients} Teilnehmende schicken {submissions} Antworten …");
    let codes = Arc::new(codes);
    let body = Arc::new(body);
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for (client, csrf) in sessions {
        let (codes, body, next) = (codes.clone(), body.clone(), next.clone());
        let (acknowledged, refused, base) = (acknowledged.clone(), refused.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(code) = codes.get(i) else { break };
                let sent = client
                    .post(format!("{base}/api/v1/participation/{code}"))
                    .header("content-type", "application/json")
                    .header("x-csrf-token", &csrf)
                    .body(body.as_str().to_owned())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        acknowledged.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| CliError(e.to_string()))?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let acknowledged = acknowledged.load(Ordering::Relaxed);
    let stored = store.survey_responses(survey_id).await?.len() - before;
    let lost = submissions.saturating_sub(stored);
    if refused.load(Ordering::Relaxed) > 0 {
        eprintln!(
            "{} Antworten wurden abgelehnt oder nicht beantwortet.",
            refused.load(Ordering::Relaxed)
        );
    }
    // The durability check reads this line: every acknowledged answer must
    // be stored, even when the server was killed during the run.
    println!(
        "acknowledged {acknowledged}, stored {stored}, acknowledged but not stored {}",
        acknowledged.saturating_sub(stored as u64)
    );
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    println!(
        "survey: {:.0} submissions/s, lost {lost} of {submissions}",
        acknowledged as f64 / elapsed.max(1e-9)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_test_answer_is_complete_for_the_default_questionnaire() {
        let model = journey::competency::CompetencyModel::default_model().unwrap();
        let q = survey::default_questionnaire()
            .unwrap()
            .resolve(&SurveyContext::from_profile(&bench_profile(), &model));
        let input = complete_answer(&q).unwrap();
        assert!(input.len() > 5);
        assert!(input.contains_key(&q.department_question().unwrap().id));
    }
}
