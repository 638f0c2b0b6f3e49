//! The Vergleichstest (comparison test): runs of the bench crate started
//! from the portal, their progress and their report files.

pub mod page;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/vergleichstest", RunBenchmarks, page::list),
    route!(POST "/vergleichstest", RunBenchmarks, page::start),
    route!(GET "/vergleichstest/{id}", RunBenchmarks, page::show),
    route!(POST "/vergleichstest/{id}/abbrechen", RunBenchmarks, page::cancel),
    route!(GET "/vergleichstest/{id}/dateien/{file}", RunBenchmarks, page::file),
];
