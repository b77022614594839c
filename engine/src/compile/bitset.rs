//! A fixed-size set of small integers (pod indices), 64 per word.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitSet {
    words: Vec<u64>,
    len: usize,
}

impl BitSet {
    pub fn new(len: usize) -> Self {
        BitSet { words: vec![0; len.div_ceil(64)], len }
    }

    pub fn full(len: usize) -> Self {
        let mut set = BitSet { words: vec![u64::MAX; len.div_ceil(64)], len };
        if !len.is_multiple_of(64)
            && let Some(last) = set.words.last_mut()
        {
            *last = (1u64 << (len % 64)) - 1;
        }
        set
    }

    pub fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    pub fn contains(&self, i: usize) -> bool {
        i < self.len && self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// The members, ascending.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let i = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    w * 64 + i
                })
            })
        })
    }

    pub fn union_with(&mut self, other: &BitSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// `self |= a & b`, without a temporary.
    pub fn union_with_intersection(&mut self, a: &BitSet, b: &BitSet) {
        for ((x, y), z) in self.words.iter_mut().zip(&a.words).zip(&b.words) {
            *x |= y & z;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations() {
        let mut a = BitSet::new(130);
        a.insert(0);
        a.insert(129);
        assert!(a.contains(129) && !a.contains(64) && !a.contains(500));
        let full = BitSet::full(130);
        assert!(full.contains(129) && !full.contains(130));
        let mut b = BitSet::new(130);
        b.insert(64);
        let mut c = BitSet::new(130);
        c.union_with_intersection(&full, &b);
        c.union_with(&a);
        assert!(c.contains(0) && c.contains(64) && c.contains(129) && !c.contains(1));
        assert_eq!(c.ones().collect::<Vec<_>>(), vec![0, 64, 129]);
    }
}
