//! What a POST made and the page after it must show once more: new
//! participation codes, personal links, the invitation links of a user
//! import. The POST answers with a redirect (303) to a GET page that
//! carries a random key in its address; that page takes the result from
//! here. Reloading it shows the same result and creates nothing again.
//!
//! Codes and links are stored only as hashes, so their plain text can live
//! nowhere but here: in memory, for [`KEEP`], for the person who made them
//! (another account's key finds nothing). A restart forgets them, as a
//! closed browser tab would.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a result stays available after the POST that made it.
pub const KEEP: Duration = Duration::from_secs(30 * 60);

/// At most this many results are held; the oldest goes first.
const MAX_ENTRIES: usize = 256;

struct Entry {
    user_id: i64,
    made: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
pub struct Handovers {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Handovers {
    /// Keeps `value` for `user_id` and returns the key for the address.
    pub fn put<T: Any + Send + Sync>(&self, user_id: i64, value: T) -> String {
        let key = store::random_token(16);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| e.made.elapsed() < KEEP);
        while entries.len() >= MAX_ENTRIES {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.made)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            entries.remove(&oldest);
        }
        entries.insert(
            key.clone(),
            Entry {
                user_id,
                made: Instant::now(),
                value: Arc::new(value),
            },
        );
        key
    }

    /// The value kept under `key` for `user_id`, if it is still there and
    /// of this type.
    pub fn get<T: Any + Send + Sync>(&self, user_id: i64, key: &str) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        if entry.user_id != user_id || entry.made.elapsed() >= KEEP {
            return None;
        }
        entry.value.clone().downcast::<T>().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_found_again_by_its_maker_only_and_by_its_type() {
        let h = Handovers::default();
        let key = h.put(7, vec!["ABCD-EFGH-JKLM".to_string()]);
        assert_eq!(
            h.get::<Vec<String>>(7, &key).as_deref(),
            Some(&vec!["ABCD-EFGH-JKLM".to_string()])
        );
        // Reloading finds it again.
        assert!(h.get::<Vec<String>>(7, &key).is_some());
        assert!(h.get::<Vec<String>>(8, &key).is_none());
        assert!(h.get::<String>(7, &key).is_none());
        assert!(h.get::<Vec<String>>(7, "0000").is_none());
    }

    #[test]
    fn the_oldest_result_makes_room() {
        let h = Handovers::default();
        let first = h.put(1, 0_u32);
        for i in 0..MAX_ENTRIES {
            h.put(1, i);
        }
        assert!(h.get::<u32>(1, &first).is_none());
        assert!(h.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
