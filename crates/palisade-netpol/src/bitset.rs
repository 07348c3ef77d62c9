//! A fixed-size bit set, for "which endpoints does this selector pick".

/// Bits `0..len`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub(crate) fn new(len: usize) -> BitSet {
        BitSet {
            words: vec![0; len.div_ceil(64)],
        }
    }

    pub(crate) fn full(len: usize) -> BitSet {
        // Whole words at once: rules without peers make one of these per rule, over every
        // workload, and setting bits one by one was most of compiling such a policy.
        let mut words = vec![u64::MAX; len / 64];
        if len % 64 != 0 {
            words.push((1u64 << (len % 64)) - 1);
        }
        BitSet { words }
    }

    pub(crate) fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    pub(crate) fn remove(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }

    /// Word `w` (bits `64*w..64*w+64`), zero past the end.
    pub(crate) fn word(&self, w: usize) -> u64 {
        self.words.get(w).copied().unwrap_or(0)
    }

    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Indexes of set bits, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + bit)
            })
        })
    }
}

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
    }
}
