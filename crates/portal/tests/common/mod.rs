//! Test support: a fresh database of either kind, a real server on a free
//! port, and a browser-like client that keeps cookies and CSRF tokens.
#![allow(dead_code, unused_imports)]

use portal::{AppState, PortalConfig};
pub use store::test_support::{fresh_database_url, fresh_store, Backend, PG_ADMIN_URL};
use store::Store;

pub struct TestServer {
    pub base: String,
    pub setup_code: Option<String>,
    pub store: Store,
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
    tokio::spawn(portal::launch(listener, state, std::future::pending()));
    TestServer {
        base,
        setup_code,
        store,
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
