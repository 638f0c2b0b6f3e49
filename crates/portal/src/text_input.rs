//! Line breaks as people's systems send them: a browser's textarea sends
//! CRLF, old Mac exports CR, scripts LF. Everything typed is stored with LF
//! alone, so one edit never shows as a change of every line. This happens
//! once, in the extractors every handler uses: [`Form`] for page forms and
//! [`crate::api::ApiJson`] (through [`normalise_json`]) for the API.
//!
//! The same two extractors refuse the NUL character (U+0000) in any field:
//! nobody types it, it ends C strings in other programs that read our
//! exports, and PostgreSQL cannot store it in text at all.

use axum::body::{Body, Bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, PageError};
use serde::de::DeserializeOwned;

/// CRLF and lone CR become LF.
pub fn normalise_line_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Every string in a JSON value, keys included, with LF line breaks.
pub fn normalise_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\r') => *s = normalise_line_breaks(s),
        Value::Array(items) => items.iter_mut().for_each(normalise_json),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\r')) {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    normalise_json(&mut v);
                    map.insert(normalise_line_breaks(&k), v);
                }
            } else {
                map.values_mut().for_each(normalise_json);
            }
        }
        _ => {}
    }
}

/// The message for a NUL character in `field`.
pub fn nul_refused(field: &str) -> AppError {
    AppError::Invalid {
        field: Some(field.to_string()),
        message: format!(
            "Das Feld „{field}“ enthält ein unzulässiges Steuerzeichen (NUL, U+0000). Bitte entfernen Sie es und senden Sie erneut."
        ),
    }
}

/// The path (`title`, `items.2.text`) of the first string in a JSON value,
/// key or value, that holds a NUL character.
pub fn nul_in_json(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(String::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in_json(v).map(|inner| join_path(&i.to_string(), &inner))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(k.replace('\0', "\\0"));
            }
            nul_in_json(v).map(|inner| join_path(k, &inner))
        }),
        _ => None,
    }
}

fn join_path(outer: &str, inner: &str) -> String {
    if inner.is_empty() {
        outer.to_string()
    } else {
        format!("{outer}.{inner}")
    }
}

/// The name of the first field of an urlencoded body whose name or value
/// holds a NUL character (`%00`, or a raw zero byte).
fn nul_in_urlencoded(body: &[u8]) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let has_nul = pair.contains(&0) || pair.windows(3).any(|w| w == b"%00");
        has_nul.then(|| {
            let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
            let name: Vec<u8> = name
                .iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect();
            percent_encoding::percent_decode(&name)
                .decode_utf8_lossy()
                .replace('\0', "\\0")
        })
    })
}

/// An urlencoded body with `%0D%0A` and lone `%0D` turned into `%0A`. A
/// raw CR cannot occur in such a body, so the encoded one is the only form.
fn normalise_urlencoded(body: &[u8]) -> Vec<u8> {
    let is_cr = |at: usize| {
        body.get(at) == Some(&b'%')
            && body.get(at + 1) == Some(&b'0')
            && body
                .get(at + 2)
                .is_some_and(|b| b.eq_ignore_ascii_case(&b'd'))
    };
    let is_lf = |at: usize| {
        body.get(at) == Some(&b'%')
            && body.get(at + 1) == Some(&b'0')
            && body
                .get(at + 2)
                .is_some_and(|b| b.eq_ignore_ascii_case(&b'a'))
    };
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if is_cr(i) {
            out.extend_from_slice(b"%0A");
            i += if is_lf(i + 3) { 6 } else { 3 };
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

/// A posted form (`application/x-www-form-urlencoded`), like `axum::Form`,
/// with line breaks normalised. GET forms come in the query, which holds
/// no multi-line fields, and are passed on as they are.
pub struct Form<T>(pub T);

impl<S, T> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let req = if req.method() == Method::GET || req.method() == Method::HEAD {
            req
        } else {
            let (parts, body) = req.into_parts();
            let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|e| FormRejection::from(e).into_response())?;
            if let Some(field) = nul_in_urlencoded(&bytes) {
                return Err(PageError(nul_refused(&field)).into_response());
            }
            Request::from_parts(parts, Body::from(normalise_urlencoded(&bytes)))
        };
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(e) => Err(form_refused(e)),
        }
    }
}

/// A form that cannot be read (a field missing, a number that is none) is
/// refused on the German error page, never with serde's English text.
fn form_refused(e: FormRejection) -> Response {
    match e {
        FormRejection::FailedToDeserializeForm(_)
        | FormRejection::FailedToDeserializeFormBody(_) => {
            let text = e.body_text();
            let message = match text.split('`').nth(1) {
                Some(field) if text.contains("missing field") => format!(
                    "Im Formular fehlt das Feld „{field}“. Bitte laden Sie die Seite neu und senden Sie das Formular erneut."
                ),
                _ => "Ein Feld des Formulars hat nicht die erwartete Form (z. B. keine Zahl, wo eine Zahl stehen muss). Bitte laden Sie die Seite neu und senden Sie das Formular erneut.".to_owned(),
            };
            PageError(AppError::Invalid {
                field: None,
                message,
            })
            .into_response()
        }
        other => other.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_carriage_returns_become_line_feeds() {
        assert_eq!(
            normalise_urlencoded(b"text=a%0D%0Ab%0dc%0Ad%0D"),
            b"text=a%0Ab%0Ac%0Ad%0A".to_vec()
        );
        assert_eq!(normalise_urlencoded(b"x=%0Db+%25"), b"x=%0Ab+%25".to_vec());
    }

    #[test]
    fn nul_characters_are_found_with_their_field() {
        assert_eq!(
            nul_in_urlencoded(b"a=1&title=Plan%00B&c=2").as_deref(),
            Some("title")
        );
        assert_eq!(nul_in_urlencoded(b"a=1&text=x\0y").as_deref(), Some("text"));
        assert_eq!(nul_in_urlencoded(b"a=1%2500&b=%200"), None);
        let v = serde_json::json!({"a": "ok", "items": [{"t": "ok"}, {"t": "x\u{0}"}]});
        assert_eq!(nul_in_json(&v).as_deref(), Some("items.1.t"));
        assert_eq!(
            nul_in_json(&serde_json::json!({"title": "\u{0}"})).as_deref(),
            Some("title")
        );
        assert_eq!(nul_in_json(&serde_json::json!({"a": ["x", 1]})), None);
    }

    #[test]
    fn json_strings_lose_their_carriage_returns_at_any_depth() {
        let mut v = serde_json::json!({"a": "x\r\ny", "b": [{"c\r": "\rz"}], "n": 1});
        normalise_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": "x\ny", "b": [{"c\n": "\nz"}], "n": 1})
        );
    }
}
