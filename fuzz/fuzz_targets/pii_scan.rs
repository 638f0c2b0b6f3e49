//! The personal-data detector on arbitrary text: it never panics, its
//! findings lie on char boundaries inside the text, in order and without
//! overlap, and the class they imply is never below the declared one.
#![no_main]

use journey::pii;
use journey::policy::DataClass;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let findings = pii::scan(&text);
    let mut end = 0;
    for f in &findings {
        assert!(f.span.start >= end && f.span.start < f.span.end && f.span.end <= text.len());
        assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
        end = f.span.end;
    }
    for declared in DataClass::ALL {
        assert!(pii::effective_class(declared, &findings) >= declared);
    }
});
