//! Finding the applicable actions without scanning every action: a decision
//! tree over the precondition bits (Fast Downward's successor generator).
//!
//! Each node holds the actions whose preconditions are all tested on the path
//! to it, and may switch on one bit: a child for "bit true", one for "bit
//! false", and one for actions that do not care about that bit. A lookup visits
//! the matching child and the don't-care child only.

const NONE: u32 = u32::MAX;

/// A precondition literal: (bit, required value).
pub type Literal = (u32, bool);

#[derive(Clone, Debug)]
struct Node {
    /// Range into `SuccessorGenerator::ops` of the actions decided here.
    ops: (u32, u32),
    /// The bit tested, or `NONE`.
    bit: u32,
    /// Children for bit true, bit false, don't care (`NONE` when empty).
    children: [u32; 3],
}

/// The decision tree; built once per model.
#[derive(Clone, Debug)]
pub struct SuccessorGenerator {
    nodes: Vec<Node>,
    ops: Vec<u32>,
}

impl SuccessorGenerator {
    /// The tree for actions whose preconditions are `preconditions[op]`.
    pub fn new(preconditions: &[Vec<Literal>]) -> Self {
        let mut gen = Self {
            nodes: Vec::new(),
            ops: Vec::new(),
        };
        let sorted: Vec<Vec<Literal>> = preconditions
            .iter()
            .map(|l| {
                let mut l = l.clone();
                l.sort_unstable();
                l.dedup();
                l
            })
            .collect();
        let entries: Vec<(u32, &[Literal])> = sorted
            .iter()
            .enumerate()
            .map(|(op, l)| (op as u32, l.as_slice()))
            .collect();
        if !entries.is_empty() {
            gen.build(entries);
        }
        gen
    }

    /// Builds the subtree for `entries` (each with its untested literals) and
    /// returns its node id.
    fn build(&mut self, entries: Vec<(u32, &[Literal])>) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            ops: (0, 0),
            bit: NONE,
            children: [NONE; 3],
        });
        let start = self.ops.len() as u32;
        self.ops.extend(
            entries
                .iter()
                .filter(|(_, l)| l.is_empty())
                .map(|&(op, _)| op),
        );
        self.nodes[id as usize].ops = (start, self.ops.len() as u32);
        let Some(bit) = entries
            .iter()
            .filter_map(|(_, l)| l.first().map(|&(b, _)| b))
            .min()
        else {
            return id;
        };
        let mut groups: [Vec<(u32, &[Literal])>; 3] = Default::default();
        for (op, lits) in entries {
            match lits.first() {
                Some(&(b, value)) if b == bit => groups[usize::from(!value)].push((op, &lits[1..])),
                Some(_) => groups[2].push((op, lits)),
                None => {}
            }
        }
        let mut children = [NONE; 3];
        for (k, group) in groups.into_iter().enumerate() {
            if !group.is_empty() {
                children[k] = self.build(group);
            }
        }
        self.nodes[id as usize].bit = bit;
        self.nodes[id as usize].children = children;
        id
    }

    /// Appends the applicable actions of `state` to `out`, each once.
    pub fn applicable(&self, state: &[u64], out: &mut Vec<u32>) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = [0u32; 64];
        let mut heap_stack = Vec::new();
        let mut top = 1;
        while top > 0 || !heap_stack.is_empty() {
            let id = if let Some(id) = heap_stack.pop() {
                id
            } else {
                top -= 1;
                stack[top]
            };
            let node = &self.nodes[id as usize];
            out.extend_from_slice(&self.ops[node.ops.0 as usize..node.ops.1 as usize]);
            if node.bit == NONE {
                continue;
            }
            let b = node.bit as usize;
            let value = state[b / 64] >> (b % 64) & 1 == 1;
            for child in [node.children[usize::from(!value)], node.children[2]] {
                if child == NONE {
                    continue;
                }
                if top < stack.len() {
                    stack[top] = child;
                    top += 1;
                } else {
                    heap_stack.push(child);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn matches_a_linear_scan_on_random_models() {
        let mut rng = crate::util::rng(11, 0);
        for bits in [3usize, 70, 200] {
            let pres: Vec<Vec<Literal>> = (0..300)
                .map(|_| {
                    let n = rng.random_range(0..6);
                    (0..n)
                        .map(|_| (rng.random_range(0..bits as u32), rng.random_bool(0.5)))
                        .collect()
                })
                .collect();
            let gen = SuccessorGenerator::new(&pres);
            for _ in 0..200 {
                let state: Vec<u64> = (0..bits.div_ceil(64)).map(|_| rng.random()).collect();
                let holds = |&(b, v): &Literal| (state[b as usize / 64] >> (b % 64) & 1 == 1) == v;
                let expect: Vec<u32> = (0..pres.len() as u32)
                    .filter(|&op| pres[op as usize].iter().all(holds))
                    .collect();
                let mut got = Vec::new();
                gen.applicable(&state, &mut got);
                got.sort_unstable();
                assert_eq!(got, expect);
            }
        }
    }
}
