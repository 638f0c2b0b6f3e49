//! The qualification repository on SQLite and PostgreSQL: the same script
//! on both, so the dialects cannot drift apart.

use journey::access::Role;
use journey::competency::CompetencyModel;
use journey::qualification::catalogue::Catalogue;
use journey::qualification::planner::Cohort;
use journey::qualification::rubric::{Decision, Evaluation, Rubric};
use journey::qualification::training::{EnrolmentStatus, Session};
use store::qualification::{CredentialRecord, PersonProfile};
use store::users::NewUser;
use store::{Actor, Store, StoreError};

const PG_ADMIN_URL: &str = "postgres://root@127.0.0.1:5432/test";

async fn fresh_store(postgres: bool) -> Store {
    let name = format!(
        "kireise_q_{}_{}",
        std::process::id(),
        store::random_token(4)
    );
    if !postgres {
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        return Store::connect_sqlite_file(&dir.join("ki-reise.db"))
            .await
            .expect("sqlite");
    }
    let admin = std::env::var("KI_REISE_TEST_PG").unwrap_or_else(|_| PG_ADMIN_URL.to_string());
    let admin_store = Store::connect_without_migrating(&admin)
        .await
        .expect("PostgreSQL for tests must run; set KI_REISE_TEST_PG to point elsewhere");
    if let store::Db::Postgres(pool) = &admin_store.db {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(pool)
            .await
            .expect("create db");
    }
    admin_store.close().await;
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_string();
    Store::connect(&format!("{base}/{name}"))
        .await
        .expect("postgres")
}

async fn user(store: &Store, name: &str, department: &str) -> i64 {
    store
        .create_user(
            &Actor::system(),
            &NewUser {
                email: format!("{name}@example.org"),
                name: name.to_string(),
                role: Role::Staff,
                department: Some(department.to_string()),
                password_hash: None,
            },
        )
        .await
        .expect("user")
        .id
}

fn session(id: &str, capacity: u32) -> Session {
    Session {
        id: id.into(),
        offer: "intern_dienstanweisung".into(),
        title: "KI im Dienst".into(),
        starts_at: "2026-12-01T09:00".into(),
        ends_at: "2026-12-01T12:00".into(),
        place: "Ratshof".into(),
        online_url: None,
        trainer: "A. B.".into(),
        capacity,
    }
}

async fn seeded(postgres: bool) -> (Store, Catalogue) {
    let store = fresh_store(postgres).await;
    let model = CompetencyModel::default_model().unwrap();
    let seed = Catalogue::shipped(&model).unwrap();
    store
        .import_catalogue_items(
            &Actor::system(),
            &seed.offers,
            &seed.partners,
            &seed.paths,
            "Katalog importiert",
        )
        .await
        .unwrap();
    (store, seed)
}

async fn catalogue_is_stored_whole_or_not_at_all(postgres: bool) {
    let (store, seed) = seeded(postgres).await;
    let stored = store.catalogue().await.unwrap();
    let sorted = |c: &Catalogue| {
        let mut o = c.offers.clone();
        o.sort_by(|a, b| a.id.cmp(&b.id));
        o
    };
    assert_eq!(sorted(&stored), sorted(&seed));
    assert_eq!(stored.paths.len(), seed.paths.len());
    assert_eq!(stored.partners.len(), seed.partners.len());

    // A new offer and one whose URL is taken: neither is stored.
    let mut fresh = seed.offers[0].clone();
    fresh.id = "neu".into();
    fresh.url = Some("https://neu.example/".into());
    let mut clash = seed.offers[1].clone();
    clash.id = "gleiche_adresse".into();
    let err = store
        .import_catalogue_items(&Actor::system(), &[fresh, clash], &[], &[], "Import")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate(m) if m.contains("gleiche_adresse")),
        "{err}"
    );
    assert!(matches!(
        store.offer("neu").await,
        Err(StoreError::NotFound)
    ));

    // Optimistic concurrency on edits.
    let record = store.offer(&seed.offers[0].id).await.unwrap();
    let mut changed = record.offer.clone();
    changed.duration_hours = 31.0;
    let saved = store
        .update_offer(&Actor::system(), &changed, record.version)
        .await
        .unwrap();
    assert_eq!(saved.version, record.version + 1);
    assert!(matches!(
        store
            .update_offer(&Actor::system(), &changed, record.version)
            .await,
        Err(StoreError::Conflict)
    ));
}

async fn evaluations_are_listed_best_first(postgres: bool) {
    let (store, seed) = seeded(postgres).await;
    let rubric = Rubric::shipped().unwrap();
    for (offer, rating) in [
        (&seed.offers[0], 4),
        (&seed.offers[1], 5),
        (&seed.offers[2], 2),
    ] {
        let e = Evaluation {
            offer: offer.id.clone(),
            ratings: rubric
                .criteria
                .iter()
                .map(|c| (c.id.clone(), rating))
                .collect(),
            decision: Decision::Aufnehmen,
            reason: "passt".into(),
        };
        let score = rubric.score(&e).unwrap();
        store
            .save_evaluation(&Actor::system(), &e, &score)
            .await
            .unwrap();
    }
    let list = store.evaluations().await.unwrap();
    let order: Vec<&str> = list.iter().map(|e| e.evaluation.offer.as_str()).collect();
    assert_eq!(
        order,
        [
            seed.offers[1].id.as_str(),
            &seed.offers[0].id,
            &seed.offers[2].id
        ]
    );
    assert_eq!(list[0].total, 100.0);
}

async fn full_sessions_fill_the_waiting_list_and_cancellations_promote(postgres: bool) {
    let (store, _) = seeded(postgres).await;
    let a = user(&store, "anna", "Bauamt").await;
    let b = user(&store, "bernd", "Bauamt").await;
    let actor = Actor::system();
    store
        .create_training(&actor, &session("s1", 1))
        .await
        .unwrap();
    assert_eq!(
        store.enrol(&actor, "s1", a).await.unwrap(),
        EnrolmentStatus::Enrolled
    );
    assert_eq!(
        store.enrol(&actor, "s1", b).await.unwrap(),
        EnrolmentStatus::WaitingList
    );
    assert!(matches!(
        store.enrol(&actor, "s1", a).await,
        Err(StoreError::Duplicate(_))
    ));
    let record = store.training("s1").await.unwrap();
    assert_eq!((record.seats_taken, record.waiting), (1, 1));

    assert_eq!(
        store.cancel_enrolment(&actor, "s1", a).await.unwrap(),
        Some(b)
    );
    let mine = store.enrolments(None, Some(b)).await.unwrap();
    assert_eq!(mine[0].status, EnrolmentStatus::Enrolled);

    // Completion needs attendance first.
    assert!(store
        .set_enrolment_status(&actor, "s1", b, EnrolmentStatus::Completed, "2026-12-01")
        .await
        .is_err());
    store
        .set_enrolment_status(&actor, "s1", b, EnrolmentStatus::Attended, "2026-12-01")
        .await
        .unwrap();
    store
        .set_enrolment_status(&actor, "s1", b, EnrolmentStatus::Completed, "2026-12-01")
        .await
        .unwrap();
    let done = store.completions(b).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].offer, "intern_dienstanweisung");
    assert!(store.completions(a).await.unwrap().is_empty());
}

async fn concurrent_enrolments_never_exceed_capacity(postgres: bool) {
    let (store, _) = seeded(postgres).await;
    store
        .create_training(&Actor::system(), &session("voll", 3))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(user(&store, &format!("p{i}"), "Bürgeramt").await);
    }
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| {
            let store = store.clone();
            tokio::spawn(async move { store.enrol(&Actor::system(), "voll", id).await })
        })
        .collect();
    let mut enrolled = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() == EnrolmentStatus::Enrolled {
            enrolled += 1;
        }
    }
    assert_eq!(enrolled, 3);
    assert_eq!(store.training("voll").await.unwrap().waiting, 5);
}

async fn profiles_cohorts_keys_and_credentials_round_trip(postgres: bool) {
    let (store, _) = seeded(postgres).await;
    let actor = Actor::system();
    let model = CompetencyModel::default_model().unwrap();
    let mut it = model.role_profile("it").unwrap().clone();
    it.targets.insert("recht_und_ethik".into(), 3);
    store.save_role_profile(&actor, &it).await.unwrap();
    assert_eq!(store.role_profile_overrides().await.unwrap(), vec![it]);

    let cohorts = vec![
        Cohort {
            department: "Bauamt".into(),
            role: "alle".into(),
            headcount: 40,
            levels: [("ki_verstehen".to_string(), 1)].into(),
        },
        Cohort {
            department: "IT".into(),
            role: "it".into(),
            headcount: 6,
            levels: Default::default(),
        },
    ];
    store.save_cohorts(&actor, &cohorts).await.unwrap();
    assert_eq!(store.cohorts().await.unwrap(), cohorts);
    let twice = vec![cohorts[0].clone(), cohorts[0].clone()];
    assert!(matches!(
        store.save_cohorts(&actor, &twice).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store.cohorts().await.unwrap(),
        cohorts,
        "nothing half-stored"
    );

    let seed = store.signing_key_seed().await.unwrap();
    assert_eq!(store.signing_key_seed().await.unwrap(), seed);

    let anna = user(&store, "anna", "Bauamt").await;
    store
        .set_person_profile(
            &actor,
            anna,
            &PersonProfile {
                role_profile: "fuehrungskraefte".into(),
                start_levels: [("ki_verstehen".to_string(), 1)].into(),
            },
        )
        .await
        .unwrap();
    store
        .record_completion(&actor, anna, "elements_of_ai", "2026-11-20")
        .await
        .unwrap();
    store
        .save_credential(
            &actor,
            &CredentialRecord {
                id: "c1".into(),
                user_id: anna,
                path_id: "grundlagen_alle".into(),
                title: "KI-Grundlagen".into(),
                document: "{}".into(),
                issued_at: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(store.credential("c1").await.unwrap().user_id, anna);
    let records = store
        .person_records("alle", Some("Bauamt"), None)
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    let (_, anna_record) = &records[0];
    assert_eq!(anna_record.role, "fuehrungskraefte");
    assert_eq!(anna_record.completions[0].offer, "elements_of_ai");
    assert_eq!(anna_record.credentials, ["KI-Grundlagen"]);
    assert!(store
        .person_records("alle", Some("IT"), None)
        .await
        .unwrap()
        .is_empty());
}

macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(false).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(true).await })*
        }
    };
}

on_both!(
    catalogue_is_stored_whole_or_not_at_all,
    evaluations_are_listed_best_first,
    full_sessions_fill_the_waiting_list_and_cancellations_promote,
    concurrent_enrolments_never_exceed_capacity,
    profiles_cohorts_keys_and_credentials_round_trip
);
