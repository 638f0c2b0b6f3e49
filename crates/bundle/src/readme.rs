//! The German `README.md` inside every bundle: what it holds, how to open
//! each file without ki-reise, how to import it.

use crate::export_options::Options;
use crate::manifest::{FileEntry, FORMAT_VERSION};

/// What a folder of the bundle holds, for the table of contents.
const FOLDERS: [(&str, &str); 9] = [
    ("kommune/", "Profil der Kommune: Name, Gemeindeschlüssel, Fachbereiche mit Beschäftigtenzahl (keine Kontaktdaten)"),
    ("reise/", "Stand der KI-Reise: jeder Schritt mit offen, in Arbeit oder erledigt"),
    ("umfragen/", "Bestandsaufnahme: Fragebogen (JSON) und anonyme, zusammengefasste Ergebnisse (JSON, CSV); kleine Gruppen sind unterdrückt"),
    ("qualifizierung/", "Kompetenzmodell, Rollenprofile, Schulungskatalog (JSON, JSON-LD nach schema.org, CSV), Bewertungsschema und Bewertungen"),
    ("richtlinie/", "Regelwerk der KI-Richtlinie: welche Daten an welche KI-Dienste dürfen"),
    ("dokumente/", "KI-Strategie, KI-Richtlinie und weitere Dokumente als Markdown und ODT"),
    ("anwendungsfaelle/", "Anwendungsfälle mit Einstufung nach der KI-Verordnung und das öffentliche KI-Register (JSON, CSV)"),
    ("vergleichstest/", "Vergleichstest: Beispiel-Spezifikation, Aufgabensätze und Berichte (JSON, HTML, CSV, Markdown, ODT)"),
    ("api/", "Beschreibung der Programmierschnittstelle (OpenAPI 3.1)"),
];

pub fn text(municipality: &str, options: &Options<'_>, files: &[FileEntry]) -> String {
    let kind = if options.public {
        "Dieses Paket ist zur Veröffentlichung bestimmt: interne Angaben (Notizen, Entwürfe, Bewertungen von Anbietern, vollständige Anwendungsfälle, Freitextantworten) und personenbezogene Daten sind nicht enthalten."
    } else {
        "Dieses Paket ist für den internen Gebrauch oder die Weitergabe an eine Partnerkommune bestimmt. Es enthält keine Benutzerkonten und keine einzelnen Umfrageantworten, aber interne Arbeitsstände. Vor einer Veröffentlichung bitte ein öffentliches Paket erstellen (ki-reise export --public)."
    };
    let mut out = format!(
        "# KI-Reise von {name}: Paket zur Nachnutzung\n\n\
         Dieses Paket enthält die Ergebnisse der KI-Reise von {name} in offenen Formaten. \
         Andere Kommunen können alles ohne besondere Software lesen und mit ki-reise \
         übernehmen und fortführen.\n\n{kind}\n\n\
         Lizenz der Texte: **{licence}**.\n\n\
         ## Inhalt\n\n",
        name = if municipality.is_empty() {
            "einer Kommune"
        } else {
            municipality
        },
        licence = options.licence,
    );
    for (folder, what) in FOLDERS {
        let count = files.iter().filter(|f| f.path.starts_with(folder)).count();
        if count > 0 {
            out.push_str(&format!("- `{folder}` ({count} Dateien): {what}\n"));
        }
    }
    out.push_str(
        "- `schemas/`: die JSON-Schemas, nach denen jede JSON-Datei aufgebaut ist\n\
         - `manifest.json`: Verzeichnis aller Dateien mit Medientyp, Schema und Prüfsumme (SHA-256)\n\n\
         ## Dateien ohne ki-reise öffnen\n\n\
         - **ODT** (`.odt`): mit LibreOffice Writer oder einer anderen Textverarbeitung.\n\
         - **Markdown** (`.md`): mit jedem Texteditor; viele Programme zeigen es formatiert an.\n\
         - **CSV** (`.csv`, UTF-8, Komma als Trennzeichen): mit LibreOffice Calc \
           (beim Öffnen Zeichensatz UTF-8 wählen) oder einer anderen Tabellenkalkulation.\n\
         - **HTML** (`.html`): mit jedem Browser; die Berichte enthalten keine Skripte.\n\
         - **JSON** und **JSON-LD** (`.json`, `.jsonld`): mit einem Texteditor oder einem Browser \
           (Firefox zeigt JSON übersichtlich an). Zu jeder JSON-Datei nennt `manifest.json` \
           das Schema unter `schemas/`, das ihre Felder beschreibt.\n\n\
         ## Prüfen, ob das Paket vollständig ist\n\n\
         `manifest.json` nennt zu jeder Datei die Prüfsumme SHA-256. Unter Linux prüft \
         `sha256sum DATEI` eine Datei, unter Windows `certutil -hashfile DATEI SHA256`.\n\n\
         ## In ki-reise übernehmen\n\n\
         1. Vorschau, ohne etwas zu ändern: `ki-reise import PAKET --dry-run` \
            (PAKET ist dieser Ordner oder die ZIP-Datei). Die Vorschau nennt, was neu angelegt, \
            geändert oder übersprungen würde, und jeden Konflikt mit vorhandenen Daten.\n\
         2. Übernehmen: `ki-reise import PAKET`. Vorhandene Daten werden nie überschrieben, \
            es sei denn, Sie wählen es je Eintrag (`--overwrite ART/KENNUNG`). \
            Alles wird in einem Schritt übernommen oder gar nichts.\n\
\n\
         Ein zweiter Import desselben Pakets ändert nichts. Woher jeder übernommene Eintrag \
         stammt, hält ki-reise fest.\n\n",
    );
    out.push_str(&format!(
        "## Format\n\nFormat `ki-reise/nachnutzung`, Version {FORMAT_VERSION}; beschrieben in \
         `docs/bundle-format.md` im Quelltext von ki-reise.\n"
    ));
    out
}
