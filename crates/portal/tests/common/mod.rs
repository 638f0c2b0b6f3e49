//! Test support: a fresh database of either kind, a real server on a free
//! port, and a browser-like client that keeps cookies and CSRF tokens.
#![allow(dead_code, unused_imports)]

pub mod oidc_provider;
pub mod range_server;
pub mod slapd;
pub mod smtp;

use portal::{AppState, PortalConfig};
pub use store::test_support::{fresh_database_url, fresh_store, Backend, PG_ADMIN_URL};
use store::Store;

pub struct TestServer {
    pub base: String,
    pub setup_code: Option<String>,
    pub store: Store,
    pub state: AppState,
}

/// A survey with the shipped questionnaire, created by the system.
pub async fn default_survey(store: &Store) -> store::survey::Survey {
    store
        .create_survey(
            &store::Actor::system(),
            &store::survey::NewSurvey {
                title: "Bestandsaufnahme".into(),
                questionnaire: serde_json::to_string(
                    &journey::survey::default_questionnaire().unwrap(),
                )
                .unwrap(),
                import_report: String::new(),
                min_group_size: 5,
            },
        )
        .await
        .unwrap()
}

/// Starts the app on 127.0.0.1 with a free port, as `serve` would.
pub async fn spawn(store: Store) -> TestServer {
    spawn_with(store, PortalConfig::default()).await
}

/// Like [`spawn`], with settings (e.g. SMTP); the public URL is the real one.
pub async fn spawn_with(store: Store, config: PortalConfig) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let setup_code = portal::prepare_setup_code(&store)
        .await
        .expect("setup code");
    let config = PortalConfig {
        public_url: base.clone(),
        ..config
    };
    let state = AppState::try_new(store.clone(), config, journey::plan::Plan::default_plan())
        .expect("app state");
    tokio::spawn(portal::launch(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    TestServer {
        base,
        setup_code,
        store,
        state,
    }
}

/// A browser: keeps cookies, does not follow redirects (tests look at them).
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_string(),
            csrf: String::new(),
        }
    }

    async fn page(&mut self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.text().await.expect("body");
        if let Some(token) = extract_between(&body, "<meta name=\"csrf-token\" content=\"", "\"") {
            if !token.is_empty() {
                self.csrf = token;
            }
        }
        Page {
            status,
            location,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        self.page(r).await
    }

    /// Posts a form the way the page does, with the CSRF token of the last page.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        form.push(("_csrf", &csrf));
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .expect("POST");
        self.page(r).await
    }

    /// Posts a form and follows the redirect after it, as a browser does;
    /// the POST must answer 303 (redirect after POST), so that reloading
    /// the page shown never sends the form again.
    pub async fn post_and_follow(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let p = self.post(path, fields).await;
        assert_eq!(p.status, 303, "POST {path} redirects: {}", p.body);
        let to = p.location.expect("a redirect names where to");
        let page = self.get(&to).await;
        Page {
            location: Some(to),
            ..page
        }
    }

    /// Gets as htmx does when it polls (`HX-Request`): the fragment only.
    pub async fn htmx_get(&mut self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("HX-Request", "true")
            .send()
            .await
            .expect("GET");
        self.page(r).await
    }

    /// Posts as htmx does: header token, `HX-Request`.
    pub async fn htmx_post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &self.csrf)
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.page(r).await
    }
}

pub fn extract_between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_string())
}

/// Decodes the few HTML entities askama writes into attribute values.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x3d;", "=")
}

/// The password the stories give their users.
pub const PASSWORD: &str = "ein-langes-passwort-1";

/// Logs in through the login form and opens the dashboard (for its CSRF token).
pub async fn login(base: &str, email: &str) -> Browser {
    let mut b = Browser::new(base);
    b.get("/anmelden").await;
    let p = b
        .post(
            "/anmelden",
            &[("email", email), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(p.status, 303, "login {email}: {}", p.body);
    b.get("/").await;
    b
}

/// A program with an API key (no cookies, no CSRF), as scripts use the API.
pub struct ApiClient {
    pub client: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl ApiClient {
    /// A new API key for `user`, and a client that sends it.
    pub async fn for_user(server: &TestServer, user: &store::users::User) -> ApiClient {
        let (_, key) = server
            .store
            .create_api_key(&store::Actor::system(), user, "Programm")
            .await
            .expect("api key");
        ApiClient {
            client: reqwest::Client::new(),
            base: server.base.clone(),
            key,
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    /// Status and JSON body (`null` when the body is not JSON).
    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
        let r = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("GET");
        (
            r.status(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let r = self
            .request(method, path)
            .json(&body)
            .send()
            .await
            .expect("send");
        (
            r.status(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }
}

/// A municipality as set up on day one: the admin Ada, the project team's
/// Pia and the clerk Sam (all with [`PASSWORD`]), three departments, and a
/// running server.
pub async fn day_one(backend: Backend) -> TestServer {
    spawn(day_one_store(backend).await).await
}

/// The store of [`day_one`], for a server with other settings.
pub async fn day_one_store(backend: Backend) -> Store {
    day_one_at(backend).await.0
}

/// [`day_one_store`] and its database URL, for a second instance on it.
pub async fn day_one_at(backend: Backend) -> (Store, String) {
    use journey::access::Role;
    use journey::profile::{Department, Profile};
    use store::users::NewUser;
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let user = |email: &str, name: &str, role| NewUser {
        email: email.into(),
        name: name.into(),
        role,
        department: Some("Bürgerservice".into()),
        password_hash: Some(hash.clone()),
    };
    let department = |name: &str, staff_count| Department {
        name: name.into(),
        staff_count,
    };
    store
        .complete_setup(
            &user("ada@musterstadt.de", "Ada Admin", Role::Admin),
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 15,
                departments: vec![
                    department("Bürgerservice", 6),
                    department("Jugendamt", 5),
                    department("Kämmerei", 4),
                ],
                dpo_contact: "Dana Datenschutz".into(),
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    for (email, name, role) in [
        ("pia@musterstadt.de", "Pia Projekt", Role::ProjectTeam),
        ("sam@musterstadt.de", "Sam Sachbearbeitung", Role::Staff),
    ] {
        store
            .create_user(&store::Actor::system(), &user(email, name, role))
            .await
            .unwrap();
    }
    (store, url)
}

/// The codes shown on a survey page after "Codes erstellen".
pub fn shown_codes(html: &str) -> Vec<String> {
    let list = extract_between(html, "id=\"participation-codes\">", "</ul>").unwrap_or_default();
    list.split("<strong class=\"key slip-code\">")
        .skip(1)
        .filter_map(|s| s.split('<').next().map(str::to_string))
        .collect()
}

/// The fields a browser would send for a form as shown: text inputs and
/// textareas with their values, checked boxes and radios.
pub fn form_fields(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let attr = |tag: &str, name: &str| {
        extract_between(tag, &format!(" {name}=\""), "\"").map(|v| unescape(&v))
    };
    for chunk in html.split("<input").skip(1) {
        let tag = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
        let (Some(name), kind) = (attr(tag, "name"), attr(tag, "type").unwrap_or_default()) else {
            continue;
        };
        if name == "_csrf" {
            continue;
        }
        let value = attr(tag, "value").unwrap_or_default();
        match kind.as_str() {
            "checkbox" | "radio" if !tag.contains(" checked") => {}
            "file" | "submit" => {}
            _ => fields.push((name, value)),
        }
    }
    for chunk in html.split("<textarea").skip(1) {
        let tag = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let body = &chunk[chunk.find('>').map_or(0, |i| i + 1)..];
        let text = &body[..body.find("</textarea>").unwrap_or(body.len())];
        fields.push((name, unescape(text)));
    }
    fields
}

/// Benefit claims checked with profiling: high risk, the municipality as
/// deployer in its own use.
pub fn high_risk_answers(annex_iii: &str) -> serde_json::Value {
    let mut answers = serde_json::Map::new();
    for q in [
        "gpai",
        "verboten-vorpruefung",
        "art-5-1-a",
        "art-5-1-b",
        "art-5-1-c",
        "art-5-1-d",
        "art-5-1-e",
        "art-5-1-f",
        "art-5-1-g",
        "art-5-1-h",
        "anhang-i",
        "50-interaktion",
        "50-inhalte",
        "50-deepfake",
        "50-text",
        "50-emotion",
    ] {
        answers.insert(q.into(), "nein".into());
    }
    for (q, a) in [
        ("ki-system", "ja"),
        ("rolle", "betreiber"),
        ("eigener-einsatz", "ja"),
        ("anhang-iii", annex_iii),
        ("profiling", "ja"),
        ("ausnahme", "keine"),
        ("50-redaktion", "ja"),
    ] {
        answers.insert(q.into(), a.into());
    }
    serde_json::Value::Object(answers)
}
