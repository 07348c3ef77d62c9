//! (being written) rule family `data_class`.

use crate::Checks;

pub(crate) static CHECKS: Checks = Checks {
    rules: &[],
    object: None,
    inventory: None,
};
