//! Paper codes as a town hall uses them: the project team prints slips and
//! downloads the same codes for a mail merge; someone without an account
//! types the short address and the code as printed and answers.

mod common;

use common::{day_one, login, shown_codes, unescape, Backend, Browser};
use journey::survey::QuestionKind;

/// A complete answer from the first department, conditional questions skipped.
fn answer(q: &journey::survey::Questionnaire) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (_, question) in q.questions() {
        if question.show_if.is_some() {
            continue;
        }
        let id = question.id.clone();
        match &question.kind {
            _ if id == "nutzung_haeufigkeit" => out.push((id, "nie".into())),
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => {
                out.push((id, options.list[0].id.clone()))
            }
            QuestionKind::Likert { scale } => out.push((id, scale[3].value.to_string())),
            QuestionKind::LikertMatrix { items, scale } => {
                for item in &items.list {
                    out.push((format!("{id}.{}", item.id), scale[1].value.to_string()));
                }
            }
            QuestionKind::Number { .. } => out.push((id, "2".into())),
            QuestionKind::Text { .. } => {}
        }
    }
    out
}

async fn story(backend: Backend) {
    let server = day_one(backend).await;
    let survey = common::default_survey(&server.store).await;
    let id = survey.id;
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    let path = format!("/umfrage/{id}");
    pia.get(&path).await;
    assert_eq!(pia.post(&format!("{path}/oeffnen"), &[]).await.status, 303);

    // A count that is no number is said beside the field, as typed, and
    // makes no codes.
    let p = pia
        .post(&format!("{path}/codes"), &[("count", "zwanzig")])
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"count-error\""), "{}", p.body);
    assert!(p
        .body
        .contains("Bitte eine ganze Zahl von 1 bis 2000 angeben"));
    assert!(p.body.contains("value=\"zwanzig\""), "{}", p.body);
    assert!(!p.body.contains("Eingabe nicht möglich"));
    assert_eq!(server.store.survey(id).await.unwrap().codes_issued, 0);

    // Creating is a POST that leads (303) to the page with slips that carry
    // the full public address.
    let p = pia
        .post_and_follow(&format!("{path}/codes"), &[("count", "3")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let codes = shown_codes(&p.body);
    assert_eq!(codes.len(), 3, "{}", p.body);
    // Reloading that page shows the same codes and makes none.
    let again = pia.get(p.location.as_deref().unwrap()).await;
    assert_eq!(shown_codes(&again.body), codes);
    assert_eq!(server.store.survey(id).await.unwrap().codes_issued, 3);
    // Another account cannot read them through the address.
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let theirs = ada.get(p.location.as_deref().unwrap()).await;
    assert!(shown_codes(&theirs.body).is_empty());
    let address = format!("{}/teilnahme", server.base);
    let slips = unescape(&p.body);
    // The address may break after a slash (<wbr>), nowhere else.
    let printed = slips.replace("<wbr>", "");
    assert_eq!(
        printed
            .matches(&format!("<span class=\"slip-address\">{address}</span>"))
            .count(),
        3,
        "every slip carries the full address: {slips}"
    );
    assert!(!slips.contains("Adresse /umfrage"));
    let issued = server.store.survey(id).await.unwrap().codes_issued;

    // Downloading is a GET of the codes shown: twice the same file, nothing new.
    let query: Vec<(&str, &str)> = codes.iter().map(|c| ("code", c.as_str())).collect();
    let mut files = Vec::new();
    for _ in 0..2 {
        let r = pia
            .client
            .get(format!("{}{path}/codes.csv", server.base))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        files.push(r.text().await.unwrap());
    }
    assert_eq!(files[0], files[1]);
    let rows: Vec<&str> = files[0].lines().collect();
    assert_eq!(rows[0], "umfrage,code,adresse");
    assert_eq!(rows.len(), 4, "{}", files[0]);
    for (row, code) in rows[1..].iter().zip(&codes) {
        assert_eq!(*row, format!("Bestandsaufnahme,{code},{address}"));
    }
    assert_eq!(server.store.survey(id).await.unwrap().codes_issued, issued);
    // Something that is not one of our codes is refused, not written.
    let r = pia
        .client
        .get(format!("{}{path}/codes.csv?code=%3Dcmd%7C", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Someone without an account: /umfrage leads to the code page, not to the login.
    let mut paper = Browser::new(&server.base);
    let p = paper.get("/umfrage").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/teilnahme"));
    let p = paper.get("/teilnahme").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Code von Ihrem Zettel"));
    // A wrong code is said beside the field, with what was typed kept.
    let p = paper.get("/teilnahme?code=abcd-efgh-jkmn").await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"code-error\""), "{}", p.body);
    assert!(p.body.contains("value=\"abcd-efgh-jkmn\""));
    // The code as printed, in lower case with dashes, leads to the answer form.
    let typed = codes[0].to_lowercase();
    let p = paper.get(&format!("/teilnahme?code={typed}")).await;
    let form = p.location.expect("the code leads to the answer form");
    let p = paper.get(&form).await;
    assert_eq!(p.status, 200, "{}", p.body);
    // The questionnaire as opened: departments from the profile filled in.
    let stored = server.store.survey(id).await.unwrap();
    let q: journey::survey::Questionnaire = serde_json::from_str(&stored.questionnaire).unwrap();
    let pairs = answer(&q);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = paper.post(&form, &refs).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Vielen Dank"));
    assert_eq!(server.store.survey_responses(id).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_codes_work_without_an_account_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_codes_work_without_an_account_on_postgres() {
    story(Backend::Postgres).await;
}
