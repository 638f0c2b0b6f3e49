//! Numbers and euros in German notation, as every part of the report
//! writes them.

/// A number in German notation: decimal comma, dot between thousands.
pub fn num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && x.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Euros: whole euros from 100 €, cents from 1 €, and more digits below,
/// so that a price of 0,004 € per request does not read as 0,00 €.
pub fn eur(x: f64) -> String {
    let decimals = match x.abs() {
        a if a >= 100.0 => 0,
        a if a >= 1.0 || a == 0.0 => 2,
        a if a >= 0.01 => 3,
        _ => 4,
    };
    format!("{} €", num(x, decimals))
}

/// A table cell: the number, or a dash where there is none.
pub fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| num(x, decimals)).unwrap_or_else(|| "–".into())
}

#[cfg(test)]
mod tests {
    use super::{eur, num};

    #[test]
    fn numbers_use_german_notation() {
        assert_eq!(num(1234567.891, 2), "1.234.567,89");
        assert_eq!(num(12.5, 1), "12,5");
        assert_eq!(num(999.0, 0), "999");
        assert_eq!(num(-1500.0, 0), "-1.500");
        assert_eq!(num(-0.001, 2), "0,00");
        assert_eq!(eur(3.456), "3,46 €");
        assert_eq!(eur(1460.0), "1.460 €");
        assert_eq!(eur(0.0116), "0,012 €");
        assert_eq!(eur(0.00093), "0,0009 €");
        assert_eq!(eur(0.0), "0,00 €");
    }
}
