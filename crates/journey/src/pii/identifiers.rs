//! Identifiers with check digits (IBAN, Steuer-ID, Sozialversicherungs-
//! nummer, Ausweis- and Passnummer) and vehicle plates.

use std::sync::OnceLock;

use regex::Regex;

use super::bounds::{self, bounded, Bounded};
use super::category::Category;
use super::checksum;
use super::matching::{preceded_by, regex, Candidate};
use super::prefilter;

pub(super) fn find_checksummed(text: &str, out: &mut Vec<Candidate>) {
    find_ibans(text, out);
    if prefilter::may_hold_sv_nummer(text) {
        find_sv_nummern(text, out);
    }
    find_steuer_ids(text, out);
    if prefilter::may_hold_document_serial(text) {
        find_id_documents(text, out);
    }
}

/// IBANs written in one piece or in groups of four. The walk stops at the
/// country's length, so a BIC after the IBAN is not swallowed.
fn find_ibans(text: &str, out: &mut Vec<Candidate>) {
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(at) = next_iban_start(text, start) {
        // As `find_iter` of `\b[A-Z]{2}[0-9]{2}`: the next search starts
        // after the four characters whether or not an IBAN follows.
        start = at + 4;
        let Some(length) = checksum::iban_length(&bytes[at..at + 2]) else {
            continue;
        };
        let mut compact = Vec::with_capacity(length);
        let mut end = at;
        while compact.len() < length && end < bytes.len() {
            let c = bytes[end];
            if c.is_ascii_alphanumeric() {
                compact.push(c.to_ascii_uppercase());
                end += 1;
            } else if c == b' ' && end + 1 < bytes.len() && bytes[end + 1].is_ascii_alphanumeric() {
                end += 1;
            } else {
                break;
            }
        }
        let boundary = bytes.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
        if compact.len() == length && boundary && checksum::iban_valid(&compact) {
            out.push(Candidate {
                category: Category::Iban,
                span: at..end,
            });
        }
    }
}

/// The first offset at or after `from` where `\b[A-Z]{2}[0-9]{2}`
/// matches. A byte loop: the pattern is ASCII, and the regex, without a
/// literal to look for, took longer than the whole IBAN check.
fn next_iban_start(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    (from..bytes.len().saturating_sub(3)).find(|&i| {
        bytes[i].is_ascii_uppercase()
            && bytes[i + 1].is_ascii_uppercase()
            && bytes[i + 2].is_ascii_digit()
            && bytes[i + 3].is_ascii_digit()
            && bounds::boundary(text, i)
    })
}

fn compact(s: &str) -> Vec<u8> {
    s.bytes().filter(|c| *c != b' ' && *c != b'/').collect()
}

/// Reports each match of `pattern` whose characters (spaces and slashes
/// removed) pass `valid`.
fn push_valid(
    text: &str,
    re: &Bounded,
    category: Category,
    valid: fn(&[u8]) -> bool,
    out: &mut Vec<Candidate>,
) {
    for span in re.find_iter(text) {
        if valid(&compact(&text[span.clone()])) {
            out.push(Candidate { category, span });
        }
    }
}

fn find_steuer_ids(text: &str, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Bounded> = OnceLock::new();
    let re = bounded(&RE, r"[1-9][0-9] ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}", true);
    push_valid(text, re, Category::TaxId, checksum::steuer_id_valid, out);
}

fn find_sv_nummern(text: &str, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Bounded> = OnceLock::new();
    let re = bounded(
        &RE,
        r"[0-9]{2} ?[0-9]{6} ?[A-Z] ?[0-9]{2} ?[0-9]|[0-9]{2} [0-9]{6} [A-Z] [0-9]{3}",
        true,
    );
    push_valid(
        text,
        re,
        Category::SocialSecurity,
        checksum::sv_nummer_valid,
        out,
    );
}

/// Serial numbers of the Personalausweis (since 2010) and the Reisepass:
/// nine characters from an alphabet without vowels and look-alikes. The
/// machine-readable zone adds the ICAO check digit; the printed number on
/// the card has none, so that form counts only after a word that names
/// the document.
fn find_id_documents(text: &str, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Bounded> = OnceLock::new();
    static CONTEXT: OnceLock<Regex> = OnceLock::new();
    let re = bounded(
        &RE,
        r"[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}[0-9]?",
        true,
    );
    let context = regex(
        &CONTEXT,
        r"(?i)(ausweis|reisepass|pass-?n(r|ummer)|passes|dokumentennummer|seriennummer des)",
    );
    for span in re.find_iter(text) {
        let s = text[span.clone()].as_bytes();
        let serial = &s[..9];
        if !serial.iter().any(u8::is_ascii_digit) {
            continue;
        }
        let valid = if s.len() == 10 {
            checksum::icao_check_digit(serial) == Some(s[9] - b'0')
        } else {
            preceded_by(text, span.start, 60, context)
        };
        if valid {
            out.push(Candidate {
                category: Category::IdDocument,
                span,
            });
        }
    }
}

/// Unterscheidungszeichen of larger districts and cities; a plate with
/// another code needs a word like "Kennzeichen" before it.
#[rustfmt::skip]
const PLATE_CODES: &[&str] = &[
    "A", "AC", "AN", "AUR", "B", "BA", "BAD", "BB", "BI", "BN", "BO", "BS", "BT", "C", "CE", "CO",
    "D", "DA", "DD", "DO", "DU", "E", "EF", "ER", "ES", "F", "FD", "FL", "FR", "FÜ", "G", "GE",
    "GI", "GÖ", "GT", "H", "HA", "HB", "HD", "HE", "HG", "HH", "HI", "HL", "HM", "HN", "HRO", "HST",
    "IN", "J", "K", "KA", "KI", "KL", "KN", "KO", "KS", "L", "LB", "LD", "LG", "LU", "M", "MA",
    "MD", "ME", "MG", "MH", "MI", "MK", "MS", "MZ", "N", "NB", "NE", "NF", "NMS", "OD", "OF", "OG",
    "OH", "OL", "OS", "P", "PI", "PB", "PF", "PLÖ", "R", "RD", "RE", "RO", "RZ", "S", "SB", "SE",
    "SG", "SH", "SHG", "SL", "SN", "ST", "STD", "SU", "SÜW", "TR", "TS", "TÜ", "UL", "UN", "V",
    "VS", "W", "WES", "WI", "WL", "WOB", "WÜ", "Z", "AA", "AB", "AK", "AÖ", "AW", "BC", "BK", "BL",
    "BM", "BZ", "CB", "CW", "DH", "DN", "DÜW", "EA", "EE", "EL", "EM", "EMS", "EN", "ERH", "FB",
    "FF", "FN", "FS", "GG", "GL", "GM", "GP", "GR", "GS", "GZ", "HBN", "HF", "HK", "HOL", "HR",
    "HS", "HU", "HX", "IK", "KB", "KC", "KF", "KG", "KH", "KR", "KT", "KU", "KÜN", "LA", "LDS",
    "LER", "LIP", "LL", "LM", "LÖ", "MB", "MEK", "MIL", "MKK", "MM", "MOS", "MR", "MSP", "MTK",
    "MÜ", "MYK", "NEA", "NES", "NM", "NOH", "NOM", "NR", "NU", "NW", "OA", "OAL", "OE", "OHZ", "PA",
    "PAF", "PE", "PM", "PR", "RA", "RH", "RS", "RT", "RV", "RW", "SAW", "SC", "SHA", "SI", "SIG",
    "SK", "SLF", "SM", "SO", "SPN", "SR", "SRB", "SW", "SZ", "TBB", "TF", "TIR", "TÖL", "TUT", "UE",
    "UM", "VB", "VEC", "VER", "VIE", "WAF", "WAK", "WB", "WE", "WF", "WN", "WND", "WT", "WUG", "WW",
    "WZ", "ZW", "IZ", "HEI", "ECK",
];

pub(super) fn find_plates(text: &str, out: &mut Vec<Candidate>) {
    if !prefilter::may_hold_plate(text) {
        return;
    }
    static RE: OnceLock<Bounded> = OnceLock::new();
    static CONTEXT: OnceLock<Regex> = OnceLock::new();
    let re = bounded(
        &RE,
        r"([A-ZÄÖÜ]{1,3})[- ]([A-Z]{1,2})[- ]?([1-9][0-9]{0,3})([EH])?",
        true,
    );
    let context = regex(
        &CONTEXT,
        r"(?i)(kennzeichen|kfz|fahrzeug|pkw|wagen|auto|motorrad|anhänger|halter)",
    );
    for (c, whole) in re.captures_iter(text) {
        let code = &c[1];
        let length = code.chars().count() + c[2].len() + c[3].len();
        if length > 8 {
            continue;
        }
        let known = PLATE_CODES.contains(&code);
        if known || preceded_by(text, whole.start, 50, context) {
            out.push(Candidate {
                category: Category::LicensePlate,
                span: whole,
            });
        }
    }
}
