//! The test description ("Spec"): which endpoints are compared, with which
//! workloads, under which load, against which service-level objective.
//! Written in YAML by people; checked against `schemas/bench-spec.schema.json`
//! first, so that every mistake is reported with its YAML path, and then for
//! what a schema cannot say (unique names, references between sections).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::BenchError;
use crate::schema_check::{check_against_schema, Echo};

/// The JSON Schema of a spec, published under `schemas/`.
pub const SPEC_SCHEMA: &str = include_str!("../../../schemas/bench-spec.schema.json");

/// The commented example spec shipped with the program.
pub const EXAMPLE_SPEC: &str = include_str!("../../../content/de/bench/beispiel-spec.yaml");

/// The example the portal offers: keys stored in the portal, built-in tasks only.
pub const PORTAL_EXAMPLE_SPEC: &str =
    include_str!("../../../content/de/bench/beispiel-spec-portal.yaml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub targets: Vec<Target>,
    pub workloads: Vec<Workload>,
    pub load_profiles: Vec<LoadProfile>,
    #[serde(default)]
    pub slo: Slo,
    #[serde(default)]
    pub users: UserModel,
    /// The workload whose load sweep decides how many users a target serves.
    /// Default: the first workload.
    #[serde(default)]
    pub capacity_workload: Option<String>,
    /// Upper bound for answer length in tokens in task workloads.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    #[serde(default)]
    pub temperature: f64,
}

fn default_max_tokens() -> u32 {
    512
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub name: String,
    /// Base URL up to and including `/v1`.
    pub base_url: String,
    #[serde(default)]
    pub api_key: Option<String>,
    /// Name of an environment variable holding the key; keeps keys out of specs.
    #[serde(default)]
    pub api_key_env: Option<String>,
    pub model: String,
    #[serde(default)]
    pub hardware: Option<String>,
    /// Data classes the AI policy allows to be sent to this target.
    #[serde(default)]
    pub data_classes: Vec<String>,
    pub cost: Cost,
    #[serde(default = "default_timeout")]
    pub request_timeout_s: f64,
    /// A local target's server process (name or id), whose CPU and memory
    /// are sampled during the run.
    #[serde(default)]
    pub local_process: Option<String>,
}

fn default_timeout() -> f64 {
    120.0
}

/// What a target costs. Exactly one of the fields is set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cost {
    /// Rented by the hour (private cloud instance).
    Hourly {
        eur_per_hour: f64,
        #[serde(default = "default_hours_per_month")]
        hours_per_month: f64,
        #[serde(default)]
        min_term_months: Option<f64>,
    },
    /// Rented by the month.
    Monthly { eur_per_month: f64 },
    /// Bought: depreciation over the years of use plus electricity.
    Purchase {
        price_eur: f64,
        years: f64,
        power_watts: f64,
        eur_per_kwh: f64,
        #[serde(default = "default_hours_per_month")]
        hours_per_month: f64,
        #[serde(default)]
        maintenance_eur_per_year: f64,
    },
    /// Paid per token (hosted API).
    PerToken {
        eur_per_1m_input: f64,
        eur_per_1m_output: f64,
    },
}

fn default_hours_per_month() -> f64 {
    730.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    /// Id of a built-in task set (see `tasks::builtin_ids`).
    #[serde(default)]
    pub task: Option<String>,
    /// Path of a municipality's own task file, relative to the spec file.
    #[serde(default)]
    pub task_file: Option<String>,
    #[serde(default)]
    pub synthetic: Option<Synthetic>,
    /// Name of the load profile; default: the first one.
    #[serde(default)]
    pub load: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synthetic {
    pub input_tokens: Distribution,
    pub output_tokens: Distribution,
    #[serde(default)]
    pub seed: u64,
    /// Asks vLLM-style servers to ignore the end-of-sequence token so that
    /// every answer has the drawn length. Off by default: other servers may
    /// reject the unknown field.
    #[serde(default)]
    pub ignore_eos: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Fixed(u32),
    Uniform {
        min: u32,
        max: u32,
    },
    Normal {
        mean: f64,
        std_dev: f64,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadProfile {
    pub name: String,
    /// Numbers of simultaneous users to test, e.g. [1, 2, 4, 8].
    pub concurrency: Vec<u32>,
    /// Requests per concurrency level. Task workloads default to their item count.
    #[serde(default)]
    pub requests: Option<u64>,
    /// Time limit per concurrency level in seconds.
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// Poisson arrivals at this rate (requests per second) instead of a
    /// closed loop; the concurrency level then caps requests in flight.
    #[serde(default)]
    pub rate_per_s: Option<f64>,
    /// Several Poisson rates, each measured as its own level.
    #[serde(default)]
    pub rates_per_s: Vec<f64>,
    #[serde(default)]
    pub warmup_requests: u64,
    #[serde(default)]
    pub seed: u64,
    /// After the listed levels, search for the largest concurrency up to
    /// this bound that still meets the SLO (doubling, then bisection).
    #[serde(default)]
    pub search_max: Option<u32>,
    /// How often each level is measured, one after the other; from two on
    /// the report's intervals show the spread between runs, not only
    /// between requests.
    #[serde(default = "one_repetition")]
    pub repetitions: u32,
}

fn one_repetition() -> u32 {
    1
}

/// Service-level objective: what "served well" means for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    #[serde(default = "default_ttft")]
    pub ttft_p95_ms: f64,
    #[serde(default = "default_tps")]
    pub min_tokens_per_s: f64,
    #[serde(default = "default_err")]
    pub max_error_rate: f64,
}

fn default_ttft() -> f64 {
    2000.0
}
fn default_tps() -> f64 {
    5.0
}
fn default_err() -> f64 {
    0.01
}

impl Default for Slo {
    fn default() -> Self {
        Slo {
            ttft_p95_ms: default_ttft(),
            min_tokens_per_s: default_tps(),
            max_error_rate: default_err(),
        }
    }
}

/// How many staff one concurrent stream stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserModel {
    /// Share of staff sending a request at the same moment (0.05 = 5 %).
    #[serde(default = "default_active_share")]
    pub active_share: f64,
    /// Number of staff who would use the service, if known.
    #[serde(default)]
    pub staff: Option<u64>,
    /// Requests per user and month, for per-token prices.
    #[serde(default = "default_requests_per_user")]
    pub requests_per_user_per_month: f64,
}

fn default_active_share() -> f64 {
    0.1
}
fn default_requests_per_user() -> f64 {
    400.0
}

impl Default for UserModel {
    fn default() -> Self {
        UserModel {
            active_share: default_active_share(),
            staff: None,
            requests_per_user_per_month: default_requests_per_user(),
        }
    }
}

impl LoadProfile {
    /// The arrival rates to measure; `None` stands for the closed loop.
    pub fn rates(&self) -> Vec<Option<f64>> {
        if !self.rates_per_s.is_empty() {
            self.rates_per_s.iter().copied().map(Some).collect()
        } else {
            vec![self.rate_per_s]
        }
    }
}

impl Workload {
    pub fn is_synthetic(&self) -> bool {
        self.synthetic.is_some()
    }
}

impl Spec {
    /// Checks what the schema cannot (unique names, references) and the
    /// bounds the run relies on. `parse_spec` calls it; call it yourself for
    /// a spec built in code.
    pub fn validate(&self) -> Result<(), BenchError> {
        check_semantics(self, &[])
    }

    /// The load profile a workload runs under.
    pub fn profile_for(&self, workload: &Workload) -> &LoadProfile {
        workload
            .load
            .as_deref()
            .and_then(|n| self.load_profiles.iter().find(|p| p.name == n))
            .unwrap_or(&self.load_profiles[0])
    }

    /// Name of the workload whose sweep decides user capacity.
    pub fn capacity_workload(&self) -> &str {
        self.capacity_workload
            .as_deref()
            .unwrap_or(&self.workloads[0].name)
    }
}

/// Parses and checks a spec. Every error names the field by its YAML path.
pub fn parse_spec(yaml: &str) -> Result<Spec, BenchError> {
    parse_spec_with_tasks(yaml, &[])
}

/// As [`parse_spec`], where `task:` may also name one of `extra_tasks`
/// (the ids of task sets uploaded in the portal).
pub fn parse_spec_with_tasks(yaml: &str, extra_tasks: &[&str]) -> Result<Spec, BenchError> {
    let value: Value = serde_yaml::from_str(yaml).map_err(|e| {
        let field = e
            .location()
            .map(|l| format!("Zeile {}, Spalte {}", l.line(), l.column()))
            .unwrap_or_else(|| "(Datei)".into());
        BenchError::spec(field, format!("Kein gültiges YAML: {e}"))
    })?;
    check_against_schema(&value, SPEC_SCHEMA, Echo::Values)?;
    let spec: Spec = serde_json::from_value(value)
        .map_err(|e| BenchError::spec("(Wurzel)", format!("Unerwarteter Aufbau: {e}")))?;
    check_semantics(&spec, extra_tasks)?;
    Ok(spec)
}

fn check_semantics(spec: &Spec, extra_tasks: &[&str]) -> Result<(), BenchError> {
    // A spec built in code (the portal's form) skips the schema; these are
    // the bounds the rest of the crate indexes on.
    for (field, empty) in [
        ("targets", spec.targets.is_empty()),
        ("workloads", spec.workloads.is_empty()),
        ("load_profiles", spec.load_profiles.is_empty()),
    ] {
        if empty {
            return Err(BenchError::spec(field, "braucht mindestens einen Eintrag"));
        }
    }
    let positive = |v: f64| v.is_finite() && v > 0.0 && v < 1e9;
    for (i, t) in spec.targets.iter().enumerate() {
        if !positive(t.request_timeout_s) {
            return Err(BenchError::spec(
                format!("targets[{i}].request_timeout_s"),
                "muss eine positive Zahl von Sekunden sein",
            ));
        }
    }
    for (i, p) in spec.load_profiles.iter().enumerate() {
        for (field, v) in [("duration_s", p.duration_s), ("rate_per_s", p.rate_per_s)] {
            if v.is_some_and(|v| !positive(v)) {
                return Err(BenchError::spec(
                    format!("load_profiles[{i}].{field}"),
                    "muss eine positive Zahl sein",
                ));
            }
        }
        if p.rates_per_s.iter().any(|&r| !positive(r)) {
            return Err(BenchError::spec(
                format!("load_profiles[{i}].rates_per_s"),
                "jede Rate muss eine positive Zahl sein",
            ));
        }
        if p.rate_per_s.is_some() && !p.rates_per_s.is_empty() {
            return Err(BenchError::spec(
                format!("load_profiles[{i}]"),
                "entweder rate_per_s oder rates_per_s angeben, nicht beides",
            ));
        }
        if p.repetitions == 0 || p.repetitions > 100 {
            return Err(BenchError::spec(
                format!("load_profiles[{i}].repetitions"),
                "muss zwischen 1 und 100 liegen",
            ));
        }
        if p.concurrency.is_empty() || p.concurrency.contains(&0) {
            return Err(BenchError::spec(
                format!("load_profiles[{i}].concurrency"),
                "braucht mindestens eine Nutzerzahl, jede mindestens 1",
            ));
        }
    }
    if !(spec.users.active_share > 0.0 && spec.users.active_share <= 1.0) {
        return Err(BenchError::spec(
            "users.active_share",
            "muss größer als 0 und höchstens 1 sein",
        ));
    }
    unique(spec.targets.iter().map(|t| t.name.as_str()), "targets")?;
    unique(spec.workloads.iter().map(|w| w.name.as_str()), "workloads")?;
    unique(
        spec.load_profiles.iter().map(|p| p.name.as_str()),
        "load_profiles",
    )?;
    for (i, t) in spec.targets.iter().enumerate() {
        if !(t.base_url.starts_with("http://") || t.base_url.starts_with("https://")) {
            return Err(BenchError::spec(
                format!("targets[{i}].base_url"),
                format!(
                    "muss mit http:// oder https:// beginnen, gefunden: {:?}",
                    t.base_url
                ),
            ));
        }
        if t.api_key.is_some() && t.api_key_env.is_some() {
            return Err(BenchError::spec(
                format!("targets[{i}]"),
                "entweder api_key oder api_key_env angeben, nicht beides",
            ));
        }
    }
    for (i, w) in spec.workloads.iter().enumerate() {
        let kinds =
            w.task.is_some() as u8 + w.task_file.is_some() as u8 + w.synthetic.is_some() as u8;
        if kinds != 1 {
            return Err(BenchError::spec(
                format!("workloads[{i}]"),
                "genau eines von task, task_file oder synthetic angeben",
            ));
        }
        if let Some(task) = &w.task {
            if !crate::tasks::builtin_ids().contains(&task.as_str())
                && !extra_tasks.contains(&task.as_str())
            {
                let uploaded = if extra_tasks.is_empty() {
                    String::new()
                } else {
                    format!("; im Portal hochgeladen: {}", extra_tasks.join(", "))
                };
                return Err(BenchError::spec(
                    format!("workloads[{i}].task"),
                    format!(
                        "unbekannte Aufgabe {task:?}; eingebaut sind: {}{uploaded}",
                        crate::tasks::builtin_ids().join(", ")
                    ),
                ));
            }
        }
        if let Some(load) = &w.load {
            if !spec.load_profiles.iter().any(|p| &p.name == load) {
                return Err(BenchError::spec(
                    format!("workloads[{i}].load"),
                    format!("es gibt kein Lastprofil namens {load:?}"),
                ));
            }
        }
        if let Some(s) = &w.synthetic {
            for (field, d) in [
                ("input_tokens", &s.input_tokens),
                ("output_tokens", &s.output_tokens),
            ] {
                if let Distribution::Uniform { min, max } = d {
                    if min > max {
                        return Err(BenchError::spec(
                            format!("workloads[{i}].synthetic.{field}.uniform"),
                            format!("min ({min}) ist größer als max ({max})"),
                        ));
                    }
                }
            }
        }
    }
    for (i, p) in spec.load_profiles.iter().enumerate() {
        if p.requests.is_none() && p.duration_s.is_none() {
            // Task workloads fall back to their item count; synthetic ones
            // would never stop, so they need one of the two bounds.
            let used_by_synthetic = spec
                .workloads
                .iter()
                .any(|w| w.is_synthetic() && spec.profile_for(w).name == p.name);
            if used_by_synthetic {
                return Err(BenchError::spec(
                    format!("load_profiles[{i}]"),
                    "requests oder duration_s angeben, sonst endet der Lasttest nie",
                ));
            }
        }
    }
    if let Some(c) = &spec.capacity_workload {
        if !spec.workloads.iter().any(|w| &w.name == c) {
            return Err(BenchError::spec(
                "capacity_workload",
                format!("es gibt keine Arbeitslast namens {c:?}"),
            ));
        }
    }
    Ok(())
}

fn unique<'a>(names: impl Iterator<Item = &'a str>, field: &str) -> Result<(), BenchError> {
    let mut seen = HashSet::new();
    for (i, n) in names.enumerate() {
        if !seen.insert(n) {
            return Err(BenchError::spec(
                format!("{field}[{i}].name"),
                format!("der Name {n:?} kommt doppelt vor"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_example_is_valid() {
        let spec = parse_spec(PORTAL_EXAMPLE_SPEC).unwrap();
        assert!(spec
            .targets
            .iter()
            .all(|t| t.api_key.is_none() && t.api_key_env.is_none()));
    }

    #[test]
    fn the_example_spec_is_valid() {
        let spec = parse_spec(EXAMPLE_SPEC).unwrap();
        assert!(spec.targets.len() >= 2);
        assert!(spec.workloads.iter().any(|w| w.is_synthetic()));
    }

    fn err_of(yaml: &str) -> (String, String) {
        match parse_spec(yaml) {
            Err(BenchError::Spec { field, message }) => (field, message),
            other => panic!("expected spec error, got {other:?}"),
        }
    }

    const MINIMAL: &str = r#"
name: Test
targets:
  - name: A
    base_url: http://127.0.0.1:1/v1
    model: m
    cost: { monthly: { eur_per_month: 100 } }
workloads:
  - name: w
    synthetic: { input_tokens: { fixed: 10 }, output_tokens: { fixed: 10 } }
load_profiles:
  - name: p
    concurrency: [1, 2]
    requests: 4
"#;

    #[test]
    fn a_minimal_spec_parses_with_defaults() {
        let spec = parse_spec(MINIMAL).unwrap();
        assert_eq!(spec.slo.ttft_p95_ms, 2000.0);
        assert_eq!(spec.capacity_workload(), "w");
        assert_eq!(spec.targets[0].request_timeout_s, 120.0);
    }

    #[test]
    fn a_missing_base_url_is_named_in_german() {
        let (field, msg) = err_of(&MINIMAL.replace("    base_url: http://127.0.0.1:1/v1\n", ""));
        assert_eq!(field, "targets[0]");
        assert!(
            msg.contains("Pflichtfeld") && msg.contains("base_url"),
            "{msg}"
        );
    }

    #[test]
    fn a_wrong_type_names_the_field_and_the_expected_type() {
        let (field, msg) = err_of(&MINIMAL.replace("concurrency: [1, 2]", "concurrency: viele"));
        assert_eq!(field, "load_profiles[0].concurrency");
        assert!(msg.contains("eine Liste"), "{msg}");
    }

    #[test]
    fn a_typo_in_a_field_name_is_reported() {
        let (field, msg) = err_of(&MINIMAL.replace("requests: 4", "requets: 4"));
        assert_eq!(field, "load_profiles[0]");
        assert!(msg.contains("requets"), "{msg}");
    }

    #[test]
    fn a_zero_concurrency_is_rejected() {
        let (field, msg) = err_of(&MINIMAL.replace("[1, 2]", "[0, 2]"));
        assert_eq!(field, "load_profiles[0].concurrency[0]");
        assert!(msg.contains("mindestens 1"), "{msg}");
    }

    #[test]
    fn two_cost_models_at_once_are_rejected() {
        let (field, msg) = err_of(&MINIMAL.replace(
            "{ monthly: { eur_per_month: 100 } }",
            "{ monthly: { eur_per_month: 100 }, hourly: { eur_per_hour: 1 } }",
        ));
        assert_eq!(field, "targets[0].cost");
        assert!(msg.contains("genau eine"), "{msg}");
    }

    #[test]
    fn semantic_errors_name_the_field() {
        let (field, msg) = err_of(&MINIMAL.replace("base_url: http://", "base_url: ftp://"));
        assert_eq!(field, "targets[0].base_url");
        assert!(msg.contains("http://"), "{msg}");
        let (field, _) =
            err_of(&MINIMAL.replace("    synthetic:", "    task: gibt-es-nicht\n    synthetic:"));
        assert_eq!(field, "workloads[0]");
        let (field, msg) = err_of(&MINIMAL.replace("    requests: 4\n", ""));
        assert_eq!(field, "load_profiles[0]");
        assert!(msg.contains("endet"), "{msg}");
    }

    #[test]
    fn a_spec_built_in_code_is_checked_for_what_would_break_the_run() {
        let mut spec = parse_spec(MINIMAL).unwrap();
        spec.targets[0].request_timeout_s = -1.0;
        assert!(
            matches!(spec.validate(), Err(BenchError::Spec { field, .. }) if field == "targets[0].request_timeout_s")
        );
        let mut spec = parse_spec(MINIMAL).unwrap();
        spec.load_profiles[0].concurrency.clear();
        assert!(spec.validate().is_err());
        let mut spec = parse_spec(MINIMAL).unwrap();
        spec.workloads.clear();
        assert!(
            matches!(spec.validate(), Err(BenchError::Spec { field, .. }) if field == "workloads")
        );
        let mut spec = parse_spec(MINIMAL).unwrap();
        spec.load_profiles[0].duration_s = Some(f64::NAN);
        assert!(spec.validate().is_err());
    }

    #[test]
    fn one_rate_or_a_list_of_rates_but_not_both() {
        let spec =
            parse_spec(&MINIMAL.replace("requests: 4", "requests: 4\n    rates_per_s: [1, 2]"))
                .unwrap();
        assert_eq!(spec.load_profiles[0].rates(), vec![Some(1.0), Some(2.0)]);
        assert_eq!(
            parse_spec(MINIMAL).unwrap().load_profiles[0].rates(),
            vec![None]
        );
        let (field, msg) = err_of(&MINIMAL.replace(
            "requests: 4",
            "requests: 4\n    rate_per_s: 1\n    rates_per_s: [2]",
        ));
        assert_eq!(field, "load_profiles[0]");
        assert!(msg.contains("nicht beides"), "{msg}");
    }

    #[test]
    fn broken_yaml_reports_line_and_column() {
        let (field, msg) = err_of("name: [unclosed");
        assert!(field.starts_with("Zeile"), "{field}");
        assert!(msg.contains("YAML"));
    }
}
