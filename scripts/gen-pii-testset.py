#!/usr/bin/env python3
"""Generates the German PII test set for the detector in crates/journey/src/pii.

Synthetic persons, valid check digits (IBAN, Steuer-ID, Sozialversicherungs-
nummer, Ausweis- and Passnummer), annotated byte spans. The output is
committed; re-running with the same seed gives the same file:

    python3 scripts/gen-pii-testset.py > crates/journey/tests/data/pii/testset.jsonl

Templates mark personal data as {category:kind}; a plain {{ }} is a brace.
The templates were written as realistic administrative text (letters,
Aktenvermerke, e-mails, chat requests to an assistant), including phrasings
the rules are known to miss (bare surnames, streets without a suffix), and
negatives: sentences without personal data and numbers that fail their check.
"""
import json
import random
import re
import string
import sys

from pii_templates import NEGATIVE, POSITIVE

R = random.Random(2026)

FIRST = [
    "Anna", "Wiebke", "Henrike", "Gesa", "Merle", "Svenja", "Ronja", "Leonie", "Charlotte",
    "Ulrike", "Gerda", "Hildegard", "Derya", "Milena", "Oksana", "Tamara", "Sabine", "Katrin",
    "Johanna", "Imke", "Frauke", "Maren", "Swantje", "Nadine", "Yasemin", "Aleksandra", "Thomas",
    "Detlef", "Hauke", "Malte", "Jannik", "Bjarne", "Fiete", "Yusuf", "Can", "Dragan", "Volker",
    "Reinhard", "Friedrich", "Konstantin", "Mehmet", "Jens", "Knut", "Arne", "Sönke", "Torben",
    "Lasse", "Mattis", "Henning", "Joachim", "Paul", "Stefan", "Karl-Heinz", "Hans-Peter",
]
# First names the detector's list does not hold (checked by the test): a
# person with one of them is found only by context, as a rare name would be.
HELD_OUT = [
    "Okke", "Tjorven", "Wenke", "Hilke", "Boyke", "Ebba", "Smilla", "Aurelia", "Kasimir", "Ruven",
    "Cosima", "Jolanda", "Wendelin", "Ottilie", "Lambert", "Irmgard", "Radomir", "Bogumila",
    "Nurcan", "Sevgi", "Oktay", "Anouk", "Ragnar", "Liv", "Elske", "Gunnar", "Ortrud", "Hinnerk",
    "Fenja", "Wolter",
]
LAST = [
    "Schmidt", "Petersen", "Hansen", "Jessen", "Thomsen", "Özdemir", "Kowalski", "Nguyen",
    "Wagner-Lindholm", "Brodersen", "Asmussen", "Lorenzen", "Carstensen", "Paulsen", "Sievers",
    "Wittmaack", "Rathje", "Meyer", "Becker", "Schulz", "Hoffmann", "Krüger", "Yılmaz", "Demir",
    "Nowak", "Ivanova", "Rossi", "Haddad", "Jankowski", "Friedrichsen", "Clausen", "Ehlers",
    "Voß", "Böttcher", "Lüdemann", "Stüben", "Kahl", "Bruhn", "Reimers", "Iversen",
]
STREETS = [
    "Holstenstraße", "Dänische Straße", "Knooper Weg", "Brunswiker Str.", "Feldstraße",
    "Eckernförder Chaussee", "Westring", "Olshausenstraße", "Harmsstraße", "Kronshagener Weg",
    "Schauenburgerstraße", "Wilhelminenstraße", "Mühlenweg", "Blumenstraße", "Am Kleinen Kiel",
    "An der Schanze", "Alter Markt", "Lange Reihe", "Rendsburger Landstraße", "Kirchenstieg",
    "Theodor-Heuss-Ring", "Hamburger Chaussee", "Gaardener Ring", "Hasseldieksdammer Weg",
    "Poststraße", "Schulweg", "Lindenallee", "Am Rathausplatz", "Sophienblatt", "Fleethörn",
    "Hof Hammer", "Jungfernstieg",
]
PLACES = [
    "24103 Kiel", "24116 Kiel", "24768 Rendsburg", "24937 Flensburg", "23552 Lübeck",
    "25746 Heide", "24534 Neumünster", "01067 Dresden", "04109 Leipzig",
    "60311 Frankfurt am Main", "06108 Halle (Saale)", "20095 Hamburg", "10115 Berlin",
    "80331 München", "24340 Eckernförde", "24211 Preetz", "25524 Itzehoe", "24837 Schleswig",
    "24235 Laboe", "24226 Heikendorf",
]
PLATE_CODES = ["KI", "RD", "PLÖ", "SL", "NMS", "OH", "HL", "FL", "HH", "B", "M", "SE", "IZ",
               "ECK", "HEI", "NF", "STD", "DN", "GÖ", "H"]
MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember"]


def mod97(s):
    r = 0
    for c in s:
        r = (r * 10 + int(c)) % 97
    return r


def iban_digits(s):
    return "".join(str(ord(c) - 55) if c.isalpha() else c for c in s)


def iban(valid=True, country="DE"):
    length = {"DE": 18, "AT": 16}[country]
    bban = "".join(R.choice(string.digits) for _ in range(length))
    check = 98 - mod97(iban_digits(bban + country + "00"))
    if not valid:
        check = (check + R.randint(1, 9)) % 97 or 11
    raw = f"{country}{check:02d}{bban}"
    if R.random() < 0.7:
        return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    return raw


def mod_11_10(digits):
    product = 10
    for d in digits:
        s = (int(d) + product) % 10
        if s == 0:
            s = 10
        product = (s * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def steuer_id(valid=True):
    while True:
        digits = R.sample(string.digits, 9)
        digits.insert(R.randrange(10), R.choice(digits))
        if digits[0] != "0":
            break
    check = mod_11_10(digits)
    if not valid:
        check = (check + R.randint(1, 9)) % 10
    raw = "".join(digits) + str(check)
    if R.random() < 0.5:
        return f"{raw[:2]} {raw[2:5]} {raw[5:8]} {raw[8:]}"
    return raw


def sv_nummer(surname, valid=True):
    area = R.choice(["12", "13", "15", "24", "25", "38", "53", "65"])
    birth = f"{R.randint(1, 28):02d}{R.randint(1, 12):02d}{R.randint(50, 99):02d}"
    letter = unaccent(surname[0]).upper()
    serial = f"{R.randint(0, 99):02d}"
    pos = ord(letter) - 64
    digits = [int(c) for c in area + birth] + [pos // 10, pos % 10] + [int(c) for c in serial]
    weights = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1]
    check = sum((d * w) // 10 + (d * w) % 10 for d, w in zip(digits, weights)) % 10
    if not valid:
        check = (check + R.randint(1, 9)) % 10
    if R.random() < 0.5:
        return f"{area} {birth} {letter} {serial}{check}"
    return f"{area}{birth}{letter}{serial}{check}"


def unaccent(s):
    return s.translate(str.maketrans("ÖÜÄöüäİı", "OUAouaIi")).replace("ß", "ss")


def icao(chars):
    v = lambda c: int(c) if c.isdigit() else ord(c) - 55
    return sum(v(c) * (7, 3, 1)[i % 3] for i, c in enumerate(chars)) % 10


def document(first, mrz):
    alphabet = "CFGHJKLMNPRTVWXYZ0123456789"
    while True:
        serial = R.choice(first) + "".join(R.choice(alphabet) for _ in range(8))
        if any(c.isdigit() for c in serial):
            break
    return serial + str(icao(serial)) if mrz else serial


def phone():
    area = R.choice(["0431", "04331", "0461", "0451", "040", "030", "04321", "04351"])
    mobile = R.choice(["0151", "0160", "0171", "0176", "0152"])
    local = str(R.randint(100000, 9999999))
    m = str(R.randint(1000000, 99999999))
    return R.choice([
        f"{area} {local}", f"{area}/{local}", f"{area} {local[:3]}-{local[3:]}",
        f"({area}) {local[:2]} {local[2:4]} {local[4:]}", f"+49 {area[1:]} {local}",
        f"+49 (0){area[1:]} {local}", f"{mobile} {m}", f"+49 {mobile[1:]} {m[:4]} {m[4:]}",
        f"0049 {area[1:]} {local}", f"{mobile}-{m}",
    ])


def birth_date():
    d, m, y = R.randint(1, 28), R.randint(1, 12), R.randint(1935, 2010)
    return R.choice([f"{d:02d}.{m:02d}.{y}", f"{d}.{m}.{y}", f"{d}. {MONTHS[m - 1]} {y}",
                     f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y % 100:02d}"])


def plate():
    code = R.choice(PLATE_CODES)
    letters = "".join(R.choice("ABCDEFGHJKLMNPRSTUVWXZ") for _ in range(R.randint(1, 2)))
    return f"{code}{R.choice(['-', ' '])}{letters} {R.randint(1, 9999 if len(code) < 3 else 999)}"


def email(first, last):
    f, l = unaccent(first.lower()), unaccent(last.lower().replace(" ", ""))
    return R.choice([f"{f}.{l}@web.de", f"{f[0]}.{l}@gmx.de", f"{l}{R.randint(1, 99)}@t-online.de",
                     f"{f}.{l}@kiel.de", f"{f}_{l}@posteo.de", f"{l}@kanzlei-{l}.de"])


def case_number():
    return R.choice([
        f"{R.randint(10, 99)}.{R.randint(1, 9)}-{R.randint(1000, 9999)}/{R.randint(20, 26)}",
        f"III/{R.randint(1, 9)}-{R.randint(100, 999)}", f"SG 2.{R.randint(1, 9)}/{R.randint(100, 999)}-24",
        f"{R.randint(50, 69)} {R.randint(10, 99)} {R.randint(10, 99)}/2025",
        f"BA-{R.randint(2023, 2026)}-{R.randint(1, 999):04d}",
    ])


def person():
    first = R.choice(HELD_OUT) if R.random() < 0.4 else R.choice(FIRST)
    return first, R.choice(LAST)


def fill(template):
    """Fills one template; returns text and the spans (byte offsets)."""
    first, last = person()
    # Names stay the same within a template (one person); other values are
    # drawn for each placeholder.
    fixed = {"name:full": f"{first} {last}", "name:last": last, "name:first": first,
             "name:rev": f"{last}, {first}"}
    draw = {
        "name:other": lambda: " ".join(person()),
        "anschrift:street": lambda: (
            f"{R.choice(STREETS)} {R.randint(1, 140)}{R.choice(['', '', 'a', ' b'])}"),
        "anschrift:place": lambda: R.choice(PLACES),
        "telefon:any": lambda: phone(),
        "email:any": lambda: email(first, last),
        "iban:any": lambda: iban(),
        "iban:at": lambda: iban(country="AT"),
        "steuer_id:any": lambda: steuer_id(),
        "sozialversicherungsnummer:any": lambda: sv_nummer(last),
        "ausweisnummer:card": lambda: document("LMNPRTVWXY", False),
        "ausweisnummer:mrz": lambda: document("LMNPRTVWXY", True),
        "ausweisnummer:pass": lambda: document("CFGHJK", False),
        "kfz_kennzeichen:any": lambda: plate(),
        "geburtsdatum:any": lambda: birth_date(),
        "aktenzeichen:any": lambda: case_number(),
        "bad:iban": lambda: iban(valid=False),
        "bad:steuer_id": lambda: steuer_id(valid=False),
        "bad:sv": lambda: sv_nummer(last, valid=False),
        "bad:az": lambda: case_number(),
        "bad:amount": lambda: f"{R.randint(1, 999)}.{R.randint(100, 999)},{R.randint(10, 99)} Euro",
        "bad:date": lambda: f"{R.randint(1, 28):02d}.{R.randint(1, 12):02d}.{R.randint(2023, 2026)}",
        "bad:count": lambda: str(R.randint(10000, 99999)),
    }
    out, spans = [], []
    for part in re.split(r"(\{[a-z_]+:[a-z]+(?:=[^}]*)?\})", template):
        m = re.fullmatch(r"\{([a-z_]+):([a-z]+)(?:=([^}]*))?\}", part)
        if not m:
            out.append(part.replace("{{", "{").replace("}}", "}"))
            continue
        category, kind, literal = m.groups()
        key = f"{category}:{kind}"
        value = literal if literal is not None else fixed.get(key) or draw[key]()
        start = len("".join(out).encode())
        out.append(value)
        if category != "bad":
            spans.append({"start": start, "end": start + len(value.encode()), "category": category})
    return "".join(out), spans


def main():
    rows = []
    # Templates with a checksummed identifier are drawn more often, so that
    # the recall of each identifier rests on more than a handful of numbers.
    checksummed = ("{iban:", "{steuer_id:", "{sozialversicherungsnummer:", "{ausweisnummer:")
    for kind, templates, repeat in (("positiv", POSITIVE, 2), ("negativ", NEGATIVE, 1)):
        for t in templates:
            for _ in range(repeat * (3 if any(c in t for c in checksummed) else 1)):
                text, spans = fill(t)
                rows.append({"kind": kind, "text": text, "spans": spans})
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
