//! Results of the default questionnaire: 12 answers across departments,
//! suppression of small groups, a deliberate differencing attack, the
//! exports, and competency gaps.

use journey::competency::CompetencyModel;
use journey::survey::aggregate::{Cell, NO_GROUP};
use journey::survey::export::{results_to_csv, results_to_json, CSV_HEADER};
use journey::survey::{
    aggregate, competency_gaps, default_questionnaire, validate_response, AggregateOptions,
    ChoiceOption, Completeness, Questionnaire, Response, ResponseInput, SurveyContext,
    SurveyResults,
};
use proptest::prelude::*;
use serde_json::json;

fn questionnaire() -> (Questionnaire, CompetencyModel) {
    let model = CompetencyModel::default_model().unwrap();
    let mut ctx = SurveyContext::from_competency_model(&model);
    ctx.departments = vec![
        ChoiceOption::new("buergerservice", "Bürgerservice"),
        ChoiceOption::new("jugendamt", "Jugendamt"),
        ChoiceOption::new("kaemmerei", "Kämmerei"),
        ChoiceOption::new("it", "IT"),
    ];
    (default_questionnaire().unwrap().resolve(&ctx), model)
}

/// A complete, valid answer of one person.
fn answer(
    q: &Questionnaire,
    dept: &str,
    role: &str,
    level: i64,
    uses: bool,
    idea: &str,
) -> Response {
    let areas = [
        "ki_verstehen",
        "generative_ki_nutzen",
        "recht_und_ethik",
        "datenkompetenz",
        "risiken_und_sicherheit",
        "ki_gestalten",
    ];
    let matrix: serde_json::Map<String, serde_json::Value> = areas
        .iter()
        .map(|a| (a.to_string(), json!(level)))
        .collect();
    let mut input = json!({
        "fachbereich": dept,
        "art_der_taetigkeit": role,
        "nutzung_haeufigkeit": if uses { "woechentlich" } else { "nie" },
        "selbsteinschaetzung": matrix,
        "lerninteresse": 4,
        "themen": ["grundlagen", "recht"],
        "zeit_pro_monat": "2",
        "lotse_bereitschaft": "vielleicht",
        "erwarteter_nutzen": {"zeit": 4, "qualitaet": 3, "buergerservice": 3, "fachkraefte": 2},
        "entlastung": ["texte", "protokolle"],
        "bedenken": {"arbeitsplaetze": 2, "datenschutz": 4, "fehler": 5, "ueberwachung": 3, "ueberforderung": 2},
    });
    if uses {
        input["werkzeuge"] = json!(["chatgpt", "uebersetzung"]);
        input["zwecke"] = json!(["texte_entwerfen"]);
    }
    if !idea.is_empty() {
        input["ideen_anwendungsfaelle"] = json!(idea);
    }
    let input: ResponseInput = serde_json::from_value(input).unwrap();
    validate_response(q, &input, Completeness::Complete).unwrap_or_else(|e| panic!("{e:?}"))
}

/// 6 in Bürgerservice, 5 in the Jugendamt, 1 in the Kämmerei, none in IT.
fn twelve(q: &Questionnaire) -> Vec<Response> {
    let mut out = Vec::new();
    for i in 0..6 {
        out.push(answer(
            q,
            "buergerservice",
            "alle",
            1,
            i % 2 == 0,
            &format!("Idee {i}"),
        ));
    }
    for i in 0..5 {
        out.push(answer(
            q,
            "jugendamt",
            "fuehrungskraefte",
            2,
            true,
            if i == 0 { "Bescheide" } else { "" },
        ));
    }
    out.push(answer(q, "kaemmerei", "it", 0, false, "Haushalt"));
    out
}

fn published(cell: &Cell) -> Option<u64> {
    if cell.suppressed {
        None
    } else {
        cell.answered
    }
}

/// Option level, for every question: a published count is 0 or at least k
/// where it could single someone out (department, role), and the overall
/// count minus the published group counts is 0 or at least k.
fn assert_no_small_option_difference(results: &SurveyResults, identifiers: &[&str]) {
    let k = u64::from(results.min_group_size);
    for q in results
        .questions
        .iter()
        .filter(|q| identifiers.contains(&q.question.as_str()))
    {
        let row = &q.rows[0];
        for cell in row.cells.iter().filter(|c| !c.suppressed) {
            for o in &cell.options {
                if let Some(n) = o.count {
                    assert!(
                        n == 0 || n >= k,
                        "{} {:?} {}: {n}",
                        q.question,
                        cell.group,
                        o.option
                    );
                }
            }
            if let Some(answered) = cell.answered {
                if q.kind == journey::survey::QuestionType::SingleChoice {
                    let shown: u64 = cell.options.iter().filter_map(|o| o.count).sum();
                    let rest = answered - shown;
                    assert!(
                        rest == 0 || rest >= k,
                        "{} {:?}: {answered} − {shown}",
                        q.question,
                        cell.group
                    );
                }
            }
        }
        let overall = &row.cells[0];
        for (i, o) in overall.options.iter().enumerate() {
            let Some(total) = o.count else { continue };
            let shown: u64 = row.cells[1..]
                .iter()
                .filter(|c| !c.suppressed)
                .filter_map(|c| c.options[i].count)
                .sum();
            let rest = total - shown;
            assert!(
                rest == 0 || rest >= k,
                "{} {}: {total} − {shown}",
                q.question,
                o.option
            );
        }
    }
}

/// What an attacker gets by subtracting every published group from the
/// published total, per row and per option: must be 0 or at least k.
fn assert_no_small_difference(results: &SurveyResults) {
    let k = u64::from(results.min_group_size);
    for q in &results.questions {
        for row in &q.rows {
            let overall = &row.cells[0];
            assert!(overall.group.is_none());
            let Some(total) = published(overall) else {
                // Department and role may hide only the number answered.
                assert!(
                    !overall.suppressed || row.cells.iter().all(|c| c.suppressed),
                    "{}: total hidden, groups shown",
                    q.question
                );
                continue;
            };
            let shown: u64 = row.cells[1..].iter().filter_map(published).sum();
            let residual = total - shown;
            assert!(
                residual == 0 || residual >= k,
                "{} {:?}: total {total} minus published groups {shown} reveals {residual} answers",
                q.question,
                row.item
            );
            for cell in &row.cells {
                if let Some(n) = published(cell) {
                    assert!(
                        n == 0 || n >= k,
                        "{} {:?}: a group of {n} is shown",
                        q.question,
                        cell.group
                    );
                }
            }
        }
    }
    let total = results.responses.unwrap_or(0);
    let shown: u64 = results.groups.iter().filter_map(|g| g.responses).sum();
    if results.responses.is_some() {
        let residual = total - shown;
        assert!(
            residual == 0 || residual >= k,
            "response counts reveal {residual}"
        );
    }
}

#[test]
fn survey_results_hide_departments_with_fewer_than_five_answers() {
    let (q, _) = questionnaire();
    let results = aggregate(&q, &twelve(&q), &AggregateOptions::default()).unwrap();
    assert_eq!(results.responses, Some(12));
    let group = |id: &str| results.groups.iter().find(|g| g.id == id).unwrap();
    assert_eq!(group("buergerservice").responses, Some(6));
    assert_eq!(group("kaemmerei").responses, None);
    assert_eq!(group("it").responses, Some(0));
    let usage = results.question("nutzung_haeufigkeit").unwrap();
    let kaemmerei = usage.rows[0].cell(Some("kaemmerei")).unwrap();
    assert!(kaemmerei.suppressed && kaemmerei.options.is_empty() && kaemmerei.answered.is_none());
}

#[test]
fn a_differencing_attack_on_the_department_totals_reveals_nothing() {
    let (q, _) = questionnaire();
    let results = aggregate(&q, &twelve(&q), &AggregateOptions::default()).unwrap();
    // Naively hiding only the Kämmerei (1 answer) would let 12 − 6 − 5 = 1
    // through. The Jugendamt, the next smallest, is hidden with it.
    let group = |id: &str| results.groups.iter().find(|g| g.id == id).unwrap();
    assert_eq!(group("jugendamt").responses, None);
    let usage = results.question("nutzung_haeufigkeit").unwrap();
    let total = usage.rows[0].cell(None).unwrap();
    let shown: Vec<&Cell> = usage.rows[0].cells[1..]
        .iter()
        .filter(|c| !c.suppressed)
        .collect();
    for option in &total.options {
        let rest: u64 = shown
            .iter()
            .map(|c| {
                c.options
                    .iter()
                    .find(|o| o.option == option.option)
                    .unwrap()
                    .count
                    .unwrap()
            })
            .sum();
        // The difference is a figure over the 6 hidden answers together.
        assert!(option.count.unwrap() >= rest);
    }
    assert_no_small_difference(&results);
}

#[test]
fn the_distribution_of_department_and_role_does_not_reveal_the_hidden_group_sizes() {
    let (q, _) = questionnaire();
    let results = aggregate(&q, &twelve(&q), &AggregateOptions::default()).unwrap();
    let count = |question: &str, option: &str| {
        let cell = &results.question(question).unwrap().rows[0].cells[0];
        cell.options
            .iter()
            .find(|o| o.option == option)
            .unwrap()
            .count
    };
    // Naively the overall answer to "Fachbereich" would show Kämmerei: 1.
    assert_eq!(count("fachbereich", "kaemmerei"), None);
    assert_eq!(count("fachbereich", "jugendamt"), None);
    assert_eq!(count("fachbereich", "buergerservice"), Some(6));
    // One IT person, five leaders: hidden together in the role distribution.
    assert_eq!(count("art_der_taetigkeit", "it"), None);
    assert_eq!(count("art_der_taetigkeit", "fuehrungskraefte"), None);
    assert_eq!(count("art_der_taetigkeit", "alle"), Some(6));
    // And a breakdown by role hides the same groups as the distribution above.
    let by_role = aggregate(
        &q,
        &twelve(&q),
        &AggregateOptions {
            group_by: Some("art_der_taetigkeit".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let role_group = |id: &str| {
        by_role
            .groups
            .iter()
            .find(|g| g.id == id)
            .unwrap()
            .responses
    };
    assert_eq!(role_group("it"), None);
    assert_eq!(role_group("alle"), Some(6));
}

#[test]
fn a_question_answered_by_few_in_a_large_department_is_hidden_there_and_by_difference() {
    let (q, _) = questionnaire();
    let mut responses = twelve(&q);
    for _ in 0..5 {
        responses.push(answer(&q, "kaemmerei", "alle", 1, false, ""));
    }
    // Now the Kämmerei has 6 answers; "werkzeuge" (shown only to users) has
    // 3 users in Bürgerservice, 5 in the Jugendamt, 0 in the Kämmerei.
    let results = aggregate(&q, &responses, &AggregateOptions::default()).unwrap();
    let tools = &results.question("werkzeuge").unwrap().rows[0];
    assert!(tools.cell(Some("buergerservice")).unwrap().suppressed);
    assert_no_small_difference(&results);
}

#[test]
fn fewer_than_k_answers_in_total_hide_everything() {
    let (q, _) = questionnaire();
    let responses: Vec<Response> = twelve(&q).into_iter().take(4).collect();
    let results = aggregate(&q, &responses, &AggregateOptions::default()).unwrap();
    assert_eq!(results.responses, None);
    assert!(results
        .questions
        .iter()
        .flat_map(|q| &q.rows)
        .flat_map(|r| &r.cells)
        .all(|c| c.suppressed));
    assert!(results.questions.iter().all(|q| q.free_texts.is_none()));
}

#[test]
fn k_below_three_is_refused_and_a_larger_k_hides_more() {
    let (q, _) = questionnaire();
    let responses = twelve(&q);
    let options = AggregateOptions {
        min_group_size: 2,
        ..Default::default()
    };
    assert!(aggregate(&q, &responses, &options).is_err());
    let options = AggregateOptions {
        min_group_size: 7,
        ..Default::default()
    };
    let results = aggregate(&q, &responses, &options).unwrap();
    assert!(results
        .groups
        .iter()
        .all(|g| g.responses.is_none() || g.responses == Some(0)));
    assert_no_small_difference(&results);
}

#[test]
fn shares_means_and_medians_are_computed_for_published_cells() {
    let (q, _) = questionnaire();
    let results = aggregate(&q, &twelve(&q), &AggregateOptions::default()).unwrap();
    let usage = &results.question("nutzung_haeufigkeit").unwrap().rows[0];
    let all = usage.cell(None).unwrap();
    let weekly = all
        .options
        .iter()
        .find(|o| o.option == "woechentlich")
        .unwrap();
    // 3 in Bürgerservice and 5 in the Jugendamt use AI weekly.
    assert_eq!(weekly.count, Some(8));
    assert!((weekly.share.unwrap() - 8.0 / 12.0).abs() < 1e-9);
    let interest = &results.question("lerninteresse").unwrap().rows[0];
    assert_eq!(interest.cell(None).unwrap().mean, Some(4.0));
    let hours = &results.question("zeit_pro_monat").unwrap().rows[0];
    assert_eq!(hours.cell(None).unwrap().median, Some(2.0));
    let fears = results.question("bedenken").unwrap();
    assert_eq!(fears.rows.len(), 5);
    assert_eq!(fears.rows[2].item.as_deref(), Some("fehler"));
    assert_eq!(
        fears.rows[2].cell(Some("buergerservice")).unwrap().mean,
        Some(5.0)
    );
}

#[test]
fn free_texts_are_listed_sorted_and_only_overall() {
    let (q, _) = questionnaire();
    let results = aggregate(&q, &twelve(&q), &AggregateOptions::default()).unwrap();
    let ideas = results.question("ideen_anwendungsfaelle").unwrap();
    let texts = ideas.free_texts.as_ref().unwrap();
    assert_eq!(texts.len(), 8);
    assert!(texts.windows(2).all(|w| w[0] <= w[1]));
    let options = AggregateOptions {
        include_free_texts: false,
        ..Default::default()
    };
    let results = aggregate(&q, &twelve(&q), &options).unwrap();
    assert!(results
        .question("ideen_anwendungsfaelle")
        .unwrap()
        .free_texts
        .is_none());
}

#[test]
fn answers_without_a_known_department_form_their_own_group() {
    let (q, _) = questionnaire();
    let mut responses = twelve(&q);
    for r in responses.iter_mut().take(5) {
        r.answers.remove("fachbereich");
    }
    let results = aggregate(&q, &responses, &AggregateOptions::default()).unwrap();
    let none = results.groups.iter().find(|g| g.id == NO_GROUP).unwrap();
    assert_eq!(none.responses, Some(5));
    assert_no_small_difference(&results);
}

#[test]
fn results_can_be_broken_down_by_kind_of_role_and_give_response_rates() {
    let (q, _) = questionnaire();
    let options = AggregateOptions {
        group_by: Some("art_der_taetigkeit".into()),
        staff_counts: [("alle".to_string(), 12)].into(),
        ..Default::default()
    };
    let results = aggregate(&q, &twelve(&q), &options).unwrap();
    assert_eq!(results.group_by.as_deref(), Some("art_der_taetigkeit"));
    let group = |id: &str| results.groups.iter().find(|g| g.id == id).unwrap();
    assert_eq!(group("alle").responses, Some(6));
    assert_eq!(group("alle").response_rate, Some(0.5));
    // One IT person; the 5 leaders are hidden with them (12 − 6 = 6).
    assert_eq!(group("it").responses, None);
    assert_eq!(group("fuehrungskraefte").responses, None);
    assert_no_small_difference(&results);
}

#[test]
fn the_results_json_matches_its_schema() {
    let (q, _) = questionnaire();
    let results = aggregate(&q, &twelve(&q), &AggregateOptions::default()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../schemas/survey-results.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value: serde_json::Value = serde_json::from_str(&results_to_json(&results)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let back: SurveyResults = serde_json::from_value(value).unwrap();
    assert_eq!(back, results);
}

#[test]
fn the_results_csv_is_rfc_4180_with_a_row_per_option_and_group() {
    let (q, _) = questionnaire();
    let results = aggregate(&q, &twelve(&q), &AggregateOptions::default()).unwrap();
    let csv_text = results_to_csv(&results).unwrap();
    assert!(csv_text.contains("\r\n"));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        CSV_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let weekly_total = rows
        .iter()
        .find(|r| &r[0] == "nutzung_haeufigkeit" && &r[4] == "woechentlich" && r[6].is_empty())
        .unwrap();
    assert_eq!(&weekly_total[7], "Gesamt");
    assert_eq!(&weekly_total[8], "8");
    assert_eq!(&weekly_total[9], "0.6667");
    let kaemmerei: Vec<_> = rows
        .iter()
        .filter(|r| &r[0] == "nutzung_haeufigkeit" && &r[6] == "kaemmerei")
        .collect();
    assert_eq!(kaemmerei.len(), 1);
    assert!(kaemmerei[0][12].starts_with("unterdrückt"));
    // Labels with commas and quotes survive the round trip.
    assert!(rows.iter().any(|r| r[5].contains("Le Chat, Claude")));
}

#[test]
fn competency_gaps_compare_self_assessment_with_role_targets_per_department() {
    let (q, model) = questionnaire();
    let gaps = competency_gaps(&q, &twelve(&q), &model, &AggregateOptions::default()).unwrap();
    let dept = |id: &str| {
        gaps.groups
            .iter()
            .find(|g| g.group.as_deref() == Some(id))
            .unwrap()
    };
    let service = dept("buergerservice");
    let law = service
        .areas
        .iter()
        .find(|a| a.area == "recht_und_ethik")
        .unwrap();
    // Everyone there is at level 1 with the baseline target 1.
    assert_eq!(law.mean_level, Some(1.0));
    assert_eq!(law.below_target, Some(0));
    // Bürgerservice's role mix is public (6 × "alle"), so is its mean target.
    assert_eq!(law.mean_target, Some(1.0));
    assert!(dept("jugendamt").areas.iter().all(|a| a.suppressed));
    assert!(dept("kaemmerei").areas.iter().all(|a| a.suppressed));
    let overall = &gaps.groups[0];
    let shaping = overall
        .areas
        .iter()
        .find(|a| a.area == "ki_gestalten")
        .unwrap();
    // Leaders (target 2) at level 2, IT (target 3) at 0, staff (target 0) at 1.
    assert_eq!(shaping.below_target, Some(1));
    // Overall the role mix hides one IT person: the mean target would tell.
    assert_eq!(shaping.mean_target, None);
    let levels = gaps.current_levels_by_department();
    assert_eq!(levels.keys().collect::<Vec<_>>(), ["buergerservice"]);
    assert_eq!(levels["buergerservice"]["ki_verstehen"], 1.0);
}

#[test]
fn the_markdown_report_shows_published_figures_and_dashes_for_hidden_ones() {
    use journey::survey::report::results_markdown;
    let (q, _) = questionnaire();
    let mut responses = twelve(&q);
    responses.push(answer(
        &q,
        "buergerservice",
        "alle",
        1,
        true,
        "<b>fett</b> | Tabelle",
    ));
    let results = aggregate(&q, &responses, &AggregateOptions::default()).unwrap();
    let md = results_markdown(&q, &results);
    if std::env::var_os("PRINT_REPORT").is_some() {
        println!("{md}");
    }
    assert!(md.starts_with("# Ergebnisse: Bestandsaufnahme"));
    assert!(md.contains("| Kämmerei | – |"), "{md}");
    assert!(md.contains("## Ihre Nutzung von KI heute"));
    assert!(md.contains("9 (69,2 %)"), "{md}");
    assert!(md.contains("- \\<b\\>fett\\</b\\> \\| Tabelle"), "{md}");
    let few = aggregate(&q, &responses[..3], &AggregateOptions::default()).unwrap();
    assert!(results_markdown(&q, &few).contains("weniger als 5 Antworten"));
}

#[test]
fn the_answer_level_export_coarsens_department_and_role_until_every_combination_has_k_rows() {
    use journey::survey::anonymise::{anonymised_answers_csv, AnswerExportOptions, GENERALISED};
    let (q, _) = questionnaire();
    let export = anonymised_answers_csv(&q, &twelve(&q), &AnswerExportOptions::default()).unwrap();
    assert_eq!(export.rows, 12);
    let mut reader = csv::Reader::from_reader(export.csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "fachbereich");
    assert!(headers.iter().any(|h| h == "werkzeuge.chatgpt"));
    assert!(headers.iter().any(|h| h == "bedenken.fehler"));
    assert!(
        !headers.iter().any(|h| h == "ideen_anwendungsfaelle"),
        "free texts are off by default"
    );
    let mut classes: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for row in reader.records() {
        let row = row.unwrap();
        *classes
            .entry((row[0].to_string(), row[1].to_string()))
            .or_default() += 1;
    }
    assert!(classes.values().all(|n| *n >= 5), "{classes:?}");
    assert_eq!(
        classes.get(&("Bürgerservice".to_string(), GENERALISED.to_string())),
        None
    );
    assert!(classes
        .keys()
        .all(|(d, _)| d != "Kämmerei" && d != "Jugendamt"));
    assert_eq!(export.generalised_departments, 6);
    let too_few = anonymised_answers_csv(&q, &twelve(&q)[..4], &AnswerExportOptions::default());
    assert!(too_few.is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_published_figure_or_difference_rests_on_fewer_than_k_answers(
        people in proptest::collection::vec((0usize..5, 0usize..4, any::<bool>(), 0i64..5), 0..40),
        k in 3u32..7,
    ) {
        let (q, _) = questionnaire();
        let depts = ["buergerservice", "jugendamt", "kaemmerei", "it", ""];
        let roles = ["alle", "fuehrungskraefte", "it", "personalrat"];
        let responses: Vec<Response> = people
            .iter()
            .map(|(d, role, uses, level)| {
                let dept = if depts[*d].is_empty() { "it" } else { depts[*d] };
                let mut r = answer(&q, dept, roles[*role], *level, *uses, "x");
                if depts[*d].is_empty() {
                    r.answers.remove("fachbereich");
                }
                r
            })
            .collect();
        let identifiers = ["fachbereich", "art_der_taetigkeit"];
        let by_dept = aggregate(&q, &responses, &AggregateOptions { min_group_size: k, ..Default::default() }).unwrap();
        let by_role = aggregate(
            &q,
            &responses,
            &AggregateOptions { min_group_size: k, group_by: Some("art_der_taetigkeit".into()), ..Default::default() },
        )
        .unwrap();
        for results in [&by_dept, &by_role] {
            assert_no_small_difference(results);
            assert_no_small_option_difference(results, &identifiers);
        }
        // The two reports hide the same group sizes: one's groups are the
        // other's distribution of the grouping question.
        let hidden_groups = |r: &SurveyResults| -> Vec<String> {
            r.groups.iter().filter(|g| g.responses.is_none() && g.id != NO_GROUP).map(|g| g.id.clone()).collect()
        };
        let hidden_options = |r: &SurveyResults, question: &str| -> Option<Vec<String>> {
            let cell = &r.question(question).unwrap().rows[0].cells[0];
            // A wholly hidden cell hides more than the group table: fine.
            (!cell.suppressed).then(|| {
                cell.options.iter().filter(|o| o.count.is_none()).map(|o| o.option.clone()).collect()
            })
        };
        if let Some(hidden) = hidden_options(&by_role, "fachbereich") {
            prop_assert_eq!(hidden_groups(&by_dept), hidden);
        }
        if let Some(hidden) = hidden_options(&by_dept, "art_der_taetigkeit") {
            prop_assert_eq!(hidden_groups(&by_role), hidden);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_department_and_role_combination_in_the_answer_export_has_k_rows(
        people in proptest::collection::vec((0usize..4, 0usize..4), 5..40),
        k in 3u32..6,
    ) {
        use journey::survey::anonymise::{anonymised_answers_csv, AnswerExportOptions};
        let (q, _) = questionnaire();
        let depts = ["buergerservice", "jugendamt", "kaemmerei", "it"];
        let roles = ["alle", "fuehrungskraefte", "it", "fachanwendung"];
        let responses: Vec<Response> = people
            .iter()
            .map(|(d, r)| answer(&q, depts[*d], roles[*r], 1, true, ""))
            .collect();
        let options = AnswerExportOptions { min_group_size: k, include_free_texts: false };
        prop_assume!(responses.len() >= k as usize);
        let export = anonymised_answers_csv(&q, &responses, &options).unwrap();
        let mut reader = csv::Reader::from_reader(export.csv.as_bytes());
        let mut classes: std::collections::BTreeMap<(String, String), usize> = Default::default();
        for row in reader.records() {
            let row = row.unwrap();
            *classes.entry((row[0].to_string(), row[1].to_string())).or_default() += 1;
        }
        prop_assert_eq!(classes.values().sum::<usize>(), responses.len());
        prop_assert!(classes.values().all(|n| *n >= k as usize), "{:?}", classes);
    }
}

/// A questionnaire without a department or role question (e.g. imported
/// from LimeSurvey) still shows its results for all answers.
#[test]
fn a_survey_without_department_question_shows_its_results_for_all_answers() {
    let q = journey::survey::parse_questionnaire(
        br#"{"id": "kurz", "version": 1, "title": "Kurz", "language": "de",
        "sections": [{"id": "s", "title": "Fragen", "questions": [{"id": "nutzung",
        "type": "single_choice", "text": "Nutzen Sie KI?", "required": true,
        "options": [{"id": "ja", "label": "Ja"}, {"id": "nein", "label": "Nein"}]}]}]}"#,
    )
    .unwrap()
    .questionnaire;
    let responses: Vec<Response> = (0..9)
        .map(|i| {
            let input: ResponseInput =
                serde_json::from_value(json!({"nutzung": if i < 6 { "ja" } else { "nein" }}))
                    .unwrap();
            validate_response(&q, &input, Completeness::Complete).unwrap()
        })
        .collect();
    let results = aggregate(
        &q,
        &responses,
        &AggregateOptions {
            min_group_size: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(results.responses, Some(9));
    let overall = &results.questions[0].rows[0].cells[0];
    assert!(!overall.suppressed, "{overall:?}");
    assert_eq!(overall.answered, Some(9));
    let count = |id: &str| {
        overall
            .options
            .iter()
            .find(|o| o.option == id)
            .unwrap()
            .count
    };
    assert_eq!((count("ja"), count("nein")), (Some(6), Some(3)));
}
