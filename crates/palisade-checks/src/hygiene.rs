//! (being written) rule family `hygiene`.

use crate::Checks;

pub(crate) static CHECKS: Checks = Checks {
    rules: &[],
    object: None,
    inventory: None,
};
