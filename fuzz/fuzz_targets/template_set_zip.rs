//! The template-set importer on arbitrary bytes: refused or accepted, never a
//! panic, and never more memory than the import limits allow. An accepted
//! set exports and imports again to the same templates.
#![no_main]

use documents::template_set::{export, import_zip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(templates) = import_zip(data) {
        let again = import_zip(&export(&templates)).expect("an exported set imports");
        assert_eq!(again.len(), templates.len());
    }
});
