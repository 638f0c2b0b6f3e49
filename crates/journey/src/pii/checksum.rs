//! Check digits of the identifiers the detector reports. A number that
//! fails its check is not reported: order numbers and amounts look like
//! identifiers far more often than identifiers occur.

/// The length of an IBAN per country (ISO 13616 registry), for the
/// countries a German administration meets most.
pub fn iban_length(country: &[u8]) -> Option<usize> {
    Some(match country {
        b"DE" | b"GB" | b"IE" => 22,
        b"AT" | b"LU" => 20,
        b"CH" | b"LI" => 21,
        b"NL" | b"DK" | b"FI" => 18,
        b"BE" => 16,
        b"FR" | b"IT" | b"MC" => 27,
        b"ES" | b"CZ" | b"SE" | b"SK" => 24,
        b"PL" | b"HU" => 28,
        b"PT" => 25,
        b"NO" => 15,
        b"GR" => 27,
        b"TR" => 26,
        _ => return None,
    })
}

/// ISO 7064 MOD 97-10 over the IBAN (spaces removed, upper case).
pub fn iban_valid(iban: &[u8]) -> bool {
    if iban.len() < 15 || !iban.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let rotated = iban[4..].iter().chain(&iban[..4]);
    let mut rest: u32 = 0;
    for &c in rotated {
        let value = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    rest == 1
}

/// The Steuerliche Identifikationsnummer (§ 139b AO): 11 digits, no
/// leading zero; in the first ten one digit occurs twice or three times
/// (never three in a row) and the others at most once; the last is the
/// ISO 7064 MOD 11,10 check digit.
pub fn steuer_id_valid(digits: &[u8]) -> bool {
    if digits.len() != 11 || digits[0] == b'0' || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut counts = [0u8; 10];
    for &d in &digits[..10] {
        counts[usize::from(d - b'0')] += 1;
    }
    let repeated: Vec<u8> = counts.iter().copied().filter(|&c| c > 1).collect();
    if repeated.len() != 1 || repeated[0] > 3 {
        return false;
    }
    if repeated[0] == 3
        && digits[..10]
            .windows(3)
            .any(|w| w[0] == w[1] && w[1] == w[2])
    {
        return false;
    }
    mod_11_10(&digits[..10]) == digits[10] - b'0'
}

/// ISO 7064 MOD 11,10 check digit over ASCII digits.
pub fn mod_11_10(digits: &[u8]) -> u8 {
    let mut product: u32 = 10;
    for &d in digits {
        let mut sum = (u32::from(d - b'0') + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = 11 - product;
    if check == 10 {
        0
    } else {
        check as u8
    }
}

/// The Sozialversicherungs- (Renten-)versicherungsnummer: area (2 digits),
/// date of birth (DDMMYY), the initial of the birth name, serial (2
/// digits), check digit. The letter counts as its two-digit position in
/// the alphabet; weights 2,1,2,5,7,1,2,1,2,1,2,1, digit sums of the
/// products, sum modulo 10.
pub fn sv_nummer_valid(chars: &[u8]) -> bool {
    if chars.len() != 12 {
        return false;
    }
    let (area, rest) = chars.split_at(2);
    let (birth, rest) = rest.split_at(6);
    let (letter, rest) = rest.split_at(1);
    let (serial, check) = rest.split_at(2);
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if !all_digits(area)
        || !all_digits(birth)
        || !all_digits(serial)
        || !all_digits(check)
        || !letter[0].is_ascii_uppercase()
    {
        return false;
    }
    let day = u32::from(birth[0] - b'0') * 10 + u32::from(birth[1] - b'0');
    let month = u32::from(birth[2] - b'0') * 10 + u32::from(birth[3] - b'0');
    // Numbers given when the birth date was unknown or taken count days
    // from 32 up to 92.
    if !(1..=92).contains(&day) || !(1..=12).contains(&month) {
        return false;
    }
    let position = letter[0] - b'A' + 1;
    let mut digits = Vec::with_capacity(12);
    digits.extend(area.iter().map(|d| d - b'0'));
    digits.extend(birth.iter().map(|d| d - b'0'));
    digits.push(position / 10);
    digits.push(position % 10);
    digits.extend(serial.iter().map(|d| d - b'0'));
    const WEIGHTS: [u8; 12] = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| {
            let p = d * w;
            u32::from(p / 10 + p % 10)
        })
        .sum();
    (sum % 10) as u8 == check[0] - b'0'
}

/// The ICAO 9303 check digit (weights 7, 3, 1; letters A=10 … Z=35) that
/// the machine-readable zone of a Personalausweis or Reisepass gives its
/// document number.
pub fn icao_check_digit(chars: &[u8]) -> Option<u8> {
    let mut sum: u32 = 0;
    for (i, &c) in chars.iter().enumerate() {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += value * [7, 3, 1][i % 3];
    }
    Some((sum % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans() {
        assert!(iban_valid(b"DE89370400440532013000"));
        assert!(iban_valid(b"GB82WEST12345698765432"));
        assert!(!iban_valid(b"DE89370400440532013001"));
        assert_eq!(iban_length(b"DE"), Some(22));
    }

    #[test]
    fn steuer_ids() {
        // The example number the Bundeszentralamt für Steuern publishes.
        assert!(steuer_id_valid(b"86095742719"));
        assert!(!steuer_id_valid(b"86095742718"));
        // All ten digits different: not a valid structure.
        assert!(!steuer_id_valid(b"12345678903"));
    }

    #[test]
    fn sv_nummern() {
        // The Deutsche Rentenversicherung's example number.
        assert!(sv_nummer_valid(b"65170839J003"));
        assert!(!sv_nummer_valid(b"65170839J004"));
        assert!(!sv_nummer_valid(b"65171339J003"));
    }

    #[test]
    fn icao() {
        // Specimen Personalausweis: document number T22000129, check 3.
        assert_eq!(icao_check_digit(b"T22000129"), Some(3));
        assert_eq!(icao_check_digit(b"L01X00T47"), Some(1));
    }
}
