//! The open list: a two-level bucket queue on integer keys (primary, secondary),
//! last in first out within a bucket. A* uses (f, h), so among equal f the
//! smallest h, i.e. the largest g, comes first; greedy search uses (h, 0).

/// A bucket priority queue of state ids.
#[derive(Default)]
pub struct BucketQueue {
    buckets: Vec<Vec<Vec<u32>>>,
    min: usize,
    len: usize,
}

impl BucketQueue {
    /// Adds `id` with key (`primary`, `secondary`).
    pub fn push(&mut self, primary: u32, secondary: u32, id: u32) {
        let (p, s) = (primary as usize, secondary as usize);
        if self.buckets.len() <= p {
            self.buckets.resize_with(p + 1, Vec::new);
        }
        let row = &mut self.buckets[p];
        if row.len() <= s {
            row.resize_with(s + 1, Vec::new);
        }
        row[s].push(id);
        self.min = self.min.min(p);
        self.len += 1;
    }

    /// Removes an entry with the smallest key; returns (primary, id).
    pub fn pop(&mut self) -> Option<(u32, u32)> {
        if self.len == 0 {
            return None;
        }
        while self.min < self.buckets.len() {
            for bucket in self.buckets[self.min].iter_mut() {
                if let Some(id) = bucket.pop() {
                    self.len -= 1;
                    return Some((self.min as u32, id));
                }
            }
            self.min += 1;
        }
        None
    }

    /// An entry with the smallest key, left in place; returns (primary, id).
    pub fn peek(&mut self) -> Option<(u32, u32)> {
        if self.len == 0 {
            return None;
        }
        while self.min < self.buckets.len() {
            if let Some(&id) = self.buckets[self.min].iter().find_map(|b| b.last()) {
                return Some((self.min as u32, id));
            }
            self.min += 1;
        }
        None
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_order_lifo_within_a_bucket() {
        let mut q = BucketQueue::default();
        q.push(5, 1, 10);
        q.push(3, 2, 11);
        q.push(3, 0, 12);
        q.push(3, 0, 13);
        q.push(7, 0, 14);
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, id)| id)).collect();
        assert_eq!(order, vec![13, 12, 11, 10, 14]);
        q.push(2, 0, 1);
        assert_eq!(q.peek(), Some((2, 1)));
        assert_eq!(q.pop(), Some((2, 1)));
        assert_eq!(q.peek(), None);
        assert_eq!(q.len(), 0);
    }
}
