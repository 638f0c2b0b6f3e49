//! The OpenAPI document as this instance serves it. Some request fields
//! take only what the instance has stored: a department must be one of the
//! municipality profile's. The static description (`api::ApiDoc`) cannot
//! know them, so the served document states them as an `enum`, current at
//! the moment it is fetched. Only a signed-in caller (session or API key)
//! gets them, as `GET /api/v1/profile` would show them; anyone else gets
//! the static document. Likewise the numbers of the active accounts, where
//! a request must name one, go only to those who may list the accounts.

use serde_json::{json, Value};

use crate::AppState;

/// Request fields that name a department of the profile, or none (null or
/// the empty text): schema and property.
const DEPARTMENT_FIELDS: [(&str, &str); 4] = [
    ("NewUserDto", "department"),
    ("UserUpdateDto", "department"),
    ("IntakeDto", "department"),
    ("SurveyIdeaDto", "department"),
];

/// Request fields that must name active accounts: schema, property (an
/// array of account numbers).
const ACCOUNT_LIST_FIELDS: [(&str, &str); 1] = [("TokensRequestDto", "user_ids")];

/// The static document with what this instance has stored filled in, as
/// far as `user` may see it.
pub async fn document(
    state: &AppState,
    user: Option<&store::users::User>,
) -> Result<Value, crate::error::AppError> {
    let mut doc = crate::openapi_flatten::static_document();
    let Some(user) = user else {
        return Ok(doc);
    };
    if user.role.can(journey::access::Permission::ManageUsers) {
        let active: Vec<i64> = state
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| u.id)
            .collect();
        with_accounts(&mut doc, &active);
    }
    let departments: Vec<String> = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default();
    with_departments(&mut doc, &departments);
    Ok(doc)
}

/// Writes the active accounts into every field that takes them.
pub fn with_accounts(doc: &mut Value, active: &[i64]) {
    let schemas = &mut doc["components"]["schemas"];
    for (schema, property) in ACCOUNT_LIST_FIELDS {
        if let Some(field) = schemas[schema]["properties"].get_mut(property) {
            field["items"]["enum"] = json!(active);
        }
    }
}

/// Writes the departments into every field that takes one.
pub fn with_departments(doc: &mut Value, departments: &[String]) {
    let schemas = &mut doc["components"]["schemas"];
    for (schema, property) in DEPARTMENT_FIELDS {
        if let Some(field) = schemas[schema]["properties"].get_mut(property) {
            // Null or the empty text: no department.
            let mut allowed = vec![Value::Null, json!("")];
            allowed.extend(departments.iter().map(|d| json!(d)));
            field["enum"] = Value::Array(allowed);
        }
    }
    if let Some(readers) = schemas["CreateSpaceDto"]["properties"].get_mut("readers") {
        if let Some(kinds) = readers["oneOf"].as_array_mut() {
            if departments.is_empty() {
                // No department to choose: the kind cannot be used yet.
                kinds.retain(|k| k["properties"]["kind"]["enum"] != json!(["departments"]));
            } else {
                for kind in kinds.iter_mut() {
                    if kind["properties"]["kind"]["enum"] == json!(["departments"]) {
                        kind["properties"]["names"]["items"]["enum"] = json!(departments);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        crate::openapi_flatten::static_document()
    }

    #[test]
    fn every_department_field_exists_and_gets_the_profiles_names() {
        let mut d = doc();
        with_departments(&mut d, &["Bürgerservice".into(), "Jugendamt".into()]);
        for (schema, property) in DEPARTMENT_FIELDS {
            assert_eq!(
                d["components"]["schemas"][schema]["properties"][property]["enum"],
                json!([null, "", "Bürgerservice", "Jugendamt"]),
                "{schema}.{property}"
            );
        }
        let kinds = d["components"]["schemas"]["CreateSpaceDto"]["properties"]["readers"]["oneOf"]
            .as_array()
            .unwrap()
            .clone();
        let departments = kinds
            .iter()
            .find(|k| k["properties"]["kind"]["enum"] == json!(["departments"]))
            .expect("departments kind");
        assert_eq!(
            departments["properties"]["names"]["items"]["enum"],
            json!(["Bürgerservice", "Jugendamt"])
        );
    }

    #[test]
    fn account_fields_exist_and_get_the_active_accounts() {
        let mut d = doc();
        with_accounts(&mut d, &[1, 4]);
        for (schema, property) in ACCOUNT_LIST_FIELDS {
            assert_eq!(
                d["components"]["schemas"][schema]["properties"][property]["items"]["enum"],
                json!([1, 4]),
                "{schema}.{property}"
            );
        }
    }

    #[test]
    fn without_departments_only_none_and_no_department_readers() {
        let mut d = doc();
        with_departments(&mut d, &[]);
        assert_eq!(
            d["components"]["schemas"]["NewUserDto"]["properties"]["department"]["enum"],
            json!([null, ""])
        );
        let kinds = d["components"]["schemas"]["CreateSpaceDto"]["properties"]["readers"]["oneOf"]
            .as_array()
            .unwrap();
        assert_eq!(kinds.len(), 2);
    }
}
