//! The kinds of personal data the detector knows, with their data class.

use serde::Serialize;

use crate::policy::DataClass;

/// What kind of personal data a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Email,
    Phone,
    Iban,
    TaxId,
    SocialSecurity,
    IdDocument,
    LicensePlate,
    BirthDate,
    Address,
    Name,
    CaseNumber,
    Health,
    Religion,
    TradeUnion,
    EthnicOrigin,
    SexualOrientation,
    PoliticalOpinion,
    Biometric,
}

impl Category {
    pub const ALL: [Category; 18] = [
        Category::Email,
        Category::Phone,
        Category::Iban,
        Category::TaxId,
        Category::SocialSecurity,
        Category::IdDocument,
        Category::LicensePlate,
        Category::BirthDate,
        Category::Address,
        Category::Name,
        Category::CaseNumber,
        Category::Health,
        Category::Religion,
        Category::TradeUnion,
        Category::EthnicOrigin,
        Category::SexualOrientation,
        Category::PoliticalOpinion,
        Category::Biometric,
    ];

    /// The slug in JSON, the test set and the usage record.
    pub fn slug(self) -> &'static str {
        match self {
            Category::Email => "email",
            Category::Phone => "telefon",
            Category::Iban => "iban",
            Category::TaxId => "steuer_id",
            Category::SocialSecurity => "sozialversicherungsnummer",
            Category::IdDocument => "ausweisnummer",
            Category::LicensePlate => "kfz_kennzeichen",
            Category::BirthDate => "geburtsdatum",
            Category::Address => "anschrift",
            Category::Name => "name",
            Category::CaseNumber => "aktenzeichen",
            Category::Health => "gesundheit",
            Category::Religion => "religion",
            Category::TradeUnion => "gewerkschaft",
            Category::EthnicOrigin => "ethnische_herkunft",
            Category::SexualOrientation => "sexuelle_orientierung",
            Category::PoliticalOpinion => "politische_meinung",
            Category::Biometric => "biometrie_genetik",
        }
    }

    /// The name staff read in the chat's notice.
    pub fn label(self) -> &'static str {
        match self {
            Category::Email => "E-Mail-Adresse",
            Category::Phone => "Telefonnummer",
            Category::Iban => "IBAN",
            Category::TaxId => "Steuer-ID",
            Category::SocialSecurity => "Sozialversicherungsnummer",
            Category::IdDocument => "Ausweis- oder Passnummer",
            Category::LicensePlate => "Kfz-Kennzeichen",
            Category::BirthDate => "Geburtsdatum",
            Category::Address => "Anschrift",
            Category::Name => "Name einer Person",
            Category::CaseNumber => "personenbezogenes Aktenzeichen",
            Category::Health => "Gesundheitsdaten",
            Category::Religion => "religiöse oder weltanschauliche Überzeugung",
            Category::TradeUnion => "Gewerkschaftszugehörigkeit",
            Category::EthnicOrigin => "ethnische Herkunft",
            Category::SexualOrientation => "sexuelle Orientierung oder Sexualleben",
            Category::PoliticalOpinion => "politische Meinung",
            Category::Biometric => "biometrische oder genetische Daten",
        }
    }

    pub fn parse(slug: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.slug() == slug)
    }

    /// The data class a finding of this category implies.
    pub fn class(self) -> DataClass {
        if self.is_special() {
            DataClass::SpecialCategories
        } else {
            DataClass::Personal
        }
    }

    /// Special categories of personal data, Art. 9 DSGVO.
    pub fn is_special(self) -> bool {
        matches!(
            self,
            Category::Health
                | Category::Religion
                | Category::TradeUnion
                | Category::EthnicOrigin
                | Category::SexualOrientation
                | Category::PoliticalOpinion
                | Category::Biometric
        )
    }

    /// Whether the category is an identifier with a check digit.
    pub fn is_checksummed(self) -> bool {
        matches!(
            self,
            Category::Iban | Category::TaxId | Category::SocialSecurity | Category::IdDocument
        )
    }

    /// Whether the category points at a person by itself, so that a case
    /// number next to it is that person's.
    pub(super) fn identifies(self) -> bool {
        !self.is_special() && self != Category::CaseNumber
    }
}
