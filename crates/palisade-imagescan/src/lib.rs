//! Image analysis as Palisade findings: what an image carries (known vulnerabilities of its
//! packages, secrets in its layers and config), how it is configured to run, and the
//! reports of other scanners of the same image merged into one view.
//!
//! The readers (`palisade-image`), catalogers and SBOM (`palisade-sbom`) and the
//! vulnerability store (`palisade-vulndb`) know nothing of findings; this crate turns what
//! they find into [`palisade_core::Finding`]s with the same rules, exceptions and outputs as
//! the manifest scan.

pub mod merge;
pub mod vex;
