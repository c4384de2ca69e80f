//! Sokoban sprites, drawn by the project, and reading pictures back.
//!
//! Latplan shrinks PDDLGym's 16-px sprites to 4 px tiles; ours are drawn as
//! shapes on the unit square and supersampled at any tile size, so 4 px tiles
//! (the default) and 16 px tiles (for viewing) show the same things. Cells
//! outside the level are drawn as wall. The parser matches every cell to the
//! nearest sprite, then checks the picture against the level: walls and
//! targets where the level has them, one player, the level's number of boxes.

use super::level::{places, Level};
use super::rules::Board;
use crate::domain::grid::GridMatcher;
use crate::domain::{check_distinct, DomainError, Image, Rejection, Shape};

/// What a cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sprite {
    /// Wall (or outside the level).
    Wall,
    /// Empty floor.
    Floor,
    /// Empty target.
    Target,
    /// A box on floor.
    Box,
    /// A box on a target.
    BoxOnTarget,
    /// The player on floor.
    Player,
    /// The player on a target.
    PlayerOnTarget,
}

/// Every sprite, in template order.
pub const SPRITES: [Sprite; 7] = [
    Sprite::Wall,
    Sprite::Floor,
    Sprite::Target,
    Sprite::Box,
    Sprite::BoxOnTarget,
    Sprite::Player,
    Sprite::PlayerOnTarget,
];

impl Sprite {
    fn is_target(self) -> bool {
        matches!(
            self,
            Sprite::Target | Sprite::BoxOnTarget | Sprite::PlayerOnTarget
        )
    }

    fn is_box(self) -> bool {
        matches!(self, Sprite::Box | Sprite::BoxOnTarget)
    }

    fn is_player(self) -> bool {
        matches!(self, Sprite::Player | Sprite::PlayerOnTarget)
    }

    /// The colour at point (`u`, `v`) of the unit square (`v` down).
    fn colour(self, u: f32, v: f32) -> [f32; 3] {
        let ground = if self.is_target() {
            target(u, v)
        } else {
            floor(u, v)
        };
        match self {
            Sprite::Wall => wall(u, v),
            Sprite::Floor | Sprite::Target => ground,
            Sprite::Box => crate_at(u, v, [0.95, 0.72, 0.30], [0.58, 0.38, 0.12]).unwrap_or(ground),
            Sprite::BoxOnTarget => {
                crate_at(u, v, [0.42, 0.80, 0.32], [0.12, 0.40, 0.12]).unwrap_or(ground)
            }
            Sprite::Player | Sprite::PlayerOnTarget => player(u, v).unwrap_or(ground),
        }
    }
}

fn floor(u: f32, v: f32) -> [f32; 3] {
    let edge = u.min(v).min(1.0 - u).min(1.0 - v) < 0.05;
    if edge {
        [0.70, 0.68, 0.62]
    } else {
        [0.80, 0.78, 0.71]
    }
}

/// Floor with a red square ring and a dot: visible around a player standing on it.
fn target(u: f32, v: f32) -> [f32; 3] {
    let r = (u - 0.5).abs().max((v - 0.5).abs());
    let dot = (u - 0.5).hypot(v - 0.5) < 0.1;
    if (0.30..0.43).contains(&r) || dot {
        [0.88, 0.22, 0.20]
    } else {
        floor(u, v)
    }
}

/// Red bricks in running bond with gray mortar.
fn wall(u: f32, v: f32) -> [f32; 3] {
    let row = (v * 2.0).floor();
    let shift = if row as i32 % 2 == 0 { 0.0 } else { 0.5 };
    let mortar = (v * 2.0).fract() < 0.12 || (u + shift).fract() < 0.08;
    if mortar {
        [0.42, 0.40, 0.38]
    } else {
        let light = 1.0 - 0.25 * (v * 2.0).fract();
        [0.66 * light, 0.26 * light, 0.16 * light]
    }
}

/// A wooden crate with a border and a diagonal brace.
fn crate_at(u: f32, v: f32, wood: [f32; 3], dark: [f32; 3]) -> Option<[f32; 3]> {
    let inset = u.min(v).min(1.0 - u).min(1.0 - v);
    if inset < 0.07 {
        return None;
    }
    let brace = (u - v).abs() < 0.09 || (u + v - 1.0).abs() < 0.09;
    Some(if inset < 0.2 || brace { dark } else { wood })
}

/// A figure: a head over a blue body.
fn player(u: f32, v: f32) -> Option<[f32; 3]> {
    let head = (u - 0.5).hypot(v - 0.26) < 0.17;
    let body = ((u - 0.5) / 0.32).powi(2) + ((v - 0.68) / 0.28).powi(2) < 1.0;
    if head {
        Some([0.96, 0.80, 0.62])
    } else if body {
        Some([0.16, 0.34, 0.86])
    } else {
        None
    }
}

/// A sprite as a `size × size` RGB tile, 4×4 samples per pixel.
fn draw(sprite: Sprite, size: usize) -> Image {
    const SUB: usize = 4;
    let mut img = Image::filled(Shape::rgb(size, size), 0.0);
    let step = 1.0 / (size * SUB) as f32;
    for y in 0..size {
        for x in 0..size {
            let mut sum = [0.0f32; 3];
            for sy in 0..SUB {
                for sx in 0..SUB {
                    let u = ((x * SUB + sx) as f32 + 0.5) * step;
                    let v = ((y * SUB + sy) as f32 + 0.5) * step;
                    let c = sprite.colour(u, v);
                    sum.iter_mut().zip(c).for_each(|(s, c)| *s += c);
                }
            }
            for (c, s) in sum.iter().enumerate() {
                img.set(y, x, c, s / (SUB * SUB) as f32);
            }
        }
    }
    img
}

/// The sprites of one tile size and the matcher built on them.
#[derive(Debug, Clone)]
pub struct Art {
    tile: usize,
    matcher: GridMatcher,
}

impl Art {
    /// Draws the sprites at `tile` pixels and checks they are distinguishable.
    pub fn new(tile: usize) -> Result<Art, DomainError> {
        let sprites: Vec<Image> = SPRITES.iter().map(|&s| draw(s, tile)).collect();
        let closest = check_distinct(&sprites, 0.04, "sokoban sprites")?;
        Ok(Art {
            tile,
            matcher: GridMatcher::new(sprites, closest),
        })
    }

    /// Image size of `level`.
    pub fn shape(&self, level: &Level) -> Shape {
        Shape::rgb(level.height * self.tile, level.width * self.tile)
    }

    /// Draws `board` over `level`.
    pub fn render(&self, level: &Level, board: &Board) -> Image {
        let mut img = Image::filled(self.shape(level), 0.0);
        for i in 0..level.walls.len() {
            let sprite = sprite_of(level, board, i) as usize;
            let (y, x) = (i / level.width * self.tile, i % level.width * self.tile);
            img.paste(&self.matcher.templates()[sprite], y, x);
        }
        img
    }

    /// Reads a picture of `level` back into a board, or says what is impossible in it.
    pub fn parse(&self, level: &Level, img: &Image) -> Result<Board, Rejection> {
        let cells = self
            .matcher
            .match_grid(img, level.height, level.width, 0, 0)?;
        let sprites: Vec<Sprite> = cells.iter().map(|&c| SPRITES[usize::from(c)]).collect();
        for (i, &s) in sprites.iter().enumerate() {
            check_cell(level, i, s)?;
        }
        let players: Vec<usize> = (0..sprites.len())
            .filter(|&i| sprites[i].is_player())
            .collect();
        let boxes: Vec<usize> = (0..sprites.len())
            .filter(|&i| sprites[i].is_box())
            .collect();
        let player = match players[..] {
            [p] => p,
            [] => return Err(Rejection::Invalid("no player in the picture".into())),
            _ => {
                let at = places(&players, level.width);
                return Err(Rejection::Invalid(format!(
                    "{} players in the picture, at {at}",
                    players.len()
                )));
            }
        };
        if boxes.len() != level.start.boxes.len() {
            let (got, want) = (boxes.len(), level.start.boxes.len());
            return Err(Rejection::Invalid(format!(
                "{got} boxes in the picture, the level has {want}"
            )));
        }
        Ok(Board::new(player, boxes))
    }
}

/// The sprite cell `i` shows for `board` on `level`.
fn sprite_of(level: &Level, board: &Board, i: usize) -> Sprite {
    let target = level.targets[i];
    match (
        level.walls[i],
        usize::from(board.player) == i,
        board.has_box(i),
    ) {
        (true, ..) => Sprite::Wall,
        (_, true, _) if target => Sprite::PlayerOnTarget,
        (_, true, _) => Sprite::Player,
        (_, _, true) if target => Sprite::BoxOnTarget,
        (_, _, true) => Sprite::Box,
        _ if target => Sprite::Target,
        _ => Sprite::Floor,
    }
}

/// Whether sprite `s` can stand on cell `i` of `level`.
fn check_cell(level: &Level, i: usize, s: Sprite) -> Result<(), Rejection> {
    let target = level.targets[i];
    let why = if level.walls[i] {
        match s {
            Sprite::Wall => return Ok(()),
            _ if s.is_box() => "a box inside a wall",
            _ if s.is_player() => "the player inside a wall",
            _ => "floor where the level has a wall",
        }
    } else if s == Sprite::Wall {
        "a wall where the level has floor"
    } else if s.is_target() == target {
        return Ok(());
    } else if target {
        "no target where the level has one"
    } else {
        "a target where the level has none"
    };
    Err(Rejection::Invalid(format!(
        "{}: {why}",
        places(&[i], level.width)
    )))
}
