//! Offers as schema.org `Course` with `CourseInstance`s (JSON-LD), aligned
//! to the competency framework with LRMI's `educationalAlignment`, so search
//! engines and other municipalities' catalogues can read them.

use serde_json::{json, Value};

use super::offer::LearningOffer;
use super::training::Session;
use crate::competency::CompetencyModel;

/// ISO 8601 duration of whole and fractional hours, e.g. `PT1H30M`.
pub fn iso_duration(hours: f64) -> String {
    let minutes = (hours * 60.0).round() as u64;
    match (minutes / 60, minutes % 60) {
        (h, 0) => format!("PT{h}H"),
        (0, m) => format!("PT{m}M"),
        (h, m) => format!("PT{h}H{m}M"),
    }
}

/// One offer as a schema.org `Course`. `framework_url` is where the
/// competency framework is published (areas are anchors in it).
pub fn course(
    offer: &LearningOffer,
    model: &CompetencyModel,
    sessions: &[&Session],
    framework_url: &str,
) -> Value {
    let alignment: Vec<Value> = offer
        .covers
        .iter()
        .map(|c| {
            let area = model
                .area(&c.area)
                .map_or(c.area.as_str(), |a| a.name.as_str());
            let level = model.levels.iter().find(|l| l.level == c.to).map_or_else(
                || format!("Stufe {}", c.to),
                |l| format!("Stufe {} ({})", l.level, l.name),
            );
            json!({
                "@type": "AlignmentObject",
                "alignmentType": "teaches",
                "educationalFramework": model.title,
                "targetName": format!("{area}: {level}"),
                "targetUrl": format!("{framework_url}#{}-{}", c.area, c.to),
            })
        })
        .collect();
    let mut instances: Vec<Value> = sessions
        .iter()
        .map(|s| {
            let mut i = json!({
                "@type": "CourseInstance",
                "courseMode": if s.online_url.is_some() && s.place.trim().is_empty() { "online" } else { offer.format.course_mode() },
                "courseWorkload": iso_duration(offer.duration_hours),
                "startDate": s.starts_at,
                "endDate": s.ends_at,
                "name": s.title,
            });
            if !s.place.trim().is_empty() {
                i["location"] = json!({"@type": "Place", "name": s.place});
            }
            if !s.trainer.is_empty() {
                i["instructor"] = json!({"@type": "Person", "name": s.trainer});
            }
            i
        })
        .collect();
    if instances.is_empty() {
        // Self-paced offers have no dates but still run as an instance.
        instances.push(json!({
            "@type": "CourseInstance",
            "courseMode": offer.format.course_mode(),
            "courseWorkload": iso_duration(offer.duration_hours),
        }));
    }
    let mut course = json!({
        "@context": "https://schema.org",
        "@type": "Course",
        "identifier": offer.id,
        "name": offer.title,
        "description": if offer.description.is_empty() { offer.title.clone() } else { offer.description.clone() },
        "provider": {"@type": "Organization", "name": offer.provider},
        "inLanguage": offer.language,
        "timeRequired": iso_duration(offer.duration_hours),
        "isAccessibleForFree": offer.cost_eur == Some(0.0),
        "educationalAlignment": alignment,
        "hasCourseInstance": instances,
    });
    if let Some(url) = &offer.url {
        course["url"] = json!(url);
    }
    if let Some(cost) = offer.cost_eur {
        course["offers"] = json!({"@type": "Offer", "price": cost, "priceCurrency": "EUR", "category": if cost == 0.0 { "Free" } else { "Paid" }});
    }
    if !offer.licence.is_empty() {
        course["license"] = json!(offer.licence);
    }
    if !offer.certificate.is_empty() {
        course["educationalCredentialAwarded"] = json!(offer.certificate);
    }
    if !offer.accessibility.is_empty() {
        course["accessibilitySummary"] = json!(offer.accessibility);
    }
    course
}

/// All offers as one JSON-LD `ItemList`.
pub fn catalogue(
    offers: &[LearningOffer],
    model: &CompetencyModel,
    sessions: &[Session],
    framework_url: &str,
) -> Value {
    let items: Vec<Value> = offers
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let own: Vec<&Session> = sessions.iter().filter(|s| s.offer == o.id).collect();
            let mut c = course(o, model, &own, framework_url);
            if let Value::Object(map) = &mut c {
                map.remove("@context");
            }
            json!({"@type": "ListItem", "position": i + 1, "item": c})
        })
        .collect();
    json!({"@context": "https://schema.org", "@type": "ItemList", "name": "Schulungskatalog", "itemListElement": items})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::catalogue::Catalogue;

    /// The properties schema.org and Google's course guidelines require.
    fn assert_valid_course(c: &Value) {
        assert_eq!(c["@type"], "Course");
        for key in ["name", "description"] {
            assert!(
                c[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} fehlt: {c}"
            );
        }
        assert_eq!(c["provider"]["@type"], "Organization");
        assert!(c["provider"]["name"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        let instances = c["hasCourseInstance"].as_array().unwrap();
        assert!(!instances.is_empty());
        for i in instances {
            assert_eq!(i["@type"], "CourseInstance");
            assert!(["online", "onsite", "blended"].contains(&i["courseMode"].as_str().unwrap()));
            assert!(i["courseWorkload"].as_str().unwrap().starts_with("PT"));
        }
        for a in c["educationalAlignment"].as_array().unwrap() {
            assert_eq!(a["@type"], "AlignmentObject");
            assert_eq!(a["alignmentType"], "teaches");
            for key in ["educationalFramework", "targetName", "targetUrl"] {
                assert!(a[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
            }
        }
    }

    #[test]
    fn every_shipped_offer_is_a_valid_schema_org_course_with_alignment() {
        let model = CompetencyModel::default_model().unwrap();
        let catalogue = Catalogue::shipped(&model).unwrap();
        let session = Session {
            id: "s1".into(),
            offer: "intern_dienstanweisung".into(),
            title: "KI im Dienst".into(),
            starts_at: "2026-12-01T09:00".into(),
            ends_at: "2026-12-01T12:00".into(),
            place: "Ratshof".into(),
            online_url: None,
            trainer: "A. B.".into(),
            capacity: 10,
        };
        let list = catalogue_ld(&catalogue, &model, &session);
        assert_eq!(list["@context"], "https://schema.org");
        assert_eq!(list["@type"], "ItemList");
        let items = list["itemListElement"].as_array().unwrap();
        assert_eq!(items.len(), catalogue.offers.len());
        for item in items {
            assert_valid_course(&item["item"]);
            assert!(!item["item"]["educationalAlignment"]
                .as_array()
                .unwrap()
                .is_empty());
        }
        let dienst = items
            .iter()
            .find(|i| i["item"]["identifier"] == "intern_dienstanweisung")
            .unwrap();
        assert_eq!(
            dienst["item"]["hasCourseInstance"][0]["startDate"],
            "2026-12-01T09:00"
        );
        assert_eq!(
            dienst["item"]["hasCourseInstance"][0]["location"]["name"],
            "Ratshof"
        );
    }

    fn catalogue_ld(cat: &Catalogue, model: &CompetencyModel, session: &Session) -> Value {
        super::catalogue(
            &cat.offers,
            model,
            std::slice::from_ref(session),
            "https://ki.example/kompetenzen",
        )
    }

    #[test]
    fn durations_are_iso_8601() {
        assert_eq!(iso_duration(3.0), "PT3H");
        assert_eq!(iso_duration(1.5), "PT1H30M");
        assert_eq!(iso_duration(0.25), "PT15M");
    }
}
