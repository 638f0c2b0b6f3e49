//! The Vergleichstest (comparison test): runs of the bench crate started
//! from the portal, their progress and their report files.

pub mod allowed_hosts;
pub mod api;
pub mod keys;
pub mod keys_page;
pub mod page;
pub mod runs;
pub mod task_sets;
pub mod task_sets_page;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/vergleichstest", RunBenchmarks, page::list),
    route!(POST "/vergleichstest", RunBenchmarks, page::start),
    route!(POST "/vergleichstest/schluessel", RunBenchmarks, keys_page::save),
    route!(POST "/vergleichstest/schluessel/loeschen", RunBenchmarks, keys_page::delete),
    route!(POST "/vergleichstest/aufgaben", RunBenchmarks, task_sets_page::upload),
    route!(POST "/vergleichstest/aufgaben/loeschen", RunBenchmarks, task_sets_page::delete),
    route!(POST "/vergleichstest/erlaubte-ziele", ManageGateway, task_sets_page::save_hosts),
    route!(GET "/vergleichstest/{id}", RunBenchmarks, page::show),
    route!(POST "/vergleichstest/{id}/abbrechen", RunBenchmarks, page::cancel),
    route!(GET "/vergleichstest/{id}/dateien/{file}", RunBenchmarks, page::file),
    route!(POST "/api/v1/bench/runs", RunBenchmarks, api::start_run),
    route!(POST "/api/v1/bench/runs/{id}/cancel", RunBenchmarks, api::cancel_run),
    route!(GET "/api/v1/bench/target-keys", RunBenchmarks, api::list_keys),
    route!(POST "/api/v1/bench/target-keys", RunBenchmarks, api::save_key),
    route!(DELETE "/api/v1/bench/target-keys/{target}", RunBenchmarks, api::delete_key),
    route!(GET "/api/v1/bench/task-sets", RunBenchmarks, api::list_task_sets),
    route!(POST "/api/v1/bench/task-sets", RunBenchmarks, api::upload_task_set),
    route!(DELETE "/api/v1/bench/task-sets/{id}", RunBenchmarks, api::delete_task_set),
    route!(GET "/api/v1/bench/allowed-hosts", RunBenchmarks, api::allowed_hosts),
    route!(PUT "/api/v1/bench/allowed-hosts", ManageGateway, api::set_allowed_hosts),
];
