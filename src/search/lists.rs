//! Many short lists stored back to back in one allocation.

/// Lists stored back to back: list `i` is `items[start[i]..start[i + 1]]`.
/// One allocation for all of them, so the successor generator, h^max and
/// LM-cut, which walk thousands of short lists per state on a learned model,
/// read memory in order.
#[derive(Clone, Debug)]
pub struct Lists<T> {
    start: Vec<u32>,
    items: Vec<T>,
}

impl<T> Default for Lists<T> {
    fn default() -> Self {
        Lists {
            start: vec![0],
            items: Vec::new(),
        }
    }
}

impl<T> Lists<T> {
    /// The lists in the order given.
    pub fn from_lists<L: IntoIterator<Item = T>>(lists: impl IntoIterator<Item = L>) -> Self {
        let mut out = Self::default();
        for list in lists {
            out.items.extend(list);
            out.start.push(out.items.len() as u32);
        }
        out
    }

    /// List `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &[T] {
        &self.items[self.start[i] as usize..self.start[i + 1] as usize]
    }

    /// Number of lists.
    pub fn len(&self) -> usize {
        self.start.len() - 1
    }

    /// True if there are no lists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::Lists;

    #[test]
    fn lists_keep_their_order_and_empty_lists() {
        let lists = Lists::from_lists([vec![3u32, 1], vec![], vec![7]]);
        assert_eq!(lists.len(), 3);
        assert_eq!(lists.get(0), &[3, 1]);
        assert!(lists.get(1).is_empty());
        assert_eq!(lists.get(2), &[7]);
        assert!(Lists::<u32>::default().is_empty());
    }
}
