//! Drawing Towers of Hanoi and reading drawings back.
//!
//! Latplan's picture (`puzzles/hanoi.py`): gray background, each disk a bar
//! one pixel high and four wide in its own colour, so `d` disks on `t` towers
//! make a `d × 4t` RGB image. Every (tower, level) slot is one tile: empty
//! background or one disk. With `scale > 1` each slot is `scale` times larger,
//! disks get widths by size and empty slots show a peg, for people to look at.
//! The parser matches each slot to the nearest tile and then checks the stacks.

use super::rules::Towers;
use crate::domain::{Image, Rejection, Shape};

/// Disk colours, smallest disk first (Latplan uses a 13-colour palette too).
const PALETTE: [[f32; 3]; 13] = [
    [0.90, 0.10, 0.10],
    [0.10, 0.70, 0.15],
    [0.10, 0.25, 0.95],
    [0.95, 0.85, 0.10],
    [0.85, 0.10, 0.80],
    [0.10, 0.85, 0.85],
    [1.00, 0.55, 0.00],
    [0.45, 0.10, 0.70],
    [0.60, 1.00, 0.30],
    [0.45, 0.25, 0.05],
    [1.00, 0.70, 0.80],
    [0.00, 0.00, 0.35],
    [1.00, 1.00, 1.00],
];

/// The most disks the palette can colour.
pub const MAX_DISKS: usize = PALETTE.len();

const BACKGROUND: f32 = 0.5;
const PEG: [f32; 3] = [0.30, 0.30, 0.30];

/// A slot whose nearest tile is farther than this shows no tile at all.
const MATCH_LIMIT: f32 = 0.12;

/// The tiles of one configuration: index 0 is an empty slot, `1 + i` disk `i`.
#[derive(Debug, Clone)]
pub struct Art {
    disks: usize,
    towers: usize,
    scale: usize,
    tiles: Vec<Image>,
}

impl Art {
    /// Draws the tiles for `disks` disks on `towers` towers at `scale`.
    pub fn new(disks: usize, towers: usize, scale: usize) -> Art {
        let tiles = (0..=disks)
            .map(|k| tile(k.checked_sub(1), disks, scale))
            .collect();
        Art {
            disks,
            towers,
            scale,
            tiles,
        }
    }

    /// Every tile, empty first (for distinctness checks).
    pub fn tiles(&self) -> &[Image] {
        &self.tiles
    }

    /// Image size: `d·scale × 4t·scale` RGB.
    pub fn shape(&self) -> Shape {
        Shape::rgb(self.disks * self.scale, 4 * self.towers * self.scale)
    }

    /// Draws a state: each tower's stack from the bottom row up.
    pub fn render(&self, state: &Towers) -> Image {
        let mut img = Image::filled(self.shape(), 0.0);
        let stacks = state.stacks();
        for (t, stack) in stacks.iter().enumerate() {
            for level in 0..self.disks {
                let tile = stack.get(level).map_or(0, |d| d + 1);
                let (y, x) = self.origin(t, level);
                img.paste(&self.tiles[tile], y, x);
            }
        }
        img
    }

    /// Reads a picture back: every slot must show one tile, every disk appear
    /// once, no disk float above an empty slot or lie on a smaller disk.
    pub fn parse(&self, img: &Image) -> Result<Towers, Rejection> {
        let mut on = vec![None; self.disks];
        for t in 0..self.towers {
            let mut below: Option<usize> = None;
            let mut empty_at = None;
            for level in 0..self.disks {
                let Some(disk) = self.read_slot(img, t, level)? else {
                    empty_at.get_or_insert(level);
                    continue;
                };
                let name = disk + 1;
                if let Some(gap) = empty_at {
                    return Err(invalid(format!(
                        "tower {}: disk {name} floats at level {level} above the empty level {gap}",
                        t + 1
                    )));
                }
                if let Some(b) = below.filter(|&b| b < disk) {
                    return Err(invalid(format!(
                        "tower {}: disk {name} lies on the smaller disk {}",
                        t + 1,
                        b + 1
                    )));
                }
                if on[disk].replace(t as u8).is_some() {
                    return Err(invalid(format!(
                        "disk {name} appears twice (again on tower {})",
                        t + 1
                    )));
                }
                below = Some(disk);
            }
        }
        let missing: Vec<String> = (0..self.disks)
            .filter(|&d| on[d].is_none())
            .map(|d| (d + 1).to_string())
            .collect();
        if !missing.is_empty() {
            return Err(invalid(format!(
                "disk(s) {} missing from the picture",
                missing.join(", ")
            )));
        }
        Ok(Towers {
            towers: self.towers,
            on: on.into_iter().map(|t| t.unwrap_or(0)).collect(),
        })
    }

    /// The disk in a slot (`None` for empty), or why the slot shows no tile.
    fn read_slot(
        &self,
        img: &Image,
        tower: usize,
        level: usize,
    ) -> Result<Option<usize>, Rejection> {
        let (y, x) = self.origin(tower, level);
        let patch = img.crop(y, x, self.scale, 4 * self.scale);
        let (best, diff) = self
            .tiles
            .iter()
            .map(|t| patch.mean_abs_diff(t).unwrap_or(f32::INFINITY))
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f32::INFINITY));
        if diff > MATCH_LIMIT {
            return Err(invalid(format!(
                "tower {}, level {level} (rows {y}..{}, columns {x}..{}): shows neither a disk nor empty \
                 background (nearest difference {diff:.3} > {MATCH_LIMIT})",
                tower + 1,
                y + self.scale,
                x + 4 * self.scale
            )));
        }
        Ok(best.checked_sub(1))
    }

    /// Top-left pixel of the slot at `level` (0 = bottom) of `tower`.
    fn origin(&self, tower: usize, level: usize) -> (usize, usize) {
        (
            (self.disks - 1 - level) * self.scale,
            4 * tower * self.scale,
        )
    }
}

fn invalid(why: String) -> Rejection {
    Rejection::Invalid(why)
}

/// One slot tile: `disk = None` is empty background (with a peg when
/// scaled up), otherwise the disk's bar, full width at scale 1 (Latplan's
/// look) and narrower for smaller disks when scaled.
fn tile(disk: Option<usize>, disks: usize, scale: usize) -> Image {
    let (h, w) = (scale, 4 * scale);
    let mut img = Image::filled(Shape::rgb(h, w), BACKGROUND);
    let (colour, width) = match disk {
        None if scale == 1 => return img,
        None => (PEG, (scale / 2).max(1)),
        Some(d) if scale == 1 => (PALETTE[d], w),
        Some(d) => (
            PALETTE[d],
            ((0.35 + 0.6 * (d + 1) as f32 / disks as f32) * w as f32 / 2.0).round() as usize * 2,
        ),
    };
    let x0 = (w - width.min(w)) / 2;
    for y in 0..h {
        let shade = if scale > 2 && disk.is_some() {
            1.0 - 0.25 * y as f32 / (h - 1) as f32
        } else {
            1.0
        };
        for x in x0..x0 + width.min(w) {
            for (c, v) in colour.iter().enumerate() {
                img.set(y, x, c, v * shade);
            }
        }
    }
    img
}
