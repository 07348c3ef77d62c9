//! (being written) rule family `secrets`.

use crate::Checks;

pub(crate) static CHECKS: Checks = Checks {
    rules: &[],
    object: None,
    inventory: None,
};
