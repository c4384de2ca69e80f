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

/// A basis of the null space of `A` (the press sets that change nothing).
pub fn null_space(n: usize) -> Vec<Vec<u8>> {
    let m = n * n;
    // A is symmetric, so its rows are its columns.
    let mut rows = press_patterns(n);
    let mut pivot_cols = Vec::new();
    let mut r = 0;
    for c in 0..m {
        let Some(p) = (r..m).find(|&i| rows[i][c] == 1) else {
            continue;
        };
        rows.swap(r, p);
        for i in 0..m {
            if i != r && rows[i][c] == 1 {
                let pivot = rows[r].clone();
                rows[i].iter_mut().zip(&pivot).for_each(|(a, b)| *a ^= b);
            }
        }
        pivot_cols.push(c);
        r += 1;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
