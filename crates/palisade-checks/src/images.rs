//! (being written) rule family `images`.

use crate::Checks;

pub(crate) static CHECKS: Checks = Checks {
    rules: &[],
    object: None,
    inventory: None,
};
