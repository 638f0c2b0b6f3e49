//! Every rule the KI-Richtlinie template states in words, sorted into what
//! ki-reise checks on each request and what stays organisational, so the
//! Regelwerk page never lets anyone believe the software checks more than
//! it does. A rule moves to `checked` only together with the code and the
//! test that enforce it.

use journey::policy::RuleSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    /// The rule, as the policy states it.
    pub rule: String,
    /// Where the policy states it (section of the template).
    pub section: &'static str,
    /// What the software does about it, or why it cannot.
    pub how: String,
}

/// The policy's rules: those the software enforces, then the organisational.
pub fn rule_checks(rules: &RuleSet) -> (Vec<RuleCheck>, Vec<RuleCheck>) {
    let check = |rule: &str, section: &'static str, how: String| RuleCheck {
        rule: rule.to_owned(),
        section,
        how,
    };
    let mut checked = vec![
        check(
            "Jede Datenklasse erreicht nur die erlaubten Betriebsarten",
            "Abschnitt 7",
            "Das KI-Gateway leitet eine Anfrage (Portal und /v1) nur an ein Backend weiter, dessen Betriebsart ihre Datenklasse erlaubt; sonst lehnt es ab.".into(),
        ),
        check(
            "Ohne Angabe gilt eine feste Datenklasse",
            "Abschnitt 7",
            format!(
                "Eine Anfrage ohne Datenklasse behandelt das Gateway als „{}“.",
                rules.default_class.label()
            ),
        ),
        check(
            "Eingaben und Antworten werden höchstens so lange gespeichert wie festgelegt",
            "Abschnitt 14",
            match rules.prompt_retention_days {
                0 => "Die Speicherung der Gespräche lässt sich nicht einschalten (Seite und API lehnen ab); Nutzungsdaten enthalten keine Texte.".into(),
                d => format!("Die Speicherung der Gespräche lässt sich höchstens auf {d} Tage stellen (Seite und API lehnen mehr ab); danach löscht ki-reise sie."),
            },
        ),
        check(
            "Menschen erfahren, dass sie mit einem KI-System schreiben",
            "Abschnitt 8 (Art. 50 Abs. 1 KI-Verordnung)",
            "Der KI-Assistent sagt es über jedem Gespräch; exportierte Gespräche kennzeichnen jede Antwort als KI-erzeugt.".into(),
        ),
    ];
    checked.push(check(
        "Personenbezogene Daten werden vor dem Versand erkannt",
        "Abschnitt 7",
        "Das Gateway durchsucht jede Eingabe (auch frühere Nachrichten und Anweisungen) vor dem Versand nach personenbezogenen Daten; was es findet, hebt die Datenklasse der Anfrage an, nie senkt es sie.".into(),
    ));
    checked.push(if rules.pseudonymise_remote {
        check(
            "Personenbezogene Daten gehen nur pseudonymisiert außer Haus",
            "Abschnitt 7",
            "Darf eine Anfrage wegen gefundener Angaben nicht außer Haus, ersetzt das Gateway jede Angabe durch einen Platzhalter wie [PERSON_1], bevor sie ein entferntes Backend erreicht, und setzt die echten Angaben erst im Haus wieder in die Antwort ein; die Zuordnung wird nicht gespeichert. Die Antwort trägt die Kopfzeile X-Pseudonymisiert.".into(),
        )
    } else {
        check(
            "Keine pseudonymisierte Weitergabe",
            "Abschnitt 7",
            "Darf eine Anfrage wegen gefundener Angaben nicht außer Haus, bleibt sie bei einem lokalen Backend oder wird abgelehnt; das Gateway pseudonymisiert nicht.".into(),
        )
    });
    let mut organisational = vec![
        check(
            "Verbotene Nutzungen: Praktiken nach Art. 5 KI-Verordnung, Emotionserkennung am Arbeitsplatz, Entscheidungen allein durch KI, Bewertung der Beschäftigten, private Konten bei KI-Diensten, Eingabe von Zugangsdaten",
            "Abschnitt 6",
            "Wofür jemand eine Antwort verwendet, sieht die Software nicht.".into(),
        ),
        check(
            "Kein KI-Ergebnis verlässt das Haus ohne menschliche Prüfung; Rechte Dritter werden geprüft",
            "Abschnitt 9",
            "Die Prüfung geschieht außerhalb von ki-reise, in Akte und Fachverfahren.".into(),
        ),
        check(
            "Nur freigegebene KI-Werkzeuge; neue Werkzeuge durchlaufen das Freigabeverfahren",
            "Abschnitt 5",
            "Über ki-reise erreichbar sind nur die eingetragenen Backends; Werkzeuge außerhalb des Gateways erkennt die Software nicht.".into(),
        ),
        check(
            "Einsatz in einem Hochrisiko-Bereich nur mit eigener Freigabe",
            "Abschnitt 6",
            "Die Einstufung der Anwendungsfälle hilft bei der Freigabe; verhindern kann die Software einen solchen Einsatz nicht.".into(),
        ),
        check(
            "Datensparsamkeit: nur die nötigen Daten eingeben, im Zweifel die strengere Datenklasse",
            "Abschnitte 4 und 7",
            "Welche Daten nötig sind, entscheidet die Person.".into(),
        ),
        check(
            "Vorfälle unverzüglich melden",
            "Abschnitt 12",
            "Meldewege stehen in der Richtlinie; die Software nimmt keine Meldungen entgegen.".into(),
        ),
        check(
            "Das KI-Register ist vollständig und aktuell",
            "Abschnitt 13",
            "ki-reise führt das Register der Anwendungsfälle, prüft aber nicht, ob jedes eingesetzte System darin steht.".into(),
        ),
        check(
            "Schulungen werden regelmäßig aufgefrischt; die Richtlinie wird regelmäßig überprüft",
            "Abschnitte 10 und 15",
            "Fristen für Auffrischung und Überprüfung überwacht die Software nicht.".into(),
        ),
    ];
    if rules.labelling_required {
        organisational.insert(
            1,
            check(
                "KI-Ergebnisse werden gekennzeichnet",
                "Abschnitt 8",
                "Texte, die Beschäftigte aus dem Assistenten übernehmen, kennzeichnen sie selbst; die Software sieht die weitere Verwendung nicht.".into(),
            ),
        );
    }
    match &rules.ki_pass {
        Some(pass) => {
            let tools: Vec<&str> = pass.tools.iter().map(|t| t.label()).collect();
            checked.push(check(
                "KI-Werkzeuge erst nach Schulung („KI-Pass“)",
                "Abschnitt 10",
                format!(
                    "Offen nur mit abgeschlossenem Lernpfad „{}“, in der Übergangsfrist ({} Tage) oder mit dokumentierter Ausnahme: {}. Die Prüfung gilt bei jeder Anfrage.",
                    pass.learning_path,
                    pass.grace_days,
                    tools.join(", ")
                ),
            ));
            if pass.tools.contains(&journey::policy::Tool::Api) {
                checked.push(check(
                    "API-Schlüssel nur für geschulte Beschäftigte",
                    "Abschnitt 10",
                    "Einen API-Schlüssel legt nur an, wer den KI-Pass hat; ein Schlüssel wirkt an /v1 nur, solange seine Person den KI-Assistenten nutzen darf und den KI-Pass hat.".into(),
                ));
            }
        }
        None => organisational.push(check(
            "Grundschulung zur KI-Kompetenz (Art. 4 KI-Verordnung)",
            "Abschnitt 10",
            "Die Richtlinie verlangt keinen KI-Pass; die Software sperrt ohne Schulung nichts."
                .into(),
        )),
    }
    if rules.ki_pass_for(journey::policy::Tool::Api).is_none() {
        organisational.push(check(
            "Wer API-Schlüssel anlegt",
            "Abschnitt 11",
            "Jede Person kann eigene Schlüssel anlegen; an /v1 wirken sie nur mit einer Rolle, die den KI-Assistenten nutzen darf.".into(),
        ));
    }
    (checked, organisational)
}

#[cfg(test)]
mod tests {
    use super::*;
    use journey::policy::{KiPassRule, Tool};

    #[test]
    fn the_pass_moves_to_checked_only_when_the_policy_asks_for_it() {
        let rules = RuleSet::default();
        let (checked, organisational) = rule_checks(&rules);
        assert!(!checked.iter().any(|c| c.rule.contains("KI-Pass")));
        assert!(checked
            .iter()
            .any(|c| c.rule.contains("vor dem Versand erkannt")));
        assert!(checked
            .iter()
            .any(|c| c.rule == "Keine pseudonymisierte Weitergabe"));
        assert!(organisational
            .iter()
            .any(|c| c.rule.contains("Grundschulung")));
        assert!(organisational
            .iter()
            .any(|c| c.rule.contains("menschliche Prüfung")));
        assert!(organisational
            .iter()
            .any(|c| c.rule.contains("gekennzeichnet")));
        let with_pass = RuleSet {
            ki_pass: Some(KiPassRule {
                learning_path: "grundlagen_alle".into(),
                tools: vec![Tool::Assistant, Tool::Api],
                grace_days: 0,
            }),
            prompt_retention_days: 30,
            pseudonymise_remote: true,
            ..RuleSet::default()
        };
        let (checked, organisational) = rule_checks(&with_pass);
        assert!(checked
            .iter()
            .any(|c| c.rule.contains("nur pseudonymisiert") && c.how.contains("[PERSON_1]")));
        assert!(checked.iter().any(|c| c.how.contains("„grundlagen_alle“")));
        assert!(checked.iter().any(|c| c.rule.contains("API-Schlüssel")));
        assert!(checked
            .iter()
            .any(|c| c.how.contains("höchstens auf 30 Tage")));
        assert!(!organisational
            .iter()
            .any(|c| c.rule.contains("Grundschulung")));
    }
}
