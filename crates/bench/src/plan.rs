//! What a run needs, resolved before the first request: the spec, each
//! target's API key and each workload's task set. There are exactly two
//! ways to make a [`RunPlan`], and they differ in whom they trust:
//!
//! - [`RunPlan::from_operator_file`] (`ki-reise bench run`): the spec file
//!   comes from the person who runs the program, so it may name environment
//!   variables (`api_key_env`), own task files (`task_file`, relative to the
//!   spec) and a local process to sample.
//! - [`RunPlan::from_portal`]: the spec was typed into the portal by a user
//!   of the web application. It may reach neither the server's environment
//!   nor its files: keys come only from the portal's write-only key store,
//!   bound to the address they were stored for; task sets only from those
//!   shipped with ki-reise or uploaded in the portal (handed in here as
//!   parsed sets, by id); target addresses must pass the portal's check
//!   (the KI-Gateway's rules for backend addresses and the administrator's
//!   list of allowed hosts).
//!
//! The run itself ([`crate::run_spec`]) reads neither environment nor files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::BenchError;
use crate::spec::{parse_spec, parse_spec_with_tasks, Spec};
use crate::tasks::{self, TaskSet};

/// A spec with everything resolved that the run would otherwise look up.
#[derive(Debug, Clone)]
pub struct RunPlan {
    spec: Spec,
    /// Per target: its key, or why the target cannot be measured.
    keys: Vec<Result<Option<String>, String>>,
    /// Per workload: its task set (`None` for synthetic workloads).
    tasks: Vec<Option<Arc<TaskSet>>>,
}

/// A key stored in the portal for one bench target. It is sent only to the
/// address it was stored with, so a spec cannot redirect it elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTargetKey {
    pub base_url: String,
    pub api_key: String,
}

/// What the portal hands in for specs its users write.
pub struct PortalSources<'a> {
    /// The portal's check of a target's base URL (German reason on refusal).
    pub check_url: &'a dyn Fn(&str) -> Result<(), String>,
    /// Keys stored in the portal, by target name.
    pub keys: &'a BTreeMap<String, StoredTargetKey>,
    /// Task sets uploaded in the portal, by id (never a built-in id).
    pub task_sets: &'a BTreeMap<String, Arc<TaskSet>>,
}

impl RunPlan {
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    pub(crate) fn key(&self, target: usize) -> Result<Option<String>, String> {
        self.keys[target].clone()
    }

    pub(crate) fn task(&self, workload: usize) -> Option<Arc<TaskSet>> {
        self.tasks[workload].clone()
    }

    /// A spec file given by the operator on the command line.
    pub fn from_operator_file(path: &Path) -> Result<RunPlan, BenchError> {
        let text = std::fs::read_to_string(path).map_err(|source| BenchError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let spec = parse_spec(&text)?;
        let spec_dir = path.parent().unwrap_or(Path::new("."));
        RunPlan::operator(spec, spec_dir)
    }

    /// A spec built in code by the operator; `task_file` is relative to `spec_dir`.
    pub fn operator(spec: Spec, spec_dir: &Path) -> Result<RunPlan, BenchError> {
        spec.validate()?;
        let keys = spec
            .targets
            .iter()
            .map(|t| match (&t.api_key, &t.api_key_env) {
                (Some(key), _) => Ok(Some(key.clone())),
                (None, Some(var)) => std::env::var(var).map(Some).map_err(|_| {
                    format!("die Umgebungsvariable {var} mit dem API-Schlüssel ist nicht gesetzt")
                }),
                (None, None) => Ok(None),
            })
            .collect();
        let tasks = spec
            .workloads
            .iter()
            .map(|w| match (&w.task, &w.task_file) {
                (Some(id), _) => tasks::builtin(id).map(Arc::new).map(Some),
                (None, Some(file)) => tasks::load_task_file(&spec_dir.join(file))
                    .map(Arc::new)
                    .map(Some),
                (None, None) => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        Ok(RunPlan { spec, keys, tasks })
    }

    /// A spec entered in the portal (page or API).
    pub fn from_portal(yaml: &str, sources: &PortalSources<'_>) -> Result<RunPlan, BenchError> {
        let uploaded: Vec<&str> = sources.task_sets.keys().map(String::as_str).collect();
        let spec = parse_spec_with_tasks(yaml, &uploaded)?;
        let mut keys = Vec::with_capacity(spec.targets.len());
        for (i, t) in spec.targets.iter().enumerate() {
            let field = |f: &str| format!("targets[{i}].{f}");
            if t.api_key_env.is_some() {
                return Err(BenchError::spec(
                    field("api_key_env"),
                    "im Portal nicht erlaubt: Umgebungsvariablen des Servers sind für \
                     Testbeschreibungen aus dem Portal tabu. Den Schlüssel bitte unter \
                     „API-Schlüssel der Ziele“ für dieses Ziel hinterlegen.",
                ));
            }
            if t.api_key.is_some() {
                return Err(BenchError::spec(
                    field("api_key"),
                    "im Portal nicht erlaubt: Schlüssel gehören nicht in die Testbeschreibung. \
                     Den Schlüssel bitte unter „API-Schlüssel der Ziele“ für dieses Ziel hinterlegen.",
                ));
            }
            if t.local_process.is_some() {
                return Err(BenchError::spec(
                    field("local_process"),
                    "im Portal nicht erlaubt: Prozesse des Servers beobachtet nur \
                     `ki-reise bench run` auf der Kommandozeile.",
                ));
            }
            (sources.check_url)(&t.base_url)
                .map_err(|reason| BenchError::spec(field("base_url"), reason))?;
            keys.push(match sources.keys.get(&t.name) {
                None => Ok(None),
                Some(stored) if stored.base_url == t.base_url => Ok(Some(stored.api_key.clone())),
                Some(stored) => {
                    return Err(BenchError::spec(
                        field("base_url"),
                        format!(
                            "für das Ziel {:?} ist ein API-Schlüssel für die Adresse {} \
                             hinterlegt; er wird nur an diese Adresse gesendet. Bitte die \
                             Adresse angleichen oder den Schlüssel neu hinterlegen.",
                            t.name, stored.base_url
                        ),
                    ))
                }
            });
        }
        let mut tasks = Vec::with_capacity(spec.workloads.len());
        for (i, w) in spec.workloads.iter().enumerate() {
            if w.task_file.is_some() {
                return Err(BenchError::spec(
                    format!("workloads[{i}].task_file"),
                    format!(
                        "im Portal nicht erlaubt: Dateien des Servers sind für Testbeschreibungen \
                         aus dem Portal tabu. Erlaubt sind die eingebauten Aufgaben (task): {} \
                         und im Portal hochgeladene Aufgaben ({})",
                        tasks::builtin_ids().join(", "),
                        if uploaded.is_empty() {
                            "noch keine".to_owned()
                        } else {
                            uploaded.join(", ")
                        }
                    ),
                ));
            }
            tasks.push(match &w.task {
                Some(id) => match sources.task_sets.get(id) {
                    Some(set) => Some(set.clone()),
                    None => Some(Arc::new(tasks::builtin(id)?)),
                },
                None => None,
            });
        }
        Ok(RunPlan { spec, keys, tasks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
name: Test
targets:
  - name: A
    base_url: http://127.0.0.1:1/v1
    model: m
    cost: { monthly: { eur_per_month: 100 } }
workloads:
  - name: w
    task: weiterleitung
load_profiles:
  - name: p
    concurrency: [1]
"#;

    fn any_url(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn portal(yaml: &str, keys: &BTreeMap<String, StoredTargetKey>) -> Result<RunPlan, BenchError> {
        RunPlan::from_portal(
            yaml,
            &PortalSources {
                check_url: &any_url,
                keys,
                task_sets: &BTreeMap::new(),
            },
        )
    }

    fn field_of(r: Result<RunPlan, BenchError>) -> String {
        match r {
            Err(BenchError::Spec { field, .. }) => field,
            other => panic!("expected a spec error, got {other:?}"),
        }
    }

    #[test]
    fn a_portal_spec_may_not_name_an_environment_variable_a_key_a_file_or_a_process() {
        let none = BTreeMap::new();
        let with = |line: &str| SPEC.replace("    model: m\n", &format!("    model: m\n{line}\n"));
        assert_eq!(
            field_of(portal(&with("    api_key_env: HOME"), &none)),
            "targets[0].api_key_env"
        );
        assert_eq!(
            field_of(portal(&with("    api_key: geheim"), &none)),
            "targets[0].api_key"
        );
        assert_eq!(
            field_of(portal(&with("    local_process: sshd"), &none)),
            "targets[0].local_process"
        );
        let file = SPEC.replace("task: weiterleitung", "task_file: /etc/passwd");
        assert_eq!(field_of(portal(&file, &none)), "workloads[0].task_file");
        assert!(portal(SPEC, &none).is_ok());
    }

    #[test]
    fn a_stored_key_goes_only_to_the_address_it_was_stored_for() {
        let mut keys = BTreeMap::new();
        keys.insert(
            "A".to_string(),
            StoredTargetKey {
                base_url: "http://127.0.0.1:1/v1".into(),
                api_key: "k".into(),
            },
        );
        let plan = portal(SPEC, &keys).unwrap();
        assert_eq!(plan.key(0), Ok(Some("k".into())));
        let elsewhere = SPEC.replace("127.0.0.1:1", "127.0.0.1:2");
        assert_eq!(field_of(portal(&elsewhere, &keys)), "targets[0].base_url");
    }

    #[test]
    fn a_portal_spec_passes_the_gateway_url_check() {
        let refuse = |_: &str| Err("nicht erlaubt".to_string());
        let r = RunPlan::from_portal(
            SPEC,
            &PortalSources {
                check_url: &refuse,
                keys: &BTreeMap::new(),
                task_sets: &BTreeMap::new(),
            },
        );
        assert_eq!(field_of(r), "targets[0].base_url");
    }

    #[test]
    fn a_portal_spec_may_name_a_task_set_uploaded_in_the_portal_but_an_operator_spec_may_not() {
        let own = SPEC.replace("task: weiterleitung", "task: eigene-post");
        let mut set = tasks::builtin("weiterleitung").unwrap();
        set.id = "eigene-post".into();
        let mut sets = BTreeMap::new();
        sets.insert("eigene-post".to_string(), Arc::new(set));
        let plan = RunPlan::from_portal(
            &own,
            &PortalSources {
                check_url: &any_url,
                keys: &BTreeMap::new(),
                task_sets: &sets,
            },
        )
        .unwrap();
        assert_eq!(plan.task(0).unwrap().id, "eigene-post");
        assert_eq!(
            field_of(portal(&own, &BTreeMap::new())),
            "workloads[0].task"
        );
        assert!(parse_spec(&own).is_err());
    }

    #[test]
    fn the_operator_may_name_an_environment_variable() {
        let spec =
            parse_spec(&SPEC.replace("    model: m\n", "    model: m\n    api_key_env: PATH\n"))
                .unwrap();
        let plan = RunPlan::operator(spec, Path::new(".")).unwrap();
        assert_eq!(plan.key(0), Ok(std::env::var("PATH").ok()));
    }
}
