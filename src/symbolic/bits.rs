//! Fixed-width bit vectors: the states of every symbolic model.
//!
//! Bits are packed little-endian into `u64` words (bit `i` is bit `i % 64` of
//! word `i / 64`); bits past the width are always zero, so two states are equal
//! exactly when their words are equal. Any width is allowed.

use std::fmt;
use std::str::FromStr;

/// Number of `u64` words that hold `bits` bits.
pub fn words_for(bits: usize) -> usize {
    bits.div_ceil(64)
}

/// A vector of `len` bits, packed into words. The unused high bits of the last
/// word are always zero.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct BitState {
    len: usize,
    words: Box<[u64]>,
}

impl BitState {
    /// `len` zero bits.
    pub fn zeros(len: usize) -> Self {
        Self {
            len,
            words: vec![0; words_for(len)].into_boxed_slice(),
        }
    }

    /// The bits of `values`, in order.
    pub fn from_bools(values: &[bool]) -> Self {
        let mut s = Self::zeros(values.len());
        for (i, &v) in values.iter().enumerate() {
            s.set(i, v);
        }
        s
    }

    /// `len` bits, set exactly at `ones`. Contract: every index is below `len`.
    pub fn from_ones(len: usize, ones: impl IntoIterator<Item = usize>) -> Self {
        let mut s = Self::zeros(len);
        for i in ones {
            s.set(i, true);
        }
        s
    }

    /// `len` bits read from packed words; bits past `len` are cleared.
    /// Contract: `words.len() == words_for(len)`.
    pub fn from_words(len: usize, words: &[u64]) -> Self {
        assert_eq!(
            words.len(),
            words_for(len),
            "word count does not match the width"
        );
        let mut s = Self {
            len,
            words: words.into(),
        };
        s.clear_tail();
        s
    }

    fn clear_tail(&mut self) {
        let rem = self.len % 64;
        if rem != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << rem) - 1;
            }
        }
    }

    /// The width in bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for the zero-width vector.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed words.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Bit `i`. Contract: `i < len`.
    pub fn get(&self, i: usize) -> bool {
        assert!(i < self.len, "bit {i} out of range for width {}", self.len);
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// Sets bit `i` to `value`. Contract: `i < len`.
    pub fn set(&mut self, i: usize, value: bool) {
        assert!(i < self.len, "bit {i} out of range for width {}", self.len);
        let mask = 1u64 << (i % 64);
        if value {
            self.words[i / 64] |= mask;
        } else {
            self.words[i / 64] &= !mask;
        }
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Indices of the set bits, ascending.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut rest = w;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let b = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    wi * 64 + b
                })
            })
        })
    }

    /// The bits as booleans.
    pub fn to_bools(&self) -> Vec<bool> {
        (0..self.len).map(|i| self.get(i)).collect()
    }

    /// True if every bit set here is set in `other` (same width).
    pub fn is_subset_of(&self, other: &Self) -> bool {
        self.words
            .iter()
            .zip(other.words.iter())
            .all(|(a, b)| a & !b == 0)
    }

    /// True if some bit is set in both (same width).
    pub fn intersects(&self, other: &Self) -> bool {
        self.words
            .iter()
            .zip(other.words.iter())
            .any(|(a, b)| a & b != 0)
    }
}

impl fmt::Display for BitState {
    /// The bits as a string of `0` and `1`, bit 0 first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: String = (0..self.len)
            .map(|i| if self.get(i) { '1' } else { '0' })
            .collect();
        f.write_str(&text)
    }
}

/// A character other than `0` or `1` in a bit string.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bit strings hold only 0 and 1; found {found:?} at position {position}")]
pub struct BitParseError {
    /// The offending character.
    pub found: char,
    /// Its index in the string.
    pub position: usize,
}

impl FromStr for BitState {
    type Err = BitParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let values = s
            .chars()
            .enumerate()
            .map(|(position, c)| match c {
                '0' => Ok(false),
                '1' => Ok(true),
                found => Err(BitParseError { found, position }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_bools(&values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_across_word_boundaries() {
        for len in [0, 1, 63, 64, 65, 130, 1024, 1500] {
            let s = BitState::from_ones(len, (0..len).filter(|i| i % 3 == 0 || i % 7 == 1));
            let back: BitState = s.to_string().parse().unwrap();
            assert_eq!(back, s);
            assert_eq!(back.len(), len);
            assert_eq!(s.words().len(), words_for(len));
        }
    }

    #[test]
    fn ones_and_counts_agree_with_bools() {
        let bools: Vec<bool> = (0..200).map(|i| (i * 37) % 11 < 4).collect();
        let s = BitState::from_bools(&bools);
        let ones: Vec<usize> = s.ones().collect();
        let expect: Vec<usize> = (0..200).filter(|&i| bools[i]).collect();
        assert_eq!(ones, expect);
        assert_eq!(s.count_ones(), expect.len());
        assert_eq!(s.to_bools(), bools);
    }

    #[test]
    fn from_words_clears_bits_past_the_width() {
        let s = BitState::from_words(70, &[u64::MAX, u64::MAX]);
        assert_eq!(s.count_ones(), 70);
        assert_eq!(s, BitState::from_ones(70, 0..70));
    }

    #[test]
    fn set_clears_and_subset_tests() {
        let mut a = BitState::from_ones(100, [1, 64, 99]);
        let b = BitState::from_ones(100, [1, 2, 64, 99]);
        assert!(a.is_subset_of(&b) && !b.is_subset_of(&a));
        a.set(64, false);
        assert!(!a.get(64));
        assert!(a.intersects(&b));
        assert!(!BitState::from_ones(100, [3]).intersects(&b));
    }

    #[test]
    fn bad_character_is_reported() {
        let err = "01x1".parse::<BitState>().unwrap_err();
        assert_eq!(
            err,
            BitParseError {
                found: 'x',
                position: 2
            }
        );
    }
}
