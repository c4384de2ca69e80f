//! Sokoban levels in the usual text format: `#` wall, `@` player, `+` player
//! on a target, `$` box, `*` box on a target, `.` target, space (or `-`, `_`)
//! floor. Lines starting with `;` are comments. The same format is the text
//! form of a state: the level's picture with the player and boxes moved.
//!
//! Floor cells the player cannot reach even with every box removed lie
//! outside the level and count as wall.

use super::rules::Board;

/// The largest level: codes are cell indices in a `u8`.
pub const MAX_CELLS: usize = 256;

/// The fixed layout of a level (walls and targets) and its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `true` where a cell is wall (or outside the level), row-major.
    pub walls: Vec<bool>,
    /// `true` where a cell is a target, row-major.
    pub targets: Vec<bool>,
    /// Where the player and boxes start.
    pub start: Board,
}

/// What one character of a level drawing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    wall: bool,
    target: bool,
    player: bool,
    boxed: bool,
}

impl Cell {
    fn read(ch: char) -> Option<Cell> {
        let c = |wall, target, player, boxed| {
            Some(Cell {
                wall,
                target,
                player,
                boxed,
            })
        };
        match ch {
            '#' => c(true, false, false, false),
            ' ' | '-' | '_' => c(false, false, false, false),
            '.' => c(false, true, false, false),
            '@' => c(false, false, true, false),
            '+' => c(false, true, true, false),
            '$' => c(false, false, false, true),
            '*' => c(false, true, false, true),
            _ => None,
        }
    }
}

/// The rows of a drawing: comment lines and surrounding blank lines dropped;
/// `/` or `|` also separate rows (for one-line states on a command line).
fn rows(text: &str) -> Vec<Vec<char>> {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with(';'))
        .flat_map(|l| l.split(['/', '|']))
        .collect();
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let last = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(first, |i| i + 1);
    lines[first..last]
        .iter()
        .map(|l| l.trim_end().chars().collect())
        .collect()
}

/// Reads a drawing into cells, padding short rows with floor.
fn read_cells(text: &str) -> Result<(usize, usize, Vec<Cell>), String> {
    let rows = rows(text);
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if rows.is_empty() || width == 0 {
        return Err("no level drawing found (expected rows of `#@+$*. `)".into());
    }
    if rows.len() * width > MAX_CELLS {
        return Err(format!(
            "the level is {}×{width}, larger than {MAX_CELLS} cells",
            rows.len()
        ));
    }
    let mut cells = Vec::with_capacity(rows.len() * width);
    for (r, row) in rows.iter().enumerate() {
        for c in 0..width {
            let ch = row.get(c).copied().unwrap_or(' ');
            let cell = Cell::read(ch).ok_or_else(|| {
                format!(
                    "row {}, column {}: {ch:?} is not one of `#@+$*. -_`",
                    r + 1,
                    c + 1
                )
            })?;
            cells.push(cell);
        }
    }
    Ok((rows.len(), width, cells))
}

/// The single player's cell, or why there is not exactly one.
fn player_of(cells: &[Cell], width: usize) -> Result<usize, String> {
    let players: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].player).collect();
    match players[..] {
        [p] => Ok(p),
        [] => Err("there is no player (`@` or `+`)".into()),
        _ => Err(format!(
            "there are {} players, at {}",
            players.len(),
            places(&players, width)
        )),
    }
}

/// "row r, column c" for each cell, 1-based.
pub fn places(cells: &[usize], width: usize) -> String {
    let names: Vec<String> = cells
        .iter()
        .map(|&i| format!("(row {}, column {})", i / width + 1, i % width + 1))
        .collect();
    names.join(", ")
}

impl Level {
    /// Reads a level drawing; the message says what is wrong and where.
    pub fn parse(text: &str) -> Result<Level, String> {
        let (height, width, cells) = read_cells(text)?;
        let player = player_of(&cells, width)?;
        let inside = flood(height, width, player, |i| cells[i].wall)
            .ok_or("the player can walk off the edge: the level must be closed by walls")?;
        let boxes: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].boxed).collect();
        let targets: Vec<bool> = (0..cells.len())
            .map(|i| cells[i].target && inside[i])
            .collect();
        let outside: Vec<usize> = (0..cells.len())
            .filter(|&i| !inside[i] && (cells[i].boxed || cells[i].target))
            .collect();
        if !outside.is_empty() {
            return Err(format!(
                "boxes or targets outside the player's area at {}",
                places(&outside, width)
            ));
        }
        let n_targets = targets.iter().filter(|&&t| t).count();
        if boxes.is_empty() || boxes.len() != n_targets {
            return Err(format!("the level has {} boxes and {n_targets} targets: expected as many of each, at least one", boxes.len()));
        }
        let walls = inside.iter().map(|&i| !i).collect();
        let start = Board::new(player, boxes);
        Ok(Level {
            width,
            height,
            walls,
            targets,
            start,
        })
    }

    /// Reads a state drawn over this level: walls and targets must be the
    /// level's, with one player and the level's number of boxes on floor.
    pub fn read_board(&self, text: &str) -> Result<Board, String> {
        let (height, width, cells) = read_cells(text)?;
        if (height, width) != (self.height, self.width) {
            return Err(format!(
                "the drawing is {height}×{width}, the level is {}×{}",
                self.height, self.width
            ));
        }
        let player = player_of(&cells, width)?;
        let boxes: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].boxed).collect();
        for (i, cell) in cells.iter().enumerate() {
            let at = places(&[i], width);
            if self.walls[i] && (cell.player || cell.boxed) {
                return Err(format!("{at}: a player or box inside a wall"));
            }
            if !self.walls[i] && cell.wall {
                return Err(format!("{at}: a wall where the level has floor"));
            }
            if !self.walls[i] && cell.target != self.targets[i] {
                return Err(format!("{at}: targets differ from the level's"));
            }
        }
        if boxes.len() != self.start.boxes.len() {
            return Err(format!(
                "{} boxes, the level has {}",
                boxes.len(),
                self.start.boxes.len()
            ));
        }
        Ok(Board::new(player, boxes))
    }

    /// Draws `board` over the level in the text format, one line per row.
    pub fn show(&self, board: &Board) -> String {
        let mut out = String::new();
        for r in 0..self.height {
            let row: String = (0..self.width)
                .map(|c| self.symbol(board, r * self.width + c))
                .collect();
            out.push_str(row.trim_end());
            if r + 1 < self.height {
                out.push('\n');
            }
        }
        out
    }

    fn symbol(&self, board: &Board, i: usize) -> char {
        let (player, boxed) = (usize::from(board.player) == i, board.has_box(i));
        match (self.walls[i], self.targets[i], player, boxed) {
            (true, ..) => '#',
            (_, true, true, _) => '+',
            (_, false, true, _) => '@',
            (_, true, _, true) => '*',
            (_, false, _, true) => '$',
            (_, true, ..) => '.',
            _ => ' ',
        }
    }

    /// The neighbour of `cell` in direction `(dr, dc)`, if inside the grid.
    pub fn step(&self, cell: usize, (dr, dc): (isize, isize)) -> Option<usize> {
        let r = (cell / self.width).checked_add_signed(dr)?;
        let c = (cell % self.width).checked_add_signed(dc)?;
        (r < self.height && c < self.width).then_some(r * self.width + c)
    }

    /// True if `cell` is floor (not wall, not outside).
    pub fn floor(&self, cell: usize) -> bool {
        !self.walls[cell]
    }
}

/// Cells reachable from `from` through non-walls; `None` if that reaches the
/// edge of the grid (the level is open).
fn flood(
    height: usize,
    width: usize,
    from: usize,
    wall: impl Fn(usize) -> bool,
) -> Option<Vec<bool>> {
    let mut inside = vec![false; height * width];
    let mut stack = vec![from];
    inside[from] = true;
    while let Some(i) = stack.pop() {
        let (r, c) = (i / width, i % width);
        if r == 0 || c == 0 || r + 1 == height || c + 1 == width {
            return None;
        }
        for j in [i - width, i + width, i - 1, i + 1] {
            if !wall(j) && !inside[j] {
                inside[j] = true;
                stack.push(j);
            }
        }
    }
    Some(inside)
}
