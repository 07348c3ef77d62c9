//! Building a message or a field path from pieces with one exact allocation.
//!
//! `format!` guesses the capacity, grows the string as it goes and walks `core::fmt`'s
//! machinery for every piece; checks build a few messages and paths per finding, and on a
//! large scan that cost stood out. [`cat!`](crate::cat) measures the pieces first, allocates
//! once, and copies them in; integers are written in decimal by hand. The result is the same
//! text `format!("{}{}…", …)` gives for the same pieces.
//!
//! ```
//! use palisade_core::cat;
//!
//! let (name, index) = ("web", 3_usize);
//! let message = cat!("container `", name, "` is #", index);
//! assert_eq!(message, format!("container `{name}` is #{index}"));
//! assert_eq!(message.capacity(), message.len());
//! ```

use std::borrow::Cow;

use compact_str::CompactString;

/// Something that can be written into a string whose size is known beforehand.
pub trait Piece {
    /// How many bytes [`Piece::push_to`] writes.
    fn byte_len(&self) -> usize;
    /// Appends the piece to `out`.
    fn push_to(&self, out: &mut String);
}

/// The pieces joined, in one allocation of exactly their length.
pub fn concat(pieces: &[&dyn Piece]) -> String {
    let mut out = String::with_capacity(byte_len(pieces));
    push_all(&mut out, pieces);
    out
}

/// The pieces of `head` then those of `tail`, in one exact allocation (for helpers that
/// put a fixed head before pieces their caller gives).
pub fn concat_pair(head: &[&dyn Piece], tail: &[&dyn Piece]) -> String {
    let mut out = String::with_capacity(byte_len(head) + byte_len(tail));
    push_all(&mut out, head);
    push_all(&mut out, tail);
    out
}

/// The total length of `pieces`, in bytes.
pub fn byte_len(pieces: &[&dyn Piece]) -> usize {
    pieces.iter().map(|p| p.byte_len()).sum()
}

/// Appends every piece to `out`, in order.
pub fn push_all(out: &mut String, pieces: &[&dyn Piece]) {
    for piece in pieces {
        piece.push_to(out);
    }
}

/// A `String` of the pieces joined (anything implementing [`text::Piece`](Piece): string
/// types, integers, `char`, a container's description), in one exact allocation.
/// `cat!("a", name, 3)` gives what `format!("a{name}{}", 3)` gives. Each piece is evaluated
/// once.
#[macro_export]
macro_rules! cat {
    ($($piece:expr),* $(,)?) => {
        $crate::text::concat(&[$(&$piece as &dyn $crate::text::Piece),*])
    };
}

impl Piece for str {
    fn byte_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn byte_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for CompactString {
    fn byte_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for Cow<'_, str> {
    fn byte_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for std::sync::Arc<str> {
    fn byte_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for char {
    fn byte_len(&self) -> usize {
        self.len_utf8()
    }
    fn push_to(&self, out: &mut String) {
        out.push(*self);
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn byte_len(&self) -> usize {
        (**self).byte_len()
    }
    fn push_to(&self, out: &mut String) {
        (**self).push_to(out);
    }
}

/// Decimal digits of `n` (1 for 0).
fn digits(mut n: u64) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

/// The decimal digits of `n` (as `Display` writes them), written into the end of `buf`:
/// no formatting machinery and no allocation, for writers of many numbers.
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    // u64::MAX has 20 digits; fill from the end.
    let mut start = buf.len();
    loop {
        start -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[start..]
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    for &b in decimal(n, &mut buf) {
        out.push(char::from(b));
    }
}

macro_rules! unsigned_piece {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn byte_len(&self) -> usize {
                digits(u64::from(*self))
            }
            fn push_to(&self, out: &mut String) {
                push_decimal(out, u64::from(*self));
            }
        }
    )*};
}

macro_rules! signed_piece {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn byte_len(&self) -> usize {
                usize::from(*self < 0) + digits(i64::from(*self).unsigned_abs())
            }
            fn push_to(&self, out: &mut String) {
                if *self < 0 {
                    out.push('-');
                }
                push_decimal(out, i64::from(*self).unsigned_abs());
            }
        }
    )*};
}

unsigned_piece!(u8, u16, u32, u64);
signed_piece!(i8, i16, i32, i64);

// `usize` and `isize` have no lossless `From` into the 64-bit types on every target; every
// target Rust supports has them at most 64 bits wide, so the conversions below never fail.
impl Piece for usize {
    fn byte_len(&self) -> usize {
        digits(u64::try_from(*self).unwrap_or(u64::MAX))
    }
    fn push_to(&self, out: &mut String) {
        push_decimal(out, u64::try_from(*self).unwrap_or(u64::MAX));
    }
}

impl Piece for isize {
    fn byte_len(&self) -> usize {
        i64::try_from(*self).unwrap_or(i64::MIN).byte_len()
    }
    fn push_to(&self, out: &mut String) {
        i64::try_from(*self).unwrap_or(i64::MIN).push_to(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every piece's declared length is what it writes, and what `Display` writes.
    fn same_as_display<T: Piece + std::fmt::Display>(value: T) {
        let built = cat!(value);
        assert_eq!(built, value.to_string());
        assert_eq!(value.byte_len(), built.len());
        assert_eq!(
            built.capacity(),
            built.len(),
            "one exact allocation for {built}"
        );
    }

    #[test]
    fn integers_match_format_at_their_edges() {
        for n in [0u64, 1, 9, 10, 99, 100, 12_345, u64::MAX / 10, u64::MAX] {
            same_as_display(n);
        }
        for n in [0i64, -1, 1, -9, -10, 10, i64::MIN, i64::MIN + 1, i64::MAX] {
            same_as_display(n);
        }
        same_as_display(u8::MAX);
        same_as_display(u16::MAX);
        same_as_display(u32::MAX);
        same_as_display(usize::MAX);
        same_as_display(0usize);
        same_as_display(i8::MIN);
        same_as_display(i16::MIN);
        same_as_display(i32::MIN);
        same_as_display(i32::MAX);
        same_as_display(isize::MIN);
        same_as_display(isize::MAX);
        // Every power of ten and its neighbours, where the digit count changes.
        let mut p = 1u64;
        while let Some(next) = p.checked_mul(10) {
            for n in [p - 1, p, p + 1] {
                same_as_display(n);
            }
            p = next;
        }
    }

    #[test]
    fn every_string_type_is_a_piece() {
        let owned = String::from("owned");
        let compact = CompactString::from("compact");
        let borrowed: Cow<str> = Cow::Borrowed("borrowed");
        let cow_owned: Cow<str> = Cow::Owned(String::from("cow"));
        let s: &str = "slice";
        let built =
            cat!(s, " ", owned, " ", compact, " ", borrowed, " ", cow_owned, ' ', 'é', &owned);
        let expected = format!("{s} {owned} {compact} {borrowed} {cow_owned} é{owned}");
        assert_eq!(built, expected);
        assert_eq!(built.capacity(), built.len());
    }

    #[test]
    fn mixed_pieces_match_format() {
        let (kind, resource, index, port) = ("limits", "cpu", 7usize, -8080i32);
        let built = cat!(
            "resources.",
            kind,
            ".",
            resource,
            "[",
            index,
            "]:",
            port,
            ","
        );
        assert_eq!(
            built,
            format!("resources.{kind}.{resource}[{index}]:{port},")
        );
        assert_eq!(built.capacity(), built.len());
    }

    #[test]
    fn nothing_and_empty_pieces_give_an_empty_string() {
        assert_eq!(cat!(), "");
        assert_eq!(cat!("", String::new()), "");
    }

    #[test]
    fn each_piece_is_evaluated_once() {
        let mut calls = 0;
        let mut next = || {
            calls += 1;
            calls
        };
        let built = cat!(next(), "-", next());
        assert_eq!(built, "1-2");
        assert_eq!(calls, 2);
    }

    #[test]
    fn pieces_can_be_appended_to_an_existing_string() {
        let mut out = String::from("spec.");
        let pieces: [&dyn Piece; 3] = [&"volumes[", &12u32, &"]"];
        assert_eq!(byte_len(&pieces), 11);
        push_all(&mut out, &pieces);
        assert_eq!(out, "spec.volumes[12]");
        let joined = concat_pair(&[&"a", &1u8], &[&'b', &-2i8]);
        assert_eq!(joined, "a1b-2");
        assert_eq!(joined.capacity(), joined.len());
    }
}
