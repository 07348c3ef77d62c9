//! (being written) rule family `hardening`.

use crate::Checks;

pub(crate) static CHECKS: Checks = Checks {
    rules: &[],
    object: None,
    inventory: None,
};
