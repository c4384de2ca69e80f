//! Breadth-first layers over a domain's state graph, used to make problems
//! whose optimal length is proved, and to enumerate reachable states.

use std::collections::{HashSet, VecDeque};

use rand::seq::SliceRandom;

use super::{Code, DomainError, ProblemStates};
use crate::util::Rng;

/// All states at breadth-first distance exactly `steps` from `root`, in
/// discovery order, following `next`.
pub fn layer_at<F>(root: &[u8], steps: usize, mut next: F) -> Vec<Code>
where
    F: FnMut(&[u8]) -> Vec<Code>,
{
    let mut seen: HashSet<Code> = HashSet::from([root.to_vec()]);
    let mut layer = vec![root.to_vec()];
    for _ in 0..steps {
        let mut fresh = Vec::new();
        for s in &layer {
            for t in next(s) {
                if seen.insert(t.clone()) {
                    fresh.push(t);
                }
            }
        }
        layer = fresh;
        if layer.is_empty() {
            break;
        }
    }
    layer
}

/// Every state reachable from `root` with its distance, breadth-first, up to
/// `limit` states. Returns the states in order and whether the graph was exhausted.
pub fn reachable<F>(root: &[u8], limit: usize, mut next: F) -> (Vec<(Code, usize)>, bool)
where
    F: FnMut(&[u8]) -> Vec<Code>,
{
    let mut seen: HashSet<Code> = HashSet::from([root.to_vec()]);
    let mut order = vec![(root.to_vec(), 0)];
    let mut queue = VecDeque::from([0usize]);
    while let Some(i) = queue.pop_front() {
        let (s, d) = order[i].clone();
        for t in next(&s) {
            if order.len() >= limit {
                return (order, false);
            }
            if seen.insert(t.clone()) {
                order.push((t, d + 1));
                queue.push_back(order.len() - 1);
            }
        }
    }
    (order, true)
}

/// What a search of the real state graph found about a goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The goal is this many moves away (the optimum).
    Moves(usize),
    /// Every state reachable from the start was seen and the goal is not
    /// among them: no plan exists.
    Unreachable,
    /// The search stopped at its limit of states first.
    Unknown,
}

impl Reach {
    /// The optimal length, when known.
    pub fn moves(self) -> Option<usize> {
        match self {
            Reach::Moves(n) => Some(n),
            _ => None,
        }
    }
}

/// Breadth-first distance from `from` to `to`, seeing at most `limit` states.
pub fn distance<F>(from: &[u8], to: &[u8], limit: usize, mut next: F) -> Reach
where
    F: FnMut(&[u8]) -> Vec<Code>,
{
    if from == to {
        return Reach::Moves(0);
    }
    let mut seen: HashSet<Code> = HashSet::from([from.to_vec()]);
    let mut layer = vec![from.to_vec()];
    let mut depth = 0;
    while !layer.is_empty() {
        if seen.len() >= limit {
            return Reach::Unknown;
        }
        depth += 1;
        let mut fresh = Vec::new();
        for s in &layer {
            for t in next(s) {
                if t == to {
                    return Reach::Moves(depth);
                }
                if seen.insert(t.clone()) {
                    fresh.push(t);
                }
            }
        }
        layer = fresh;
    }
    Reach::Unreachable
}

/// Latplan's protocol: `count` problems to `goal` whose starts are drawn
/// uniformly among the states exactly `steps` moves before it (breadth-first
/// search backward along `predecessors`).
pub fn problems_before<F>(
    goal: &[u8],
    steps: usize,
    count: usize,
    rng: &mut Rng,
    predecessors: F,
) -> Result<Vec<ProblemStates>, DomainError>
where
    F: FnMut(&[u8]) -> Vec<Code>,
{
    let layer = layer_at(goal, steps, predecessors);
    let starts = sample(layer, count, steps, rng)?;
    Ok(starts
        .into_iter()
        .map(|init| ProblemStates {
            init,
            goal: goal.to_vec(),
            optimal: steps,
        })
        .collect())
}

/// Draws `count` distinct states from `layer` uniformly without replacement.
pub fn sample(
    mut layer: Vec<Code>,
    count: usize,
    steps: usize,
    rng: &mut Rng,
) -> Result<Vec<Code>, DomainError> {
    if layer.len() < count {
        return Err(DomainError::TooFewStates {
            steps,
            found: layer.len(),
            wanted: count,
        });
    }
    layer.shuffle(rng);
    layer.truncate(count);
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line graph 0 - 1 - 2 - ... - 9.
    fn line(s: &[u8]) -> Vec<Code> {
        let v = s[0];
        let mut out = Vec::new();
        if v > 0 {
            out.push(vec![v - 1]);
        }
        if v < 9 {
            out.push(vec![v + 1]);
        }
        out
    }

    #[test]
    fn layers_on_a_line() {
        assert_eq!(layer_at(&[0], 3, line), vec![vec![3]]);
        assert_eq!(layer_at(&[5], 2, line), vec![vec![3], vec![7]]);
        assert!(layer_at(&[0], 12, line).is_empty());
    }

    #[test]
    fn distances_on_a_line() {
        assert_eq!(distance(&[2], &[7], 100, line), Reach::Moves(5));
        assert_eq!(distance(&[4], &[4], 100, line), Reach::Moves(0));
        assert_eq!(distance(&[0], &[9], 3, line), Reach::Unknown);
        assert_eq!(distance(&[0], &[12], 100, line), Reach::Unreachable);
    }

    #[test]
    fn reachable_counts_and_limits() {
        let (all, done) = reachable(&[0], 100, line);
        assert!(done);
        assert_eq!(all.len(), 10);
        assert_eq!(all[9], (vec![9], 9));
        let (some, done) = reachable(&[0], 4, line);
        assert!(!done);
        assert_eq!(some.len(), 4);
    }
}
