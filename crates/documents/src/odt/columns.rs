//! Column widths for tables. Equal columns break long German words in
//! narrow cells ("personenbezoge|n"); so each column gets at least the width
//! of its longest word, and the rest of the page width goes to the columns
//! with the most text.

use pulldown_cmark::{Event, Tag, TagEnd};

/// The usable page width a table spans (A4 less the margins), in cm.
pub(crate) const TABLE_WIDTH_CM: f64 = 16.5;
/// Average width of one character at 11 pt Liberation Sans, bold headings
/// included, in cm (measured on German text: 0.19–0.22 cm).
const CHAR_CM: f64 = 0.22;
/// Left and right cell padding plus the border, in cm.
const PADDING_CM: f64 = 0.3;

/// The column widths (cm) of every table in `events`, in document order.
pub(crate) fn table_widths(events: &[Event]) -> Vec<Vec<f64>> {
    let mut tables = Vec::new();
    // Per column of the open table: longest word and longest cell (chars).
    let mut columns: Vec<(usize, usize)> = Vec::new();
    let mut column = 0;
    let mut cell = String::new();
    let mut in_table = false;
    for event in events {
        match event {
            Event::Start(Tag::Table(alignments)) => {
                in_table = true;
                columns = vec![(0, 0); alignments.len().max(1)];
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => column = 0,
            Event::Start(Tag::TableCell) => cell.clear(),
            Event::Text(t) | Event::Code(t) if in_table => cell.push_str(t),
            Event::End(TagEnd::TableCell) => {
                if let Some(c) = columns.get_mut(column) {
                    let longest_word = cell
                        .split_whitespace()
                        .map(|w| w.chars().count())
                        .max()
                        .unwrap_or(0);
                    c.0 = c.0.max(longest_word);
                    c.1 = c.1.max(cell.chars().count());
                }
                column += 1;
            }
            Event::End(TagEnd::Table) => {
                in_table = false;
                tables.push(widths(&columns));
            }
            _ => {}
        }
    }
    tables
}

/// Widths that fit the longest word of each column where the page allows,
/// the remaining width shared by the amount of text.
fn widths(columns: &[(usize, usize)]) -> Vec<f64> {
    let minimum: Vec<f64> = columns
        .iter()
        .map(|&(word, _)| word.max(3) as f64 * CHAR_CM + PADDING_CM)
        .collect();
    let needed: f64 = minimum.iter().sum();
    if needed >= TABLE_WIDTH_CM {
        return minimum
            .iter()
            .map(|m| m * TABLE_WIDTH_CM / needed)
            .collect();
    }
    let spare = TABLE_WIDTH_CM - needed;
    // Text beyond the longest word wants more room; a column whose whole
    // text fits its minimum wants none.
    let extra: Vec<f64> = columns
        .iter()
        .zip(&minimum)
        .map(|(&(_, text), min)| (text as f64 * CHAR_CM + PADDING_CM - min).max(0.0))
        .collect();
    let total_extra: f64 = extra.iter().sum();
    minimum
        .iter()
        .zip(&extra)
        .map(|(min, e)| {
            if total_extra > 0.0 {
                min + spare * e / total_extra
            } else {
                min + spare / minimum.len() as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths_of(markdown: &str) -> Vec<f64> {
        let events: Vec<Event> = crate::sections::parser(markdown).collect();
        table_widths(&events).remove(0)
    }

    #[test]
    fn each_column_is_at_least_as_wide_as_its_longest_word() {
        let w = widths_of(
            "| Nr. | Datenklasse | Erlaubt |\n|---|---|---|\n\
             | 1 | personenbezogene Daten besonderer Kategorien | nein |\n",
        );
        assert_eq!(w.len(), 3);
        assert!((w.iter().sum::<f64>() - TABLE_WIDTH_CM).abs() < 1e-9);
        let personenbezogene = 16.0 * CHAR_CM + PADDING_CM;
        assert!(w[1] >= personenbezogene, "{w:?}");
        assert!(
            w[1] > w[0] && w[1] > w[2],
            "the long text gets the room: {w:?}"
        );
    }

    #[test]
    fn a_table_too_wide_for_the_page_is_scaled_to_it() {
        let long = "Datenschutzfolgenabschätzungsverfahren";
        let row = format!("| {long} | {long} | {long} | {long} |");
        let w = widths_of(&format!("| a | b | c | d |\n|---|---|---|---|\n{row}\n"));
        assert!((w.iter().sum::<f64>() - TABLE_WIDTH_CM).abs() < 1e-9);
    }
}
