//! Sokoban rules: the player walks to a free neighbouring cell or pushes one
//! box one cell on, into a free cell. Moves are not reversible (a box cannot
//! be pulled), so predecessors have their own rule: walk back, or walk back
//! pulling the box that was pushed.
//!
//! A [`Board`] is the dynamic part of a state (player and boxes); the layout
//! is the [`Level`]'s. As a code: `[player, box, box, …]`, boxes in
//! increasing cell order, so equal states have equal codes.

use super::level::Level;
use crate::domain::Code;

/// Directions in move order: up, down, left, right.
pub const DIRECTIONS: [(isize, isize); 4] = [(-1, 0), (1, 0), (0, -1), (0, 1)];

/// The player's cell and the boxes' cells (sorted).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Board {
    /// Player cell (row-major index).
    pub player: u8,
    /// Box cells, increasing.
    pub boxes: Vec<u8>,
}

impl Board {
    /// A board from cell indices (each below [`super::level::MAX_CELLS`]).
    pub fn new(player: usize, boxes: Vec<usize>) -> Board {
        let mut boxes: Vec<u8> = boxes.into_iter().map(|b| b as u8).collect();
        boxes.sort_unstable();
        Board {
            player: player as u8,
            boxes,
        }
    }

    /// The board of a code (`[player, boxes…]`).
    pub fn from_code(code: &[u8]) -> Board {
        let mut boxes = code.get(1..).unwrap_or_default().to_vec();
        boxes.sort_unstable();
        Board {
            player: code.first().copied().unwrap_or(0),
            boxes,
        }
    }

    /// The code `[player, boxes…]`.
    pub fn code(&self) -> Code {
        let mut code = vec![self.player];
        code.extend_from_slice(&self.boxes);
        code
    }

    /// True if a box stands on `cell`.
    pub fn has_box(&self, cell: usize) -> bool {
        self.boxes.binary_search(&(cell as u8)).is_ok()
    }

    /// The board with the box on `from` moved to `to` and the player on `player`.
    fn with(&self, player: usize, moved: Option<(usize, usize)>) -> Board {
        let mut boxes: Vec<usize> = self.boxes.iter().map(|&b| usize::from(b)).collect();
        if let Some((from, to)) = moved {
            boxes.retain(|&b| b != from);
            boxes.push(to);
        }
        Board::new(player, boxes)
    }
}

impl Level {
    /// True if `cell` is floor without a box.
    fn free(&self, board: &Board, cell: usize) -> bool {
        self.floor(cell) && !board.has_box(cell)
    }

    /// Every board one move away, in [`DIRECTIONS`] order.
    pub fn successors(&self, board: &Board) -> Vec<Board> {
        let p = usize::from(board.player);
        let mut out = Vec::with_capacity(4);
        for d in DIRECTIONS {
            let Some(next) = self.step(p, d) else {
                continue;
            };
            if self.free(board, next) {
                out.push(board.with(next, None));
            } else if board.has_box(next) {
                if let Some(beyond) = self.step(next, d).filter(|&b| self.free(board, b)) {
                    out.push(board.with(next, Some((next, beyond))));
                }
            }
        }
        out
    }

    /// Every board from which one move leads to `board`: the player stepped
    /// in from a free cell behind it, possibly pushing the box now ahead of it.
    pub fn predecessors(&self, board: &Board) -> Vec<Board> {
        let p = usize::from(board.player);
        let mut out = Vec::with_capacity(8);
        for (dr, dc) in DIRECTIONS {
            let Some(back) = self.step(p, (-dr, -dc)).filter(|&b| self.free(board, b)) else {
                continue;
            };
            out.push(board.with(back, None));
            if let Some(ahead) = self.step(p, (dr, dc)).filter(|&a| board.has_box(a)) {
                out.push(board.with(back, Some((ahead, p))));
            }
        }
        out
    }

    /// True if every box stands on a target.
    pub fn solved(&self, board: &Board) -> bool {
        board.boxes.iter().all(|&b| self.targets[usize::from(b)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEVEL: &str = "
#####
#@$.#
#   #
#####";

    fn level() -> Level {
        Level::parse(LEVEL).unwrap()
    }

    fn shows(level: &Level, boards: &[Board]) -> Vec<String> {
        boards.iter().map(|b| level.show(b)).collect()
    }

    #[test]
    fn level_text_round_trips() {
        let l = level();
        assert_eq!(l.show(&l.start), LEVEL.trim());
        assert_eq!(l.read_board(&l.show(&l.start)).unwrap(), l.start);
        assert_eq!(l.read_board("#####/#@$.#/#   #/#####").unwrap(), l.start);
    }

    #[test]
    fn walking_and_pushing() {
        let l = level();
        let next = shows(&l, &l.successors(&l.start));
        assert_eq!(
            next,
            ["#####\n# $.#\n#@  #\n#####", "#####\n# @*#\n#   #\n#####"]
        );
        let pushed = l.read_board("#####\n# @*#\n#   #\n#####").unwrap();
        assert!(l.solved(&pushed));
        assert!(!l.solved(&l.start));
        // A box against a wall cannot be pushed further.
        assert_eq!(
            shows(&l, &l.successors(&pushed)),
            ["#####\n#  *#\n# @ #\n#####", "#####\n#@ *#\n#   #\n#####"]
        );
    }

    #[test]
    fn predecessors_invert_successors() {
        let l = Level::parse("######\n#@ $ #\n# $. #\n#  . #\n######").unwrap();
        let mut frontier = vec![l.start.clone()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for s in &frontier {
                for t in l.successors(s) {
                    assert!(
                        l.predecessors(&t).contains(s),
                        "{}\n<-\n{}",
                        l.show(&t),
                        l.show(s)
                    );
                    next.push(t);
                }
                for p in l.predecessors(s) {
                    assert!(l.successors(&p).contains(s));
                }
            }
            frontier = next;
        }
    }

    #[test]
    fn bad_levels_are_explained() {
        let err = |text: &str| Level::parse(text).unwrap_err();
        assert!(err("#####\n#@@.#\n#####").contains("2 players"));
        assert!(err("#####\n# $.#\n#####").contains("no player"));
        assert!(err("#####\n#@$. \n#####").contains("closed by walls"));
        assert!(err("#####\n#@$.#\n#x  #\n#####").contains("row 3, column 2"));
        assert!(err("#####\n#@$$#\n#.  #\n#####").contains("2 boxes and 1 targets"));
        let l = level();
        assert!(l
            .read_board("#####\n#@$.#\n#  $#\n#####")
            .unwrap_err()
            .contains("2 boxes"));
        assert!(l
            .read_board("#####\n#@ .#\n#   $\n#####")
            .unwrap_err()
            .contains("inside a wall"));
        assert!(l
            .read_board("#####\n#@ .#\n##$ #\n#####")
            .unwrap_err()
            .contains("a wall where"));
    }
}
