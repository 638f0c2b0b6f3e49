//! A real OpenID provider for the sign-in tests: the certified npm package
//! `oidc-provider`, started with `tests/oidc/server.mjs` (people from
//! `tests/oidc/users.json`) on a free port. Its packages are installed by
//! `npm ci` in `tests/oidc` (scripts/test-all.sh does that before the
//! Rust tests). Ended when dropped. [`Agent`] walks a browser's way
//! through the provider's login and consent forms.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CLIENT_ID: &str = "ki-reise-test";
pub const CLIENT_SECRET: &str = "test-geheimnis-0123456789";

pub struct OidcProvider {
    child: Child,
    pub issuer: String,
    pub port: u16,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the provider for a portal at `portal_base` (back-channel logout
/// to it), or `None` (with the reason on stderr) where Node or the
/// packages are missing.
pub fn start(portal_base: &str) -> Option<OidcProvider> {
    let backchannel = format!("{portal_base}{}", portal::oidc::backchannel::PATH);
    start_for(&[portal_base], &backchannel)
}

/// Like [`start`], for several portal instances (each may be returned
/// to), posting back-channel logouts to `backchannel`.
pub fn start_for(portal_bases: &[&str], backchannel: &str) -> Option<OidcProvider> {
    let dir = folder();
    if !dir.join("node_modules/oidc-provider").exists() {
        eprintln!(
            "SKIPPED: oidc-provider is not installed (cd tests/oidc && npm ci); \
             scripts/test-all.sh installs it, so CI runs these tests"
        );
        return None;
    }
    let port = free_port();
    let uris = |path: &str| {
        portal_bases
            .iter()
            .map(|b| format!("{b}{path}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let child = Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_CLIENT_ID", CLIENT_ID)
        .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env("OIDC_REDIRECT_URIS", uris("/anmelden/dienstkonto/zurueck"))
        .env("OIDC_POST_LOGOUT_URIS", uris("/anmelden"))
        .env("OIDC_BACKCHANNEL_URI", backchannel)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    let provider = OidcProvider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
        port,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "oidc-provider did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(provider)
}

/// One answer as a browser sees it.
#[derive(Debug)]
pub struct Step {
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A browser that keeps cookies for the portal and the provider and follows
/// redirects one by one (so a test sees each stop).
pub struct Agent {
    pub client: reqwest::Client,
}

impl Default for Agent {
    fn default() -> Self {
        Agent {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }
}

fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

impl Agent {
    async fn step(&self, request: reqwest::RequestBuilder) -> Step {
        let r = request.send().await.expect("request");
        let url = r.url().to_string();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| absolute(&url, l));
        let body = r.text().await.unwrap_or_default();
        Step {
            url,
            status,
            location,
            body,
        }
    }

    pub async fn get(&self, url: &str) -> Step {
        self.step(self.client.get(url)).await
    }

    /// Follows redirects until a page answers, stopping early before a URL
    /// that starts with `stop_before` (to look at it unfollowed).
    pub async fn follow(&self, mut step: Step, stop_before: Option<&str>) -> Step {
        for _ in 0..20 {
            let Some(next) = step.location.clone() else {
                return step;
            };
            if stop_before.is_some_and(|s| next.starts_with(s)) {
                return step;
            }
            step = self.get(&next).await;
        }
        panic!("too many redirects, last at {}", step.url);
    }

    /// Submits the first form on `page` with its hidden fields and `fill`.
    pub async fn submit(&self, page: &Step, fill: &[(&str, &str)]) -> Step {
        let form = page
            .body
            .split("<form")
            .nth(1)
            .unwrap_or_else(|| panic!("no form at {}: {}", page.url, page.body));
        let tag = &form[..form.find('>').unwrap()];
        let action = super::extract_between(tag, "action=\"", "\"")
            .map(|a| super::unescape(&a))
            .unwrap_or_else(|| page.url.clone());
        let mut fields: Vec<(String, String)> = super::form_fields(form)
            .into_iter()
            .filter(|(k, _)| !fill.iter().any(|(f, _)| f == k))
            .collect();
        fields.extend(fill.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let url = absolute(&page.url, &action);
        self.step(self.client.post(url).form(&fields)).await
    }

    /// Signs out at the provider itself (its end-session page, "Yes, sign
    /// me out"), as someone leaving another application of the town hall
    /// would: the provider then posts back-channel logouts.
    pub async fn sign_out_at_provider(&self, issuer: &str) -> Step {
        let page = self.get(&format!("{issuer}/session/end")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("op.logoutForm"), "{}", page.body);
        self.submit(&page, &[("logout", "yes")]).await
    }

    /// Signs in at the provider as `login` from the portal's login button:
    /// the provider's login and consent forms where it shows them (not
    /// when the provider still knows this browser), back to the portal.
    /// Returns the portal's answer to the return (a redirect or a page).
    pub async fn sign_in(&self, portal: &str, login: &str) -> Step {
        let callback = format!("{portal}/anmelden/dienstkonto/zurueck");
        let start = self.get(&format!("{portal}/anmelden/dienstkonto")).await;
        assert_eq!(start.status, 303, "{}", start.body);
        let mut page = self.follow(start, Some(&callback)).await;
        for _ in 0..3 {
            if page
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with(&callback))
            {
                break;
            }
            let fill: &[(&str, &str)] = if page.body.contains("name=\"login\"") {
                &[("login", login), ("password", "egal")]
            } else {
                &[]
            };
            let after = self.submit(&page, fill).await;
            page = self.follow(after, Some(&callback)).await;
        }
        let back = page
            .location
            .unwrap_or_else(|| panic!("provider did not send us back: {}", page.body));
        assert!(back.starts_with(&callback), "{back}");
        self.get(&back).await
    }
}
