//! The 16 Länder and their data-protection authorities for public bodies,
//! found from the Amtlicher Gemeindeschlüssel (its first two digits are
//! the Land). The survey's privacy notice names the authority a person may
//! complain to; a municipality is supervised by its Land's authority.

/// A Land with the authority that supervises its municipalities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Land {
    /// The first two digits of the AGS (`01` … `16`).
    pub code: &'static str,
    pub name: &'static str,
    /// The authority's name, without article (the office holder changes).
    pub authority: &'static str,
    pub url: &'static str,
}

pub const LAENDER: [Land; 16] = [
    Land {
        code: "01",
        name: "Schleswig-Holstein",
        authority: "Unabhängiges Landeszentrum für Datenschutz Schleswig-Holstein",
        url: "https://www.datenschutzzentrum.de",
    },
    Land {
        code: "02",
        name: "Hamburg",
        authority: "Hamburgische Beauftragte für Datenschutz und Informationsfreiheit",
        url: "https://datenschutz-hamburg.de",
    },
    Land {
        code: "03",
        name: "Niedersachsen",
        authority: "Landesbeauftragte für den Datenschutz Niedersachsen",
        url: "https://www.lfd.niedersachsen.de",
    },
    Land {
        code: "04",
        name: "Bremen",
        authority: "Landesbeauftragte für Datenschutz und Informationsfreiheit der Freien Hansestadt Bremen",
        url: "https://www.datenschutz.bremen.de",
    },
    Land {
        code: "05",
        name: "Nordrhein-Westfalen",
        authority: "Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen",
        url: "https://www.ldi.nrw.de",
    },
    Land {
        code: "06",
        name: "Hessen",
        authority: "Hessischer Beauftragter für Datenschutz und Informationsfreiheit",
        url: "https://datenschutz.hessen.de",
    },
    Land {
        code: "07",
        name: "Rheinland-Pfalz",
        authority: "Landesbeauftragter für den Datenschutz und die Informationsfreiheit Rheinland-Pfalz",
        url: "https://www.datenschutz.rlp.de",
    },
    Land {
        code: "08",
        name: "Baden-Württemberg",
        authority: "Landesbeauftragter für den Datenschutz und die Informationsfreiheit Baden-Württemberg",
        url: "https://www.baden-wuerttemberg.datenschutz.de",
    },
    Land {
        code: "09",
        name: "Bayern",
        // Public bodies; the BayLDA supervises the private sector.
        authority: "Bayerischer Landesbeauftragter für den Datenschutz",
        url: "https://www.datenschutz-bayern.de",
    },
    Land {
        code: "10",
        name: "Saarland",
        authority: "Unabhängiges Datenschutzzentrum Saarland",
        url: "https://www.datenschutz.saarland.de",
    },
    Land {
        code: "11",
        name: "Berlin",
        authority: "Berliner Beauftragte für Datenschutz und Informationsfreiheit",
        url: "https://www.datenschutz-berlin.de",
    },
    Land {
        code: "12",
        name: "Brandenburg",
        authority: "Landesbeauftragte für den Datenschutz und für das Recht auf Akteneinsicht Brandenburg",
        url: "https://www.lda.brandenburg.de",
    },
    Land {
        code: "13",
        name: "Mecklenburg-Vorpommern",
        authority: "Landesbeauftragter für Datenschutz und Informationsfreiheit Mecklenburg-Vorpommern",
        url: "https://www.datenschutz-mv.de",
    },
    Land {
        code: "14",
        name: "Sachsen",
        authority: "Sächsische Datenschutz- und Transparenzbeauftragte",
        url: "https://www.datenschutz.sachsen.de",
    },
    Land {
        code: "15",
        name: "Sachsen-Anhalt",
        authority: "Landesbeauftragter für den Datenschutz Sachsen-Anhalt",
        url: "https://datenschutz.sachsen-anhalt.de",
    },
    Land {
        code: "16",
        name: "Thüringen",
        authority: "Thüringer Landesbeauftragter für den Datenschutz und die Informationsfreiheit",
        url: "https://www.tlfdi.de",
    },
];

/// The Land of a municipality by its AGS, or `None` when the key does not
/// start with a Land's code.
pub fn land_of_ags(ags: &str) -> Option<&'static Land> {
    let code = ags.trim().get(..2)?;
    LAENDER.iter().find(|l| l.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_land_has_its_code_an_authority_and_a_web_address() {
        for (i, land) in LAENDER.iter().enumerate() {
            assert_eq!(land.code, format!("{:02}", i + 1));
            assert!(!land.authority.is_empty());
            assert!(land.url.starts_with("https://"), "{}", land.url);
        }
    }

    #[test]
    fn the_ags_names_the_land() {
        assert_eq!(land_of_ags("15002000").unwrap().name, "Sachsen-Anhalt");
        assert_eq!(land_of_ags("09162000").unwrap().name, "Bayern");
        assert_eq!(land_of_ags("17000000"), None);
        assert_eq!(land_of_ags("1"), None);
    }
}
