//! LightsOut as linear algebra over GF(2), for drawing problems fast.
//!
//! Pressing a set P of cells turns the all-off board into `A·P`, where column
//! j of `A` is the toggle pattern of cell j. Two press sets give the same board
//! exactly when they differ by an element of the null space of `A`, so the
//! optimal plan length of board `A·P` is `min_k |P ⊕ k|` over the null space.
//! Breadth-first search needs the whole 2²³-state graph for 5×5 problems at 14
//! moves; this needs a handful of vector operations per candidate.

/// The toggle pattern of pressing each cell of an n×n board (column j of A).
pub fn press_patterns(n: usize) -> Vec<Vec<u8>> {
    (0..n * n)
        .map(|j| {
            let mut col = vec![0u8; n * n];
            let (r, c) = (j / n, j % n);
            col[j] = 1;
            if r > 0 {
                col[j - n] = 1;
            }
            if r + 1 < n {
                col[j + n] = 1;
            }
            if c > 0 {
                col[j - 1] = 1;
            }
            if c + 1 < n {
                col[j + 1] = 1;
            }
            col
        })
        .collect()
}

/// Gauss–Jordan elimination over GF(2) of `rows` on their first `m`
/// columns (later columns ride along); returns the pivot column of each
/// leading row, so rows past their count are zero on those columns.
fn eliminate(rows: &mut [Vec<u8>], m: usize) -> Vec<usize> {
    let mut pivot_cols = Vec::new();
    let mut r = 0;
    for c in 0..m {
        let Some(p) = (r..rows.len()).find(|&i| rows[i][c] == 1) else {
            continue;
        };
        rows.swap(r, p);
        for i in 0..rows.len() {
            if i != r && rows[i][c] == 1 {
                let pivot = rows[r].clone();
                rows[i].iter_mut().zip(&pivot).for_each(|(a, b)| *a ^= b);
            }
        }
        pivot_cols.push(c);
        r += 1;
    }
    pivot_cols
}

/// A basis of the null space of `A` (the press sets that change nothing).
pub fn null_space(n: usize) -> Vec<Vec<u8>> {
    let m = n * n;
    // A is symmetric, so its rows are its columns.
    let mut rows = press_patterns(n);
    let pivot_cols = eliminate(&mut rows, m);
    let free: Vec<usize> = (0..m).filter(|c| !pivot_cols.contains(c)).collect();
    free.iter()
        .map(|&f| {
            let mut v = vec![0u8; m];
            v[f] = 1;
            for (row, &pc) in pivot_cols.iter().enumerate() {
                v[pc] = rows[row][f];
            }
            v
        })
        .collect()
}

/// Every element of the space spanned by `basis` (2^dim vectors of length `m`).
pub fn span(basis: &[Vec<u8>], m: usize) -> Vec<Vec<u8>> {
    let mut all = vec![vec![0u8; m]];
    for b in basis {
        let more: Vec<Vec<u8>> = all
            .iter()
            .map(|v| v.iter().zip(b).map(|(x, y)| x ^ y).collect())
            .collect();
        all.extend(more);
    }
    all
}

/// The board `A·P` for press set `presses` (0/1 per cell).
pub fn board(n: usize, presses: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; n * n];
    for (j, col) in press_patterns(n).iter().enumerate() {
        if presses[j] == 1 {
            out.iter_mut().zip(col).for_each(|(a, b)| *a ^= b);
        }
    }
    out
}

/// A press set `P` with `A·P = target` on an n×n board, if one exists
/// (Gauss–Jordan elimination of `[A | target]`; free cells left unpressed).
pub fn solve(n: usize, target: &[u8]) -> Option<Vec<u8>> {
    let m = n * n;
    // A is symmetric, so its rows are its columns; the last entry is the target's.
    let mut rows: Vec<Vec<u8>> = press_patterns(n)
        .into_iter()
        .zip(target)
        .map(|(mut row, &t)| {
            row.push(t);
            row
        })
        .collect();
    let pivot_cols = eliminate(&mut rows, m);
    if rows[pivot_cols.len()..].iter().any(|row| row[m] == 1) {
        return None;
    }
    let mut presses = vec![0u8; m];
    for (row, &c) in pivot_cols.iter().enumerate() {
        presses[c] = rows[row][m];
    }
    Some(presses)
}

/// The fewest presses that turn board `from` into board `to` (n×n), or
/// `None` when no press set does: the lightest of the solutions `P ⊕ k`
/// over the null space, since pressing a cell twice undoes it.
pub fn min_presses(n: usize, from: &[u8], to: &[u8]) -> Option<usize> {
    let target: Vec<u8> = from.iter().zip(to).map(|(a, b)| a ^ b).collect();
    let p = solve(n, &target)?;
    weights(&span(&null_space(n), n * n), &p).min()
}

/// The number of presses of each press set `presses ⊕ k`, k in `kernel`
/// (the press sets that make the same board as `presses`).
pub fn weights<'a>(kernel: &'a [Vec<u8>], presses: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    kernel
        .iter()
        .map(move |k| k.iter().zip(presses).filter(|(a, b)| a != b).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_presses_agree_with_breadth_first_search() {
        use crate::domain::search::reachable;
        for n in [3usize, 4] {
            let next = |s: &[u8]| -> Vec<Vec<u8>> {
                press_patterns(n)
                    .iter()
                    .map(|col| s.iter().zip(col).map(|(a, b)| a ^ b).collect())
                    .collect()
            };
            let zero = vec![0u8; n * n];
            let (found, done) = reachable(&zero, usize::MAX, next);
            assert!(done);
            let bfs: std::collections::HashMap<Vec<u8>, usize> = found.into_iter().collect();
            // Every board: the reachable ones at their BFS distance, the others
            // (4×4 has 2^16 boards and 2^12 reachable) unsolvable.
            for code in 0u32..1 << (n * n) {
                let board: Vec<u8> = (0..n * n).map(|i| (code >> i & 1) as u8).collect();
                let want = bfs.get(&board).copied();
                assert_eq!(
                    min_presses(n, &zero, &board),
                    want,
                    "{n}×{n} board {code:b}"
                );
                if let Some(p) = solve(n, &board) {
                    assert_eq!(super::board(n, &p), board);
                }
            }
        }
        // 5×5: pressing every cell, and a board no press set makes (the
        // all-off board with one corner lit lies outside A's column space).
        let all = board(5, &[1; 25]);
        assert!(min_presses(5, &[0; 25], &all).is_some_and(|d| d <= 25));
        let mut corner = vec![0u8; 25];
        corner[0] = 1;
        assert_eq!(min_presses(5, &[0; 25], &corner), None);
    }

    #[test]
    fn null_space_dimensions_are_the_known_ones() {
        // Known: 3×3 invertible, 4×4 nullity 4, 5×5 nullity 2.
        for (n, dim) in [(3, 0), (4, 4), (5, 2)] {
            let basis = null_space(n);
            assert_eq!(basis.len(), dim, "{n}×{n}");
            for v in &basis {
                assert!(
                    board(n, v).iter().all(|&b| b == 0),
                    "{n}×{n}: {v:?} is not in the null space"
                );
            }
        }
    }
}
