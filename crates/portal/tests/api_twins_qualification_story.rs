//! API twins of the qualification pages' actions, used as a program
//! would: the sample catalogue taken and a catalogue imported, an offer
//! archived, a partner kept, a session added and an enrolment cancelled, a
//! credential issued and checked, people's role profiles and
//! the profiles' target levels set. Each refusal is the documented JSON
//! error, and a role the page refuses gets 403.

mod common;

use common::{ApiClient, Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn client(server: &TestServer, email: &str) -> ApiClient {
    let user = server.store.user_by_email(email).await.unwrap().unwrap();
    ApiClient::for_user(server, &user).await
}

async fn user_id(server: &TestServer, email: &str) -> i64 {
    server.store.user_by_email(email).await.unwrap().unwrap().id
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn catalogue(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let sam = client(server, "sam@musterstadt.de").await;
    let sample = "/api/v1/qualification/catalogue/sample";
    let (status, first) = pia.send(Method::POST, sample, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, again) = pia.send(Method::POST, sample, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["added"], json!([]), "taken once: {again}");
    assert!(
        again["message"].as_str().unwrap().contains("0 neu"),
        "{again}"
    );
    assert_eq!(
        sam.send(Method::POST, sample, json!({})).await.0,
        StatusCode::FORBIDDEN
    );

    // Import: an offer as the export writes it, under a new id and URL.
    let (_, offer) = pia.get("/api/v1/qualification/offers/building_ai").await;
    let mut offer = offer["offer"].clone();
    offer["id"] = json!("ki_lotsen_kreis");
    offer["url"] = json!("https://kreis.example/ki-lotsen");
    let import = "/api/v1/qualification/catalogue/import";
    let text = json!({"offers": [offer]}).to_string();
    let (status, report) = pia
        .send(
            Method::POST,
            import,
            json!({"format": "json", "text": text}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["added"], json!(["Lernangebot ki_lotsen_kreis"]));
    let (status, broken) = pia
        .send(
            Method::POST,
            import,
            json!({"format": "json", "text": "{kaputt"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{broken}");
    assert_eq!(field(&broken), "text");
    let (status, xml) = pia
        .send(
            Method::POST,
            import,
            json!({"format": "xml", "text": "<a/>"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{xml}");
    assert_eq!(field(&xml), "format");
    let (status, _) = sam
        .send(
            Method::POST,
            import,
            json!({"format": "json", "text": text}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Archive: a step of a learning path stays; another offer goes, once.
    let (_, in_path) = pia.get("/api/v1/qualification/offers/elements_of_ai").await;
    let (status, refused) = pia
        .send(
            Method::PUT,
            "/api/v1/qualification/offers/elements_of_ai/archived",
            json!({"archived": true, "version": in_path["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Lernpfade"),
        "{refused}"
    );
    let archived = "/api/v1/qualification/offers/ki_lotsen_kreis/archived";
    let (_, current) = pia
        .get("/api/v1/qualification/offers/ki_lotsen_kreis")
        .await;
    let body = json!({"archived": true, "version": current["version"]});
    let (status, done) = pia.send(Method::PUT, archived, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["archived"], true);
    assert_eq!(
        pia.send(Method::PUT, archived, body.clone()).await.0,
        StatusCode::CONFLICT,
        "the version moved on"
    );
    let (status, bad) = pia
        .send(
            Method::PUT,
            archived,
            json!({"archived": "ja", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "archived");
    assert_eq!(
        sam.send(Method::PUT, archived, body).await.0,
        StatusCode::FORBIDDEN
    );

    // Partners: created under their id, refused with the field to blame.
    let partner = "/api/v1/qualification/partners/kvhs";
    let (status, saved) = pia
        .send(
            Method::PUT,
            partner,
            json!({"name": "Kreisvolkshochschule", "kind": "volkshochschule",
                   "status": "angefragt", "url": "https://kvhs.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["id"], "kvhs");
    let (_, all) = pia.get("/api/v1/qualification/partners").await;
    assert!(
        all.as_array().unwrap().iter().any(|p| p["id"] == "kvhs"
            && p["status"] == "angefragt"
            && p["name"] == "Kreisvolkshochschule"),
        "{all}"
    );
    for (body, blamed) in [
        (
            json!({"name": "X", "kind": "volkshochschule", "status": "idee", "url": "ftp://x"}),
            "url",
        ),
        (
            json!({"name": " ", "kind": "land", "status": "idee"}),
            "name",
        ),
        (
            json!({"name": "X", "kind": "zoo", "status": "idee"}),
            "kind",
        ),
    ] {
        let (status, bad) = pia.send(Method::PUT, partner, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(field(&bad), blamed, "{bad}");
    }
    let (status, bad) = pia
        .send(
            Method::PUT,
            "/api/v1/qualification/partners/kein%20Kennzeichen",
            json!({"name": "X", "kind": "land", "status": "idee"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "id");
    let (status, _) = sam
        .send(
            Method::PUT,
            partner,
            json!({"name": "X", "kind": "land", "status": "idee"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn trainings(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let sam = client(server, "sam@musterstadt.de").await;
    let (sam_id, ada_id) = (
        user_id(server, "sam@musterstadt.de").await,
        user_id(server, "ada@musterstadt.de").await,
    );
    let sessions = "/api/v1/qualification/sessions";
    let session = json!({"offer": "intern_dienstanweisung", "title": "KI im Dienst",
        "starts_at": "2027-01-20T09:00", "ends_at": "2027-01-20T12:00",
        "place": "Rathaus, Saal 2", "capacity": 1});
    let (status, created) = pia.send(Method::POST, sessions, session.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["capacity"], 1);
    assert_eq!(created["seats_taken"], 0);
    let id = created["id"].as_str().unwrap().to_owned();
    let mut early = session.clone();
    early["ends_at"] = json!("2027-01-20T08:00");
    let (status, bad) = pia.send(Method::POST, sessions, early).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "ends_at");
    let mut gone = session.clone();
    gone["offer"] = json!("ki_lotsen_kreis");
    let (status, bad) = pia.send(Method::POST, sessions, gone).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "offer", "archived offers get no sessions");
    assert_eq!(
        sam.send(Method::POST, sessions, session).await.0,
        StatusCode::FORBIDDEN
    );

    // Sam takes the one seat, Ada waits; Sam cancels and Ada moves up.
    let enrolments = format!("{sessions}/{id}/enrolments");
    let (_, enrolled) = sam.send(Method::POST, &enrolments, json!({})).await;
    assert_eq!(enrolled["status"], "enrolled", "{enrolled}");
    let (_, waiting) = pia
        .send(Method::POST, &enrolments, json!({"user_id": ada_id}))
        .await;
    assert_eq!(waiting["status"], "waiting_list", "{waiting}");
    let others = sam
        .request(Method::DELETE, &format!("{enrolments}/{ada_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        others.status(),
        StatusCode::FORBIDDEN,
        "not Sam's to cancel"
    );
    let (status, cancelled) = sam
        .send(Method::DELETE, &format!("{enrolments}/{sam_id}"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["promoted_user_id"], ada_id);
    // Cancelled again: nothing changes, nobody moves up.
    let (status, twice) = sam
        .send(Method::DELETE, &format!("{enrolments}/{sam_id}"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{twice}");
    assert!(twice["promoted_user_id"].is_null(), "{twice}");
    let unknown = sam
        .request(
            Method::DELETE,
            &format!("{sessions}/t-gibtsnicht/enrolments/{sam_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

async fn credentials(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let sam = client(server, "sam@musterstadt.de").await;
    let sam_id = user_id(server, "sam@musterstadt.de").await;
    let credentials = "/api/v1/qualification/credentials";
    let (status, open) = pia
        .send(
            Method::POST,
            credentials,
            json!({"user_id": sam_id, "path": "grundlagen_alle"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{open}");
    assert_eq!(field(&open), "path", "the steps are still open");
    for offer in ["elements_of_ai", "intern_dienstanweisung"] {
        let (status, done) = pia
            .send(
                Method::POST,
                "/api/v1/qualification/completions",
                json!({"offer": offer, "completed_on": "2026-11-02", "user_id": sam_id}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
    }
    let (status, issued) = pia
        .send(
            Method::POST,
            credentials,
            json!({"user_id": sam_id, "path": "grundlagen_alle"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["user_id"], sam_id);
    assert_eq!(issued["path_id"], "grundlagen_alle");
    let (status, nobody) = pia
        .send(
            Method::POST,
            credentials,
            json!({"user_id": 987654, "path": "grundlagen_alle"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{nobody}");
    assert_eq!(field(&nobody), "user_id");
    let (status, _) = sam
        .send(
            Method::POST,
            credentials,
            json!({"user_id": sam_id, "path": "grundlagen_alle"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The check is public as on the page: any key, whatever its role.
    let verify = "/api/v1/qualification/credentials/verify";
    let (status, checked) = sam
        .send(Method::POST, verify, issued["badge"].clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["valid"], true, "{checked}");
    let mut tampered = issued["badge"].clone();
    tampered["name"] = json!("Etwas anderes");
    let (_, checked) = sam.send(Method::POST, verify, tampered).await;
    assert_eq!(checked["valid"], false, "{checked}");
}

async fn profiles(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let sam = client(server, "sam@musterstadt.de").await;
    let sam_id = user_id(server, "sam@musterstadt.de").await;

    // People: Sam gets the IT profile from level 2 in one area.
    let people = "/api/v1/qualification/people";
    let entry = json!({"user_id": sam_id, "role_profile": "it",
                       "start_levels": {"ki_verstehen": 2}});
    let (status, changed) = pia
        .send(Method::PUT, people, json!({"people": [entry]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["changed"], 1);
    let (_, listed) = pia.get(people).await;
    let sams = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == sam_id)
        .unwrap();
    assert_eq!(sams["role_profile"], "it");
    assert_eq!(sams["start_levels"], json!({"ki_verstehen": 2}));
    for (person, blamed) in [
        (
            json!({"user_id": sam_id, "role_profile": "zauberer"}),
            "people[0].role_profile",
        ),
        (
            json!({"user_id": sam_id, "role_profile": "it", "start_levels": {"ki_verstehen": 9}}),
            "people[0].start_levels.ki_verstehen",
        ),
        (
            json!({"user_id": 987654, "role_profile": "it"}),
            "people[0].user_id",
        ),
    ] {
        let (status, bad) = pia
            .send(Method::PUT, people, json!({"people": [person]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(field(&bad), blamed, "{bad}");
    }
    let (status, _) = sam
        .send(Method::PUT, people, json!({"people": [entry]}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Role profiles: a target raised, one below the baseline refused, and
    // back to the shipped profiles.
    let roles = "/api/v1/qualification/role-profiles";
    let target = |list: &Value, role: &str, area: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == role)
            .unwrap()["targets"][area]
            .clone()
    };
    let (status, shipped) = pia.get(roles).await;
    assert_eq!(status, StatusCode::OK, "{shipped}");
    assert_eq!(target(&shipped, "fuehrungskraefte", "datenkompetenz"), 1);
    let (status, changed) = pia
        .send(
            Method::PUT,
            roles,
            json!({"targets": {"fuehrungskraefte": {"datenkompetenz": 2}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["changed"], 1);
    let (_, edited) = pia.get(roles).await;
    assert_eq!(target(&edited, "fuehrungskraefte", "datenkompetenz"), 2);
    for (targets, blamed) in [
        (json!({"fuehrungskraefte": {"ki_verstehen": 0}}), "targets"),
        (json!({"zauberer": {"ki_verstehen": 1}}), "targets.zauberer"),
        (json!({"it": {"zaubern": 1}}), "targets.it.zaubern"),
    ] {
        let (status, bad) = pia
            .send(Method::PUT, roles, json!({"targets": targets}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(field(&bad), blamed, "{bad}");
    }
    let (_, unchanged) = pia.get(roles).await;
    assert_eq!(target(&unchanged, "fuehrungskraefte", "ki_verstehen"), 2);
    assert_eq!(
        sam.send(Method::PUT, roles, json!({"targets": {}})).await.0,
        StatusCode::FORBIDDEN
    );
    let reset = pia.request(Method::DELETE, roles).send().await.unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    let (_, again) = pia.get(roles).await;
    assert_eq!(target(&again, "fuehrungskraefte", "datenkompetenz"), 1);
}

async fn story(backend: Backend) {
    let server = common::day_one(backend).await;
    catalogue(&server).await;
    trainings(&server).await;
    credentials(&server).await;
    profiles(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qualification_actions_work_through_the_api_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qualification_actions_work_through_the_api_on_postgres() {
    story(Backend::Postgres).await;
}
