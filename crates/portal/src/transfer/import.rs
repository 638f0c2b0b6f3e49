//! Taking over another municipality's bundle, one operation for the page
//! and the API: the check (dry run) of an upload waiting in the data
//! folder, and applying exactly that file with the conflicts chosen.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bundle::import::Plan;
use bundle::BundleError;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::transfer::upload::{self, Upload};
use crate::AppState;

/// The folder where uploaded bundles and exports wait briefly.
pub fn work_dir(state: &AppState) -> Result<PathBuf, AppError> {
    let dir = upload::work_dir(&state.config.data_dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

/// Opens and checks a bundle file on a blocking thread: reading and
/// validating a large bundle is work, not waiting.
async fn open_checked(path: PathBuf) -> Result<bundle::read::Bundle, BundleError> {
    tokio::task::spawn_blocking(move || bundle::read::open(&path))
        .await
        .map_err(|e| BundleError::Content(e.to_string()))?
}

/// What importing a received upload would do; nothing is imported. A
/// refused bundle is not kept.
pub async fn check(state: &AppState, received: &Upload) -> Result<Plan, BundleError> {
    let checked = match open_checked(received.path.clone()).await {
        Ok(b) => {
            bundle::import::plan(
                &state.store,
                &b,
                Some(&state.config.data_dir),
                &BTreeSet::new(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    if checked.is_err() {
        let _ = std::fs::remove_file(&received.path);
    }
    checked
}

/// Why a checked bundle was not applied.
#[derive(Debug)]
pub enum ApplyRefusal {
    /// No checked upload has this token (applied, discarded, or made up).
    Gone,
    Bundle(BundleError),
}

/// Applies the checked upload `token` with the conflicts (item keys) chosen
/// to overwrite, in one transaction, and removes the waiting file.
pub async fn apply(
    state: &AppState,
    cu: &CurrentUser,
    token: &str,
    overwrite: &BTreeSet<String>,
) -> Result<Plan, ApplyRefusal> {
    // Only names the check made: no path can be smuggled in.
    let well_formed = token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let dir =
        work_dir(state).map_err(|e| ApplyRefusal::Bundle(BundleError::Content(e.to_string())))?;
    let path = dir.join(format!("{token}.zip"));
    if !well_formed || !path.is_file() {
        return Err(ApplyRefusal::Gone);
    }
    let data_dir = Some(state.config.data_dir.as_path());
    let outcome = async {
        let b = open_checked(path.clone()).await?;
        let plan = bundle::import::plan(&state.store, &b, data_dir, overwrite).await?;
        bundle::import::apply(&state.store, &cu.actor(), &b, &plan, data_dir).await?;
        Ok::<_, BundleError>(plan)
    }
    .await;
    if outcome.is_ok() {
        let _ = std::fs::remove_file(&path);
    }
    outcome.map_err(ApplyRefusal::Bundle)
}
