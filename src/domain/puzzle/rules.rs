//! Sliding-puzzle rules: a typed state with a text form, legal moves, the goal.
//!
//! A state lists the tile at each position, row by row; tile 0 is the blank
//! (drawn as the picture of 0, as in Latplan). A move swaps the blank with a
//! neighbour. The goal is `0 1 2 / 3 4 5 / 6 7 8` (Latplan's solved puzzle).

use std::fmt;
use std::str::FromStr;

/// A w×h sliding-puzzle state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PuzzleState {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Tile at each position, row-major; a permutation of `0..width*height`.
    pub tiles: Vec<u8>,
}

impl PuzzleState {
    /// The solved puzzle: tile i at position i.
    pub fn goal(width: usize, height: usize) -> Self {
        PuzzleState {
            width,
            height,
            tiles: (0..(width * height) as u8).collect(),
        }
    }

    /// Position of the blank.
    pub fn blank(&self) -> usize {
        self.tiles.iter().position(|&t| t == 0).unwrap_or(0)
    }

    /// Positions next to `pos`, in the fixed order up, down, left, right.
    pub fn neighbours(&self, pos: usize) -> Vec<usize> {
        let (r, c) = (pos / self.width, pos % self.width);
        let mut out = Vec::with_capacity(4);
        if r > 0 {
            out.push(pos - self.width);
        }
        if r + 1 < self.height {
            out.push(pos + self.width);
        }
        if c > 0 {
            out.push(pos - 1);
        }
        if c + 1 < self.width {
            out.push(pos + 1);
        }
        out
    }

    /// States one move away (the blank swapped with each neighbour).
    pub fn successors(&self) -> Vec<PuzzleState> {
        let b = self.blank();
        self.neighbours(b)
            .into_iter()
            .map(|n| {
                let mut next = self.clone();
                next.tiles.swap(b, n);
                next
            })
            .collect()
    }

    /// True if the tiles are a permutation of `0..width*height`.
    pub fn is_valid(&self) -> bool {
        let n = self.width * self.height;
        let mut seen = vec![false; n];
        self.tiles.len() == n
            && self
                .tiles
                .iter()
                .all(|&t| (t as usize) < n && !std::mem::replace(&mut seen[t as usize], true))
    }
}

impl fmt::Display for PuzzleState {
    /// Rows separated by " / ", e.g. `0 1 2 / 3 4 5 / 6 7 8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (r, row) in self.tiles.chunks(self.width).enumerate() {
            if r > 0 {
                f.write_str(" / ")?;
            }
            let cells: Vec<String> = row.iter().map(u8::to_string).collect();
            f.write_str(&cells.join(" "))?;
        }
        Ok(())
    }
}

impl FromStr for PuzzleState {
    type Err = String;

    /// Reads rows separated by `/` or newlines, tiles by spaces or commas.
    fn from_str(text: &str) -> Result<Self, String> {
        let rows: Vec<Vec<u8>> = text
            .split(['/', '\n', ';'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.split([' ', ',', '\t'])
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        t.parse::<u8>()
                            .map_err(|_| format!("{t:?} is not a tile number"))
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        let height = rows.len();
        let width = rows.first().map_or(0, Vec::len);
        if height == 0 || width == 0 || rows.iter().any(|r| r.len() != width) {
            return Err(
                "expected rows of equal length separated by '/', e.g. \"0 1 2 / 3 4 5 / 6 7 8\""
                    .into(),
            );
        }
        let state = PuzzleState {
            width,
            height,
            tiles: rows.concat(),
        };
        if !state.is_valid() {
            return Err(format!(
                "expected each tile 0…{} exactly once",
                width * height - 1
            ));
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_moves() {
        let s: PuzzleState = "1 0 2 / 3 4 5 / 6 7 8".parse().unwrap();
        assert_eq!(s.to_string(), "1 0 2 / 3 4 5 / 6 7 8");
        let next: Vec<String> = s.successors().iter().map(ToString::to_string).collect();
        assert_eq!(
            next,
            [
                "1 4 2 / 3 0 5 / 6 7 8",
                "0 1 2 / 3 4 5 / 6 7 8",
                "1 2 0 / 3 4 5 / 6 7 8"
            ]
        );
    }

    #[test]
    fn rejects_bad_text() {
        assert!("0 1 / 2".parse::<PuzzleState>().is_err());
        assert!("0 1 1 / 2 3 4".parse::<PuzzleState>().is_err());
        assert!("0 x 2".parse::<PuzzleState>().is_err());
        assert!("".parse::<PuzzleState>().is_err());
    }
}
