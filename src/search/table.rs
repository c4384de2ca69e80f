//! The closed/open state registry: states packed back to back in one word
//! arena, found through an open-addressing hash table of state ids.
//!
//! Each slot holds a state id and the upper 32 bits of its hash, which also
//! choose the slot (so growing never rereads the states); a lookup compares
//! the full words of a candidate whose hash bits match, never a digest alone.

const EMPTY: u64 = u64::MAX;

/// Every state the search has generated, each with a dense id.
pub struct StateTable {
    words: usize,
    arena: Vec<u64>,
    slots: Vec<u64>,
    len: usize,
}

/// A fast 64-bit hash of a state's words.
#[inline]
fn hash_words(state: &[u64]) -> u64 {
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    for &w in state {
        h = (h ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h.wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

impl StateTable {
    /// An empty table for states of `words` words.
    pub fn new(words: usize) -> Self {
        Self {
            words,
            arena: Vec::new(),
            slots: vec![EMPTY; 1024],
            len: 0,
        }
    }

    /// Number of states stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The words of state `id`.
    #[inline]
    pub fn get(&self, id: u32) -> &[u64] {
        let start = id as usize * self.words;
        &self.arena[start..start + self.words]
    }

    /// The id of `state`, inserting it if new; the flag says whether it was new.
    #[inline]
    pub fn insert(&mut self, state: &[u64]) -> (u32, bool) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let hash = hash_words(state);
        let tag = hash >> 32;
        let mut i = tag as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == EMPTY {
                let new = self.len as u32;
                self.slots[i] = tag << 32 | u64::from(new);
                self.arena.extend_from_slice(state);
                self.len += 1;
                return (new, true);
            }
            let id = slot as u32;
            if slot >> 32 == tag && self.same(id, state) {
                return (id, false);
            }
            i = (i + 1) & mask;
        }
    }

    /// The id of `state` if it is stored.
    #[inline]
    pub fn find(&self, state: &[u64]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let tag = hash_words(state) >> 32;
        let mut i = tag as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == EMPTY {
                return None;
            }
            let id = slot as u32;
            if slot >> 32 == tag && self.same(id, state) {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// True if state `id` is `state`, word for word.
    #[inline]
    pub fn same(&self, id: u32, state: &[u64]) -> bool {
        let stored = self.get(id);
        (0..self.words).all(|w| stored[w] == state[w])
    }

    fn grow(&mut self) {
        let mut slots = vec![EMPTY; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for &slot in self.slots.iter().filter(|&&s| s != EMPTY) {
            let mut i = (slot >> 32) as usize & mask;
            while slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            slots[i] = slot;
        }
        self.slots = slots;
    }

    /// Bytes held by the table.
    pub fn bytes(&self) -> usize {
        self.arena.capacity() * 8 + self.slots.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_states_get_distinct_ids_and_repeats_are_found() {
        let mut t = StateTable::new(2);
        for i in 0..5000u64 {
            assert_eq!(t.insert(&[i, i * 7]), (i as u32, true));
        }
        for i in 0..5000u64 {
            assert_eq!(t.insert(&[i, i * 7]), (i as u32, false));
            assert_eq!(t.get(i as u32), &[i, i * 7]);
        }
        assert_eq!(t.find(&[7, 49]), Some(7));
        assert_eq!(t.find(&[7, 48]), None);
        assert!(t.insert(&[1, 8]).1);
        assert_eq!(t.len(), 5001);
    }
}
