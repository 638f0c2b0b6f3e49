//! What the fuzz targets check, in a few hundred cases on every test run:
//! the parsers of outside input refuse garbage without panicking.

use documents::template_set::{export, import_zip};
use documents::{builtin_templates, Template};
use proptest::prelude::*;

const SMALL: &str = "---\nid: a\ntitle: A\nkind: information\nversion: \"1\"\nquestions:\n  - name: x\n    label: X\n    kind: text\n---\n# {{ x }}\n{% if x %}ja{% endif %}\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn template_parse_never_panics_on_mutated_text(
        cut in 0usize..SMALL.len(),
        insert in "[-:{}%#\\[\\]a-z\n \"]{0,8}",
    ) {
        let mut text = SMALL.to_owned();
        if text.is_char_boundary(cut) {
            text.insert_str(cut, &insert);
        }
        if let Ok(t) = Template::parse("p.md", &text) {
            let _ = t.render(&serde_json::Map::new(), &serde_json::Value::Null);
        }
    }

    #[test]
    fn import_never_panics_on_damaged_archives(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = export(&builtin_templates()[..1]);
        for (index, value) in flips {
            let i = index.index(bytes.len());
            bytes[i] ^= value | 1;
        }
        let _ = import_zip(&bytes);
    }
}
