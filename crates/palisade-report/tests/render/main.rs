//! Behaviour of every format through the public `render` API, on reports built by hand.

// Tests may panic on what should not happen; the workspace warns on unwrap/expect for
// library code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture; // the hand-built reports every test renders
mod json; // Palisade's JSON: schema, counts, stable fields
mod junit; // JUnit XML: Ant XSD, escaping, one suite per file
mod sarif; // SARIF 2.1.0: official schema, GitHub specifics
mod table; // the human table: golden output, colour
mod validators; // external validators (python3 jsonschema, xmllint), failing loudly when missing
