//! A bit set over endpoint positions, for "which endpoints does this selector pick".
//!
//! Only the words between the lowest and the highest set bit are stored. Workloads are
//! sorted by namespace, and most selectors pick pods of one namespace (a policy's
//! podSelector always does), so a policy's sets stay a few words long however large the
//! input: a full-width set per policy and rule made the model's memory grow with the
//! square of the input.

/// A set of positions; `len` given to the constructors only bounds [`BitSet::full`].
#[derive(Debug, Clone, Default)]
pub(crate) struct BitSet {
    /// Index of the first stored word.
    offset: usize,
    /// Words `offset..offset + words.len()`; every word outside is zero.
    words: Vec<u64>,
}

impl BitSet {
    /// The empty set (positions below `len`; nothing is allocated).
    pub(crate) fn new(_len: usize) -> BitSet {
        BitSet::default()
    }

    pub(crate) fn full(len: usize) -> BitSet {
        // Whole words at once: rules without peers make one of these per rule, over every
        // workload, and setting bits one by one was most of compiling such a policy.
        let mut words = vec![u64::MAX; len / 64];
        if len % 64 != 0 {
            words.push((1u64 << (len % 64)) - 1);
        }
        BitSet { offset: 0, words }
    }

    pub(crate) fn insert(&mut self, i: usize) {
        let w = i / 64;
        if self.words.is_empty() {
            self.offset = w;
            self.words.push(0);
        } else if w < self.offset {
            let grow = self.offset - w;
            self.words.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = w;
        } else if w >= self.offset + self.words.len() {
            self.words.resize(w - self.offset + 1, 0);
        }
        self.words[w - self.offset] |= 1 << (i % 64);
    }

    pub(crate) fn remove(&mut self, i: usize) {
        if let Some(w) = (i / 64)
            .checked_sub(self.offset)
            .and_then(|k| self.words.get_mut(k))
        {
            *w &= !(1 << (i % 64));
        }
    }

    /// Word `w` (bits `64*w..64*w+64`), zero outside the stored window.
    pub(crate) fn word(&self, w: usize) -> u64 {
        w.checked_sub(self.offset)
            .and_then(|k| self.words.get(k))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn contains(&self, i: usize) -> bool {
        self.word(i / 64) & (1 << (i % 64)) != 0
    }

    /// Indexes of set bits, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let offset = self.offset;
        self.words.iter().enumerate().flat_map(move |(k, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                Some((offset + k) * 64 + bit)
            })
        })
    }
}

/// Equal when the same positions are set, whatever words each stores.
impl PartialEq for BitSet {
    fn eq(&self, other: &BitSet) -> bool {
        let words = |b: &BitSet| (b.offset, b.offset + b.words.len());
        let (a0, a1) = words(self);
        let (b0, b1) = words(other);
        (a0.min(b0)..a1.max(b1)).all(|w| self.word(w) == other.word(w))
    }
}

impl Eq for BitSet {}

/// Transposes a 64×64 bit matrix in place: afterwards bit `r` of `a[c]` is what bit `c` of
/// `a[r]` was (bits numbered from the least significant). Six rounds of block swaps, each
/// exchanging the off-diagonal halves of every 2j×2j block.
pub(crate) fn transpose64(a: &mut [u64; 64]) {
    let mut j = 32;
    let mut mask: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        for k in 0..64 {
            if k & j == 0 {
                let t = ((a[k] >> j) ^ a[k + j]) & mask;
                a[k] ^= t << j;
                a[k + j] ^= t;
            }
        }
        j >>= 1;
        mask ^= mask << j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_bit_matrices() {
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut a = [0u64; 64];
        for w in &mut a {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            *w = rng;
        }
        let before = a;
        transpose64(&mut a);
        for (r, row) in before.iter().enumerate() {
            for (c, col) in a.iter().enumerate() {
                assert_eq!((col >> r) & 1, (row >> c) & 1, "({r}, {c})");
            }
        }
        transpose64(&mut a);
        assert_eq!(a, before);
    }

    #[test]
    fn sets_and_iterates() {
        let mut b = BitSet::new(130);
        for i in [0, 63, 64, 129] {
            b.insert(i);
        }
        assert_eq!(b.iter().collect::<Vec<_>>(), [0, 63, 64, 129]);
        assert!(b.contains(64) && !b.contains(65) && !b.contains(1000));
        assert_eq!(BitSet::full(70).iter().count(), 70);
        // Equal to setting each bit, at and around word boundaries (derived equality
        // compares the words, so a stray bit past the end would show).
        for len in [0, 1, 63, 64, 65, 128, 130] {
            let mut one_by_one = BitSet::new(len);
            (0..len).for_each(|i| one_by_one.insert(i));
            assert_eq!(BitSet::full(len), one_by_one, "len {len}");
        }
        assert_eq!(BitSet::new(10).iter().count(), 0);
        // Inserting below and above the stored window keeps every bit.
        let mut w = BitSet::new(1000);
        for i in [500, 3, 999, 200, 64] {
            w.insert(i);
        }
        assert_eq!(w.iter().collect::<Vec<_>>(), [3, 64, 200, 500, 999]);
        w.remove(200);
        w.remove(5000);
        assert!(!w.contains(200) && w.contains(999) && !w.contains(4000));
        assert_eq!(w.word(7), 1 << (500 - 448));
        let mut same = BitSet::new(1000);
        for i in [999, 500, 64, 3] {
            same.insert(i);
        }
        assert_eq!(w, same);
        same.insert(7);
        assert_ne!(w, same);
    }
}
