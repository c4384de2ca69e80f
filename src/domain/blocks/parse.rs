//! Reading a Blocksworld picture back into a world, exactly, despite jitter.
//!
//! Like Latplan's validator (`puzzles/blocks.py`) it works on colours:
//! every saturated pixel is given to the block colour nearest in hue (gray
//! wall, table and shadows are unsaturated), each colour's pixels give a
//! block's centre and bottom edge, the centre picks a table position and the
//! bottom a stack level. It rejects a picture with a block missing, doubled,
//! of an unknown colour, between positions, between levels, or floating over
//! an empty level.

use super::render::{Geometry, PALETTE};
use super::rules::{World, LETTERS};
use crate::domain::{Image, Rejection};

/// A pixel with less colour than this (max − min channel) is background.
const SATURATED: f32 = 0.22;
/// A saturated pixel farther than this in hue (degrees) from every block colour is unknown.
const HUE_TOLERANCE: f32 = 22.0;
/// Largest distance (pixels) of a block's centre from its position's centre.
const CENTRE_TOLERANCE: f32 = 2.2;
/// Largest distance (pixels) of a block's bottom edge from a stack level.
const LEVEL_TOLERANCE: f32 = 1.6;

/// The pixels of one colour, as (row, column).
#[derive(Debug, Clone, Default)]
struct Blob {
    pixels: Vec<(usize, usize)>,
}

impl Blob {
    /// The first column of the block-wide window holding most of the pixels:
    /// the block, not the coloured seams where two other blocks meet.
    fn window(&self, width: usize) -> usize {
        let w = Geometry::BLOCK_W as usize;
        let inside = |s: usize| {
            self.pixels
                .iter()
                .filter(|p| (s..s + w).contains(&p.1))
                .count()
        };
        (0..width)
            .max_by_key(|&s| (inside(s), std::cmp::Reverse(s)))
            .unwrap_or(0)
    }

    /// Per row, the pixels in columns `cols`.
    fn rows(&self, height: usize, cols: std::ops::Range<usize>) -> Vec<usize> {
        let mut rows = vec![0; height];
        self.pixels
            .iter()
            .filter(|p| cols.contains(&p.1))
            .for_each(|p| rows[p.0] += 1);
        rows
    }
}

/// Runs of consecutive rows with at least 3 pixels, as `start..end`, longest first.
fn runs(rows: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (y, &n) in rows.iter().chain([0].iter()).enumerate() {
        match (n >= 3, start) {
            (true, None) => start = Some(y),
            (false, Some(s)) => {
                runs.push(s..y);
                start = None;
            }
            _ => {}
        }
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.len()));
    runs
}

/// Where one block is.
#[derive(Debug, Clone, Copy)]
struct Seen {
    position: usize,
    level: usize,
}

fn invalid(why: String) -> Rejection {
    Rejection::Invalid(why)
}

/// Colour name of block `b`, e.g. "R (red)".
pub fn name(b: usize) -> String {
    const NAMES: [&str; 6] = ["red", "green", "blue", "yellow", "magenta", "cyan"];
    format!("{} ({})", LETTERS[b], NAMES[b])
}

/// Hue in degrees, or `None` for an unsaturated pixel.
fn hue(rgb: [f32; 3]) -> Option<f32> {
    let (mx, mn) = (
        rgb.iter().fold(0.0f32, |a, &b| a.max(b)),
        rgb.iter().fold(1.0f32, |a, &b| a.min(b)),
    );
    let d = mx - mn;
    if d < SATURATED {
        return None;
    }
    let [r, g, b] = rgb;
    let h = if mx == r {
        ((g - b) / d).rem_euclid(6.0)
    } else if mx == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    Some(h * 60.0)
}

/// The palette colour nearest in hue, or `None` if none is near enough.
fn nearest(h: f32) -> Option<usize> {
    let hues: Vec<f32> = PALETTE.iter().filter_map(|&c| hue(c)).collect();
    let gap = |a: f32| (a - h).abs().min(360.0 - (a - h).abs());
    let (best, diff) = hues
        .iter()
        .enumerate()
        .map(|(i, &a)| (i, gap(a)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    (diff <= HUE_TOLERANCE).then_some(best)
}

/// Sorts every saturated pixel into a palette colour; counts the unknown ones.
fn blobs(img: &Image) -> (Vec<Blob>, usize) {
    let shape = img.shape();
    let mut blobs = vec![Blob::default(); PALETTE.len()];
    let mut unknown = 0;
    for y in 0..shape.height {
        for x in 0..shape.width {
            let Some(h) = hue([img.get(y, x, 0), img.get(y, x, 1), img.get(y, x, 2)]) else {
                continue;
            };
            match nearest(h) {
                Some(c) => blobs[c].pixels.push((y, x)),
                None => unknown += 1,
            }
        }
    }
    (blobs, unknown)
}

/// Reads the world a picture shows, or says what is impossible in it.
pub fn read(geometry: Geometry, img: &Image) -> Result<World, Rejection> {
    let area = Geometry::BLOCK_W * Geometry::BLOCK_H;
    let (blobs, unknown) = blobs(img);
    if unknown as f32 > 0.35 * area {
        return Err(invalid(format!(
            "{unknown} pixels have a colour no block has (an unknown object?)"
        )));
    }
    for (c, blob) in blobs.iter().enumerate().skip(geometry.blocks) {
        if blob.pixels.len() as f32 > 0.35 * area {
            return Err(invalid(format!(
                "a block coloured {} is not one of this world's blocks",
                name(c)
            )));
        }
    }
    let mut seen = Vec::with_capacity(geometry.blocks);
    for (b, blob) in blobs.iter().enumerate().take(geometry.blocks) {
        seen.push(locate(geometry, b, blob)?);
    }
    stack_up(geometry, &seen)
}

/// The horizontal centre and bottom edge of block `b`: its pixels in the
/// densest block-wide window and the longest run of rows there.
fn measure(geometry: Geometry, b: usize, blob: &Blob) -> Result<(f32, usize), Rejection> {
    let area = Geometry::BLOCK_W * Geometry::BLOCK_H;
    let shape = geometry.shape();
    let start = blob.window(shape.width);
    let cols = start..start + Geometry::BLOCK_W as usize;
    let body = runs(&blob.rows(shape.height, cols.clone()));
    let in_body =
        |p: &&(usize, usize)| cols.contains(&p.1) && body.first().is_some_and(|r| r.contains(&p.0));
    let n = blob.pixels.iter().filter(in_body).count() as f32;
    let all = blob.pixels.len();
    if n < 0.35 * area {
        return Err(invalid(format!(
            "block {} is missing ({all} pixels of its colour, a block has about {area})",
            name(b)
        )));
    }
    let tall = body[0].len() as f32 > Geometry::BLOCK_H + 2.0;
    if all as f32 - n > 0.6 * area || tall || body.get(1).is_some_and(|r| r.len() >= 3) {
        return Err(invalid(format!(
            "block {} appears more than once ({all} pixels, a block has about {area})",
            name(b)
        )));
    }
    let sum_x: f32 = blob
        .pixels
        .iter()
        .filter(in_body)
        .map(|p| p.1 as f32 + 0.5)
        .sum();
    Ok((sum_x / n, body[0].end))
}

/// The table position and stack level of block `b` from its pixels.
fn locate(geometry: Geometry, b: usize, blob: &Blob) -> Result<Seen, Rejection> {
    let (centre, bottom) = measure(geometry, b, blob)?;
    let slot = ((centre - Geometry::MARGIN) / Geometry::SLOT)
        .floor()
        .max(0.0) as usize;
    let position = slot.min(geometry.positions - 1);
    let off = centre - geometry.slot_centre(position);
    if off.abs() > CENTRE_TOLERANCE {
        return Err(invalid(format!(
            "block {} stands between table positions (its centre is {off:+.1} px from position {})",
            name(b),
            position + 1
        )));
    }
    let height = (geometry.table_top() - bottom as f32) / Geometry::BLOCK_H;
    let level = height.round();
    if (height - level).abs() * Geometry::BLOCK_H > LEVEL_TOLERANCE || level < 0.0 {
        return Err(invalid(format!(
            "block {} floats: its bottom edge (row {bottom}) is {:.1} blocks above the table, between levels",
            name(b),
            height
        )));
    }
    Ok(Seen {
        position,
        level: level as usize,
    })
}

/// Builds the stacks; every block must stand on the table or on another block.
fn stack_up(geometry: Geometry, seen: &[Seen]) -> Result<World, Rejection> {
    let mut grid: Vec<Vec<Option<usize>>> = vec![vec![None; geometry.blocks]; geometry.positions];
    for (b, s) in seen.iter().enumerate() {
        let cell = grid[s.position]
            .get_mut(s.level)
            .ok_or_else(|| invalid(format!("block {} is too high", name(b))))?;
        if let Some(other) = cell.replace(b) {
            return Err(invalid(format!(
                "blocks {} and {} overlap at position {}, level {}",
                name(other),
                name(b),
                s.position + 1,
                s.level + 1
            )));
        }
    }
    let mut stacks = Vec::with_capacity(geometry.positions);
    for (p, column) in grid.iter().enumerate() {
        let height = column.iter().take_while(|c| c.is_some()).count();
        if let Some(level) = (height..column.len()).find(|&l| column[l].is_some()) {
            let b = column[level].unwrap_or_default();
            return Err(invalid(format!(
                "block {} floats at position {}, level {}, over an empty level {}",
                name(b),
                p + 1,
                level + 1,
                height + 1
            )));
        }
        stacks.push(column.iter().flatten().copied().collect());
    }
    Ok(World::from_stacks(&stacks))
}
