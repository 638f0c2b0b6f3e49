//! Forms as a town hall uses them in its first days (issue 19.11, 19.15):
//! a refused input is said in German beside its field on the same form,
//! with what was typed kept (422), never on the error page; a POST that
//! made something leads (303) to a page that can be reloaded without
//! making it again; whoever is not signed in finds a way on from an error.

mod common;

use common::{day_one, extract_between, login, unescape, Backend, Browser};

/// The project team hands out a running survey: links, paper answers and
/// the answering period.
async fn survey_distribution(server: &common::TestServer) {
    let survey = common::default_survey(&server.store).await;
    let id = survey.id;
    let path = format!("/umfrage/{id}");
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    pia.get(&path).await;
    let p = pia.post_and_follow(&format!("{path}/oeffnen"), &[]).await;
    assert!(p.body.contains("Die Umfrage läuft"), "{}", p.body);

    // Personal links: shown on the page after the redirect, again on reload,
    // and as the same CSV file however often it is fetched.
    let p = pia.post_and_follow(&format!("{path}/links"), &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let shown = extract_between(&p.body, "id=\"participation-links\"", "</table>").unwrap();
    let links = shown.matches("<td class=\"key\">").count();
    assert_eq!(links, 3, "Ada, Pia and Sam: {shown}");
    let invited = server.store.participation(&survey).await.unwrap().invited;
    let reload = pia.get(p.location.as_deref().unwrap()).await;
    assert_eq!(
        extract_between(&reload.body, "id=\"participation-links\"", "</table>").unwrap(),
        shown
    );
    let key = extract_between(&p.body, "/links.csv?neu=", "\"").expect("a link to the CSV file");
    let csv_path = format!("{path}/links.csv?neu={}", unescape(&key));
    let first = pia.get(&csv_path).await.body;
    assert!(first.starts_with("name,email,link\r\n"), "{first}");
    assert_eq!(first.lines().count(), 4);
    assert_eq!(pia.get(&csv_path).await.body, first);
    // "… und als CSV herunterladen" leads to such a file, too.
    let p = pia
        .post(&format!("{path}/links"), &[("format", "csv")])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(p.location.as_deref().unwrap().contains("/links.csv?neu="));
    assert_eq!(
        server.store.participation(&survey).await.unwrap().invited,
        invited,
        "the links of the second POST replace the first ones"
    );

    // A period that ends before it starts is said beside the dates, as typed.
    let p = pia
        .post(
            &format!("{path}/zeitraum"),
            &[
                ("answer_from", "2027-02-01"),
                ("answer_until", "2027-01-01"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"period-error\""), "{}", p.body);
    assert!(p.body.contains("Der letzte Tag liegt vor dem ersten"));
    assert!(p.body.contains("value=\"2027-02-01\""), "{}", p.body);
    assert!(!p.body.contains("Eingabe nicht möglich"));
    let p = pia
        .post_and_follow(
            &format!("{path}/zeitraum"),
            &[("answer_from", ""), ("answer_until", "")],
        )
        .await;
    assert!(
        p.body.contains("Der Zeitraum ist gespeichert."),
        "{}",
        p.body
    );

    // A paper answer: stored once, whatever the reload.
    let entry = format!("{path}/papier/erfassen");
    pia.get(&entry).await;
    let p = pia.post_and_follow(&entry, &[]).await;
    assert!(p.body.contains("Papierantwort gespeichert"), "{}", p.body);
    assert_eq!(server.store.survey_responses(id).await.unwrap().len(), 1);
    let again = pia.get(p.location.as_deref().unwrap()).await;
    assert_eq!(again.status, 200);
    assert_eq!(server.store.survey_responses(id).await.unwrap().len(), 1);

    // Closing leads to the page that says so.
    let p = pia
        .post_and_follow(&format!("{path}/schliessen"), &[("confirm", "ja")])
        .await;
    assert!(
        p.body.contains("Die Umfrage ist abgeschlossen"),
        "{}",
        p.body
    );
}

/// The user CSV import leads to a page with the invitation links; a reload
/// imports nobody twice.
async fn user_import(server: &common::TestServer) {
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    ada.get("/benutzer/import").await;
    let csv = "name,email,department,role\nVera Viewer,vera@musterstadt.de,Kämmerei,viewer\nKaputt,keine-mail,Kämmerei,staff\n";
    let p = ada
        .post_and_follow("/benutzer/import", &[("csv", csv), ("mode", "valid")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("1 Person importiert."), "{}", p.body);
    assert!(p.body.contains("vera@musterstadt.de"));
    assert!(p.body.contains("/einladung/"), "{}", p.body);
    assert!(p.body.contains("Nicht importiert: 1 fehlerhafte Zeilen"));
    assert!(p.body.contains("Zeile 3"));
    let users = server.store.users().await.unwrap().len();
    let again = ada.get(p.location.as_deref().unwrap()).await;
    assert!(again.body.contains("vera@musterstadt.de"));
    assert_eq!(server.store.users().await.unwrap().len(), users);
}

/// The planner reads the names it shows, and says per line what it does
/// not know; the survey choice is checked beside its field.
async fn planner(server: &common::TestServer) {
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    pia.get("/qualifizierung/planung").await;
    let csv = "Fachbereich;Rolle;Anzahl;KI-Grundlagen;recht & ethik\n jugendamt ;alle beschäftigten;5;1;2\n";
    let p = pia.post("/qualifizierung/planung", &[("csv", csv)]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let cohorts = server.store.cohorts().await.unwrap();
    assert_eq!(cohorts.len(), 1);
    assert_eq!(cohorts[0].department, "Jugendamt");
    assert_eq!(cohorts[0].role, "alle");
    assert_eq!(cohorts[0].levels.get("recht_und_ethik"), Some(&2));
    let shown = extract_between(&p.body, "<textarea id=\"csv\"", "</textarea>").unwrap();
    assert!(shown.contains("Alle Beschäftigten"), "{shown}");
    assert!(shown.contains("KI-Grundlagen"), "{shown}");
    assert!(
        !shown.contains("ki_verstehen") && !shown.contains(";alle;"),
        "no internal ids: {shown}"
    );

    let bad = "Fachbereich;Rolle;Anzahl;KI-Grundlagen\nJugendamt;Hausmeisterei;5;1\nStandesamt;Alle Beschäftigten;2;1\n";
    let p = pia.post("/qualifizierung/planung", &[("csv", bad)]).await;
    assert_eq!(p.status, 422, "{}", p.body);
    let error = extract_between(&p.body, "id=\"csv-error\"", "</div>").expect("beside the field");
    assert!(
        error.contains("Zeile 2: Die Rolle „Hausmeisterei“ gibt es nicht"),
        "{error}"
    );
    assert!(
        error.contains("Zeile 3: Den Fachbereich „Standesamt“ gibt es im Profil der Kommune nicht"),
        "{error}"
    );
    assert!(p.body.contains("Hausmeisterei;5;1"), "the input is kept");
    assert_eq!(server.store.cohorts().await.unwrap().len(), 1);

    let p = pia
        .post("/qualifizierung/planung/umfrage", &[("survey", "keine")])
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"survey-error\""), "{}", p.body);
    assert!(!p.body.contains("Eingabe nicht möglich"));
}

/// A credential for a learning path that does not exist is refused beside
/// the field, with the person still chosen.
async fn credentials(server: &common::TestServer) {
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    pia.get("/qualifizierung/nachweise").await;
    let sam = server
        .store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let p = pia
        .post(
            "/qualifizierung/nachweise",
            &[("user_id", &sam), ("path", "gibt_es_nicht")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"path-error\""), "{}", p.body);
    assert!(p.body.contains("Diesen Lernpfad gibt es nicht"));
    assert!(!p.body.contains("gibt_es_nicht"), "no ids in the message");
    assert!(
        p.body
            .contains(&format!("<option value=\"{sam}\" selected>")),
        "{}",
        p.body
    );
    let p = pia
        .post(
            "/qualifizierung/nachweise",
            &[("user_id", "niemand"), ("path", "x")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"user_id-error\""), "{}", p.body);
}

/// An answer the decision tree does not know (a page from before the tree
/// changed) is asked again, with the message beside the question.
async fn classification(server: &common::TestServer) {
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    ada.get("/anwendungsfaelle/neu").await;
    let p = ada
        .post(
            "/anwendungsfaelle/neu",
            &[
                ("title", "Bescheide vorformulieren"),
                ("problem", "Viel Handarbeit"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let id = p
        .location
        .unwrap()
        .trim_start_matches("/anwendungsfaelle/")
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_string();
    let path = format!("/anwendungsfaelle/{id}/einstufung");
    let p = ada.get(&path).await;
    let current = extract_between(&p.body, "name=\"current\" value=\"", "\"").unwrap();
    let field = format!("a.{current}");
    let p = ada
        .post(
            &path,
            &[
                (field.as_str(), "vielleicht"),
                ("current", current.as_str()),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"antwort-error\""), "{}", p.body);
    assert!(p
        .body
        .contains("Diese Antwort ist bei dieser Frage nicht vorgesehen"));
    assert!(!p.body.contains("Eingabe nicht möglich"));
    let p = ada.post(&path, &[("save", "1")]).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("Bitte beantworten Sie erst diese Frage"));
}

/// Error pages and survey notices give a visitor without an account a way
/// on; the stylesheet lets `hidden` hide buttons; the catalogue's scroll
/// box can be reached by keyboard.
async fn ways_on(server: &common::TestServer) {
    let mut visitor = Browser::new(&server.base);
    let p = visitor.get("/teilnahme/gibt-es-nicht").await;
    assert!(p.status >= 400, "{}", p.body);
    assert!(p.body.contains("href=\"/teilnahme\""), "{}", p.body);
    assert!(p.body.contains("href=\"/anmelden\""), "{}", p.body);
    let p = visitor.get("/keine-seite").await;
    assert_eq!(p.status, 404, "{}", p.body);
    assert!(p.body.contains("href=\"/anmelden\""), "{}", p.body);
    assert!(p.body.contains("href=\"/teilnahme\""), "{}", p.body);

    let css = visitor.get("/static/app.css").await.body;
    assert!(
        css.contains("[hidden] { display: none !important; }"),
        "hidden wins over button's inline-block"
    );
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    pia.post("/qualifizierung/musterkatalog", &[]).await;
    let p = pia.get("/qualifizierung").await;
    assert!(
        p.body.contains(
            "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"Lernangebote im Katalog"
        ),
        "{}",
        p.body
    );
}

async fn story(backend: Backend) {
    let server = day_one(backend).await;
    survey_distribution(&server).await;
    user_import(&server).await;
    planner(&server).await;
    credentials(&server).await;
    classification(&server).await;
    ways_on(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_answer_beside_the_field_and_redirect_after_post_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_answer_beside_the_field_and_redirect_after_post_on_postgres() {
    story(Backend::Postgres).await;
}
