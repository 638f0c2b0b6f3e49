//! Line breaks as people's systems send them: a browser's textarea sends
//! CRLF, old Mac exports CR, scripts LF. Everything typed is stored with LF
//! alone, so one edit never shows as a change of every line. This happens
//! once, in the extractors every handler uses: [`Form`] for page forms and
//! [`crate::api::ApiJson`] (through [`normalise_json`]) for the API.

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
    fn json_strings_lose_their_carriage_returns_at_any_depth() {
        let mut v = serde_json::json!({"a": "x\r\ny", "b": [{"c\r": "\rz"}], "n": 1});
        normalise_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": "x\ny", "b": [{"c\n": "\nz"}], "n": 1})
        );
    }
}
