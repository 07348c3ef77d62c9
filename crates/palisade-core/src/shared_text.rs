//! Field paths shared between findings. A large scan reports hundreds of thousands of
//! findings but only a few dozen distinct field paths (`spec.template.spec.containers[0]
//! .image`), so each thread keeps the paths it has made and hands out the same `Arc<str>`
//! again: one allocation per distinct path instead of one per finding, and the report's
//! writers read a few hot strings instead of a cold one per finding.

use std::cell::RefCell;
use std::sync::Arc;

use foldhash::HashSet;

use crate::text::{self, Piece};

/// Paths a thread keeps at most. Past it the set starts again, so an input with ever new
/// paths (a hostile one, or thousands of containers) cannot grow it without bound.
const MAX_KEPT: usize = 4096;

#[derive(Default)]
struct Kept {
    /// Where the next path is assembled before it is looked up.
    scratch: String,
    paths: HashSet<Arc<str>>,
}

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// The pieces joined, as a shared string: the same `Arc` as an earlier call on this thread
/// that joined to the same text, while it is kept.
pub fn shared(pieces: &[&dyn Piece]) -> Arc<str> {
    shared_pair(pieces, &[])
}

/// [`shared`] of the pieces of `head` then those of `tail`.
pub fn shared_pair(head: &[&dyn Piece], tail: &[&dyn Piece]) -> Arc<str> {
    KEPT.with(|kept| {
        // A piece's own formatting cannot call back in here, but stay safe if one did.
        let Ok(mut kept) = kept.try_borrow_mut() else {
            return Arc::from(text::concat_pair(head, tail));
        };
        let Kept { scratch, paths } = &mut *kept;
        scratch.clear();
        text::push_all(scratch, head);
        text::push_all(scratch, tail);
        if let Some(path) = paths.get(scratch.as_str()) {
            return Arc::clone(path);
        }
        if paths.len() >= MAX_KEPT {
            paths.clear();
        }
        let path: Arc<str> = Arc::from(scratch.as_str());
        paths.insert(Arc::clone(&path));
        path
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_is_the_same_allocation() {
        let a = shared(&[&"spec.containers[", &0usize, &"].image"]);
        let b = shared(&[&"spec.containers[0]", &".image"]);
        assert_eq!(&*a, "spec.containers[0].image");
        assert!(Arc::ptr_eq(&a, &b));
        let c = shared(&[&"spec.containers[", &1usize, &"].image"]);
        assert_eq!(&*c, "spec.containers[1].image");
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn the_set_is_bounded() {
        for i in 0..(MAX_KEPT * 2 + 3) {
            let path = shared(&[&"items[", &i, &"]"]);
            assert_eq!(*path, *format!("items[{i}]"));
        }
        KEPT.with(|kept| assert!(kept.borrow().paths.len() <= MAX_KEPT));
    }
}
