use std::collections::BTreeMap;

use super::evidence::clean_file_name;
use super::*;
use crate::usecase::ai_act::DecisionTree;

/// Benefit-claim checks with profiling: Annex III, the municipality as
/// deployer in its own use (as the AI Act tests walk it).
fn high_risk(tree: &DecisionTree) -> crate::usecase::ai_act::Classification {
    let no = |q: &str| (q.to_owned(), "nein".to_owned());
    let mut answers: BTreeMap<String, String> = [
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
    ]
    .into_iter()
    .map(no)
    .collect();
    for (q, a) in [
        ("ki-system", "ja"),
        ("rolle", "betreiber"),
        ("eigener-einsatz", "ja"),
        ("anhang-iii", "leistungen"),
        ("profiling", "ja"),
        ("ausnahme", "keine"),
        ("50-redaktion", "ja"),
    ] {
        answers.insert(q.into(), a.into());
    }
    tree.classify(&answers).unwrap()
}

fn tree() -> DecisionTree {
    DecisionTree::shipped().unwrap()
}

fn classification_with(ids: &[&str]) -> crate::usecase::ai_act::Classification {
    let mut c = high_risk(&tree());
    c.obligations = ids.iter().map(|s| (*s).to_owned()).collect();
    c
}

#[test]
fn a_duty_is_due_when_the_law_applies_it_or_at_the_later_pilot_start() {
    let c = classification_with(&["art-4", "art-27"]);
    let d = derive(&tree(), Some(&c), None);
    assert_eq!(d.len(), 2);
    assert_eq!(
        (d[0].duty.as_str(), d[0].due.as_str()),
        ("art-4", "2025-02-02")
    );
    assert_eq!(
        (d[1].duty.as_str(), d[1].due.as_str()),
        ("art-27", "2027-12-02")
    );
    let d = derive(&tree(), Some(&c), Some("2026-03-01"));
    assert_eq!(d[0].due, "2026-03-01", "Art. 4 before the pilot starts");
    assert_eq!(d[1].due, "2027-12-02", "not before the AI Act asks for it");
    assert!(derive(&tree(), None, None).is_empty());
}

#[test]
fn synchronising_keeps_what_people_entered_and_marks_dropped_duties() {
    let t = tree();
    let first = synchronise(
        "uc",
        &[],
        &derive(&t, Some(&classification_with(&["art-4", "art-27"])), None),
    );
    assert!(first
        .iter()
        .all(|t| t.status == DutyStatus::Open && t.owner.is_none() && t.current));
    let mut kept = first.clone();
    kept[1].owner = Some(7);
    kept[1].status = DutyStatus::Fulfilled;
    kept[1].evidence_link = Some(EvidenceLink::parse("https://intern.example/fria").unwrap());
    kept[0].due = "2025-01-15".into();
    kept[0].due_set = true;
    // The classification changes: Art. 27 drops out, Art. 26 comes in.
    let next = synchronise(
        "uc",
        &kept,
        &derive(
            &t,
            Some(&classification_with(&["art-4", "art-26"])),
            Some("2030-01-01"),
        ),
    );
    assert_eq!(next.len(), 3);
    assert_eq!(
        (next[0].duty.as_str(), next[0].due.as_str()),
        ("art-4", "2025-01-15")
    );
    assert_eq!(
        (next[1].duty.as_str(), next[1].status),
        ("art-26", DutyStatus::Open)
    );
    assert_eq!(next[1].due, "2030-01-01");
    let dropped = &next[2];
    assert_eq!(dropped.duty, "art-27");
    assert!(!dropped.current);
    assert!(dropped.has_evidence() && dropped.owner == Some(7));
    // Back in the classification: the same task, current again.
    let again = synchronise(
        "uc",
        &next,
        &derive(&t, Some(&classification_with(&["art-27"])), None),
    );
    assert!(again[0].current && again[0].has_evidence());
}

#[test]
fn overdue_duties_come_first_in_the_overview() {
    let t = tree();
    let mut tasks = synchronise(
        "uc",
        &[],
        &derive(
            &t,
            Some(&classification_with(&["art-4", "art-27", "art-26"])),
            None,
        ),
    );
    tasks[2].status = DutyStatus::NotApplicable;
    tasks[2].reason = "kein eigener Einsatz".into();
    tasks.reverse();
    overview_order(&mut tasks, "2026-12-07");
    assert_eq!(tasks[0].duty, "art-4");
    assert!(tasks[0].is_overdue("2026-12-07"));
    assert!(!tasks[1].is_overdue("2026-12-07"));
    assert_eq!(tasks[2].duty, "art-26", "settled ones last");
    assert!(
        !tasks[0].is_overdue("2025-02-02"),
        "due today is not overdue"
    );
}

#[test]
fn fulfilled_needs_evidence_and_not_applicable_a_reason() {
    let task = synchronise(
        "uc",
        &[],
        &derive(&tree(), Some(&classification_with(&["art-27"])), None),
    )
    .remove(0);
    let update = |status, reason: &str, link: Option<&str>| DutyUpdate {
        owner: Some(1),
        due: Some("2026-05-01".into()),
        status,
        reason: reason.into(),
        evidence_link: link.map(str::to_owned),
        review_on: None,
    };
    let e = update(DutyStatus::Fulfilled, "", None)
        .apply(&task)
        .unwrap_err();
    assert_eq!(e.field, "evidence_link");
    let e = update(DutyStatus::NotApplicable, "  ", None)
        .apply(&task)
        .unwrap_err();
    assert_eq!(e.field, "reason");
    assert!(e.message.contains("begründen"), "{}", e.message);
    let e = update(DutyStatus::Open, "", Some("javascript:alert(1)"))
        .apply(&task)
        .unwrap_err();
    assert_eq!(e.field, "evidence_link");
    let done = update(
        DutyStatus::Fulfilled,
        "",
        Some("https://dms.stadt.example/akte?id=4711"),
    )
    .apply(&task)
    .unwrap();
    assert!(done.due_set && done.due == "2026-05-01" && done.status.is_settled());
    let mut due = update(DutyStatus::Open, "", None);
    due.due = Some("1. Mai".into());
    assert_eq!(due.apply(&task).unwrap_err().field, "due");
}

#[test]
fn links_are_http_or_https_to_a_plain_host() {
    for ok in [
        "https://register.example/ki/42",
        "http://10.0.0.5:8080/x?y=1#z",
        "https://[::1]:443/a",
    ] {
        assert!(EvidenceLink::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "ftp://x.example/",
        "https://",
        "https://user@host/",
        "https://a.example/<script>",
        "https://a.example/ b",
        "file:///etc/passwd",
        "https://-x.example/",
    ] {
        assert!(EvidenceLink::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn files_are_recognised_by_content_and_names_cleaned() {
    let pdf = b"%PDF-1.7\n...";
    assert_eq!(
        EvidenceKind::recognise("FRIA.pdf", Some("application/pdf"), pdf),
        Ok(EvidenceKind::Pdf)
    );
    assert_eq!(
        EvidenceKind::recognise("FRIA.PDF", None, pdf),
        Ok(EvidenceKind::Pdf)
    );
    // A lying type: HTML named .pdf, or a PDF sent as HTML.
    let e = EvidenceKind::recognise("bericht.pdf", Some("application/pdf"), b"<html><script>")
        .unwrap_err();
    assert!(e.contains("kein PDF-Dokument"), "{e}");
    let e = EvidenceKind::recognise("bericht.pdf", Some("text/html"), pdf).unwrap_err();
    assert!(e.contains("text/html"), "{e}");
    assert!(EvidenceKind::recognise("tool.exe", None, b"MZ\x90").is_err());
    assert!(EvidenceKind::recognise("leer.txt", None, b"").is_err());
    assert!(EvidenceKind::recognise("binär.txt", None, b"a\0b").is_err());
    assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
    assert_eq!(
        clean_file_name("C:\\Users\\x\\<b>Bericht</b>.pdf"),
        "b_.pdf"
    );
    assert_eq!(clean_file_name("..\u{0}.pdf"), "pdf");
    assert_eq!(
        clean_file_name("Schulungsnachweis März.pdf"),
        "Schulungsnachweis März.pdf"
    );
    assert_eq!(clean_file_name("/"), "Nachweis");
}

#[test]
fn stored_names_are_only_what_the_server_makes() {
    let n = StoredName::new([0xab; 16], EvidenceKind::Pdf);
    assert_eq!(n.as_str(), "abababababababababababababababab.pdf");
    assert!(StoredName::try_from(n.as_str().to_owned()).is_ok());
    for bad in [
        "../x.pdf",
        "abababababababababababababababab.exe",
        "x.pdf",
        "",
    ] {
        assert!(StoredName::try_from(bad.to_owned()).is_err(), "{bad}");
    }
}
