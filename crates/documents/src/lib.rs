//! Documents of the KI-Reise: Mustervorlagen (model templates) with a guided
//! interview, rendering to Markdown, and the exports HTML, ODT (ODF 1.3) and
//! PDF; version comparison; the KI-Richtlinie's machine-readable rule set;
//! template sets to publish and import. No database, no HTTP: the portal
//! stores versions and serves pages; this crate only computes.
//!
//! It is also the single place where Markdown becomes HTML or ODT, so the
//! survey, learning and use-case reports go through [`markdown`], [`html`]
//! and [`odt`] as well.
//!
//! # How the portal uses it
//!
//! 1. **Templates**: [`builtin_templates`] (compiled in) or a set imported
//!    with [`template_set::import_zip`] / [`template_set::import_dir`]
//!    (all or nothing; the [`template_set::ImportReport`] names every
//!    problem); an edited template file is checked with [`Template::parse`].
//!    [`template_set::export`] publishes the municipality's own versions.
//! 2. **Interview**: build the prefill context as JSON from the profile,
//!    survey, use cases and models, keyed as in [`template::PREFILL_KEYS`]:
//!    `{"profile": {"name", "staff_count", "dpo_contact",
//!    "it_security_contact", "staff_council_contact", "ai_officer"},
//!    "survey": {"respondents"}, "usecases": {"adopted": [..]},
//!    "models": {"local": [..], "cloud": [..]}}`. Show the form from
//!    [`Template::questions`] (grouped by `section`), filled with
//!    [`Template::initial_answers`].
//! 3. **Render**: [`Template::render`] with the submitted answers. A
//!    [`RenderError::InvalidAnswers`] or [`RenderError::MissingAnswers`] names
//!    the form fields to mark; store the answers with the version.
//! 4. **Review**: split the Markdown with [`sections()`] (anchors for
//!    per-section comments) and show [`Section::readability`] per section,
//!    with its `long_sentences` as hints.
//! 5. **Edit and compare**: the user edits the Markdown; [`diff::diff`]
//!    between any two versions, shown with [`diff::Diff::to_html`] (include
//!    [`diff::CSS`] on the page) and summed up by [`diff::Diff::stats`].
//! 6. **Export**: Markdown as is, [`html::document`], [`odt::to_odt`],
//!    [`pdf::to_pdf`] (which may answer [`pdf::PdfError::LibreOfficeMissing`]),
//!    each with a [`DocMeta`] built from the version (title, status, date,
//!    author) and the template's sources.
//! 7. **Rules**: when a KI-Richtlinie version is adopted,
//!    [`rules::policy_rules`] on its stored answers gives the
//!    [`journey::policy::RuleSet`] the gateway enforces.
#![forbid(unsafe_code)]

pub mod diff;
pub mod figure;
pub mod html;
pub mod markdown;
pub mod meta;
pub mod odt;
pub mod pdf;
pub mod render;
pub mod rules;
pub mod sections;
pub mod template;
mod template_check;
pub mod template_set;

pub use figure::Figure;
pub use meta::{Adoption, DocMeta, Fact};
pub use render::RenderError;
pub use sections::{sections, Section};
pub use template::{
    builtin_templates, ChoiceOption, Question, QuestionGroup, QuestionKind, Source, Template,
    TemplateError, TemplateKind,
};

impl Section {
    /// Readability of the section's text (without Markdown markup); `None`
    /// for a section without words.
    pub fn readability(&self) -> Option<journey::readability::Readability> {
        journey::readability::readability(&markdown::plain_text(&self.markdown))
    }
}
