//! The bundle reader on arbitrary bytes as a ZIP file: refused with a report
//! or accepted, never a panic, never past the size limits. An accepted
//! bundle's items are read as an import would read them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = bundle::read::from_zip_bytes(data) {
        let _ = bundle::import::bundle_items(&bundle);
    }
});
