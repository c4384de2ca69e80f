//! Drawing Blocksworld: shaded blocks on a table in front of a wall, with
//! per-image jitter (block positions, global shift, light strength, colour
//! and direction, sensor noise) so pictures look photographed rather than
//! flat, like Latplan's Blender renders (30×45), but small and exact.
//!
//! A state becomes a [`Scene`] (blocks placed in pixel coordinates plus a
//! light), and a scene is painted with 3×3 supersampling. Tests paint scenes
//! no state can make (a floating block) to check the parser.

use rand::Rng as _;
use rand_distr::{Distribution, Normal};

use super::rules::World;
use crate::domain::{Image, Shape};
use crate::util::Rng;

/// Block colours, in the order of [`super::rules::LETTERS`]: saturated, with
/// hues far apart so lighting cannot turn one into another.
pub const PALETTE: [[f32; 3]; 6] = [
    [0.85, 0.12, 0.10],
    [0.15, 0.70, 0.18],
    [0.15, 0.30, 0.90],
    [0.92, 0.80, 0.12],
    [0.80, 0.15, 0.78],
    [0.12, 0.78, 0.82],
];

/// Sizes in pixels of the drawing (defaults give 32×48 for 4 blocks on 5 positions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Number of blocks.
    pub blocks: usize,
    /// Number of table positions.
    pub positions: usize,
}

impl Geometry {
    /// Width of one table position.
    pub const SLOT: f32 = 9.0;
    /// Block width.
    pub const BLOCK_W: f32 = 7.0;
    /// Block height.
    pub const BLOCK_H: f32 = 6.0;
    /// Table thickness below its top surface.
    pub const TABLE: usize = 4;
    /// Free rows above the highest possible stack.
    pub const HEADROOM: usize = 4;
    /// Left and right margin.
    pub const MARGIN: f32 = 1.5;

    /// Image size: `k·6 + 8` rows, `p·9 + 3` columns.
    pub fn shape(&self) -> Shape {
        let height = self.blocks * Self::BLOCK_H as usize + Self::TABLE + Self::HEADROOM;
        let width = (self.positions as f32 * Self::SLOT + 2.0 * Self::MARGIN) as usize;
        Shape::rgb(height, width)
    }

    /// Row of the table's top surface.
    pub fn table_top(&self) -> f32 {
        (self.shape().height - Self::TABLE) as f32
    }

    /// Horizontal centre of table position `p`.
    pub fn slot_centre(&self, p: usize) -> f32 {
        Self::MARGIN + (p as f32 + 0.5) * Self::SLOT
    }
}

/// One block placed in the picture: top-left corner in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    /// Which block (its colour).
    pub block: usize,
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
}

/// Lighting of one picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Light {
    /// Overall brightness factor.
    pub gain: f32,
    /// Colour cast added to every pixel.
    pub tint: [f32; 3],
    /// Direction, -1 (from the right) to 1 (from the left).
    pub side: f32,
    /// Standard deviation of the sensor noise.
    pub noise: f32,
}

impl Light {
    /// Neutral light from the upper left, no noise: the clean rendering.
    pub const CLEAN: Light = Light {
        gain: 1.0,
        tint: [0.0; 3],
        side: 0.6,
        noise: 0.0,
    };
}

/// What to paint.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Image geometry.
    pub geometry: Geometry,
    /// Blocks and where they are.
    pub placed: Vec<Placed>,
    /// Vertical shift of the table and everything on it.
    pub shift_y: f32,
    /// The light.
    pub light: Light,
}

/// Random variation of one picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter {
    /// Largest horizontal offset of a block from its position's centre.
    pub block_x: f32,
    /// Largest vertical shift of the whole table (rounded to whole pixels).
    pub shift_y: f32,
}

impl Jitter {
    /// The default: visible, but far from the parser's limits.
    pub const DEFAULT: Jitter = Jitter {
        block_x: 0.8,
        shift_y: 1.0,
    };
}

/// The scene of a world: stacks on their positions, each block centred with
/// an offset, everything shifted and lit as `jitter` (or cleanly) draws.
pub fn scene(geometry: Geometry, world: &World, jitter: Option<(Jitter, &mut Rng)>) -> Scene {
    let stacks = world.stacks().unwrap_or_default();
    let mut placed = Vec::new();
    let (mut offsets, shift_y, light) = match jitter {
        None => (Vec::new(), 0.0, Light::CLEAN),
        Some((j, rng)) => {
            let offsets: Vec<f32> = (0..world.blocks())
                .map(|_| rng.random_range(-j.block_x..=j.block_x))
                .collect();
            // Whole pixels: block edges stay on pixel rows, so no blended
            // seam between two stacked colours looks like a third colour.
            let shift = rng.random_range(-j.shift_y..=j.shift_y).round();
            (offsets, shift, random_light(rng))
        }
    };
    offsets.resize(world.blocks(), 0.0);
    for (p, stack) in stacks.iter().enumerate() {
        for (level, &b) in stack.iter().enumerate() {
            let x = geometry.slot_centre(p) - Geometry::BLOCK_W / 2.0 + offsets[b];
            let y = geometry.table_top() - (level + 1) as f32 * Geometry::BLOCK_H;
            placed.push(Placed { block: b, x, y });
        }
    }
    Scene {
        geometry,
        placed,
        shift_y,
        light,
    }
}

fn random_light(rng: &mut Rng) -> Light {
    let mut tint = [0.0; 3];
    for t in &mut tint {
        *t = rng.random_range(-0.03..=0.03);
    }
    Light {
        gain: rng.random_range(0.85..=1.1),
        tint,
        side: rng.random_range(-1.0..=1.0),
        noise: 0.012,
    }
}

/// Paints a scene; `rng` drives only the sensor noise.
pub fn paint(scene: &Scene, rng: &mut Rng) -> Image {
    const SUB: usize = 3;
    let shape = scene.geometry.shape();
    let mut img = Image::filled(shape, 0.0);
    let noise = Normal::new(0.0f32, scene.light.noise.max(1e-9)).ok();
    for y in 0..shape.height {
        for x in 0..shape.width {
            let mut sum = [0.0f32; 3];
            for sy in 0..SUB {
                for sx in 0..SUB {
                    let u = x as f32 + (sx as f32 + 0.5) / SUB as f32;
                    let v = y as f32 + (sy as f32 + 0.5) / SUB as f32;
                    let c = colour_at(scene, u, v);
                    sum.iter_mut().zip(c).for_each(|(s, c)| *s += c);
                }
            }
            for (c, s) in sum.iter().enumerate() {
                let mut value = s / (SUB * SUB) as f32 * scene.light.gain + scene.light.tint[c];
                if let (Some(n), true) = (noise, scene.light.noise > 0.0) {
                    value += n.sample(rng);
                }
                img.set(y, x, c, value.clamp(0.0, 1.0));
            }
        }
    }
    img
}

/// The unlit colour at point (`u`, `v`) in pixels.
fn colour_at(scene: &Scene, u: f32, v: f32) -> [f32; 3] {
    let v = v - scene.shift_y;
    let (w, h) = (Geometry::BLOCK_W, Geometry::BLOCK_H);
    for p in &scene.placed {
        let (a, b) = ((u - p.x) / w, (v - p.y) / h);
        if (0.0..1.0).contains(&a) && (0.0..1.0).contains(&b) {
            return block_colour(PALETTE[p.block], a, b, scene.light.side);
        }
    }
    let top = scene.geometry.table_top();
    if v >= top {
        let c = table_colour(v - top);
        let shade = if v - top < 1.5 {
            table_shadow(scene, u)
        } else {
            1.0
        };
        return c.map(|c| c * shade);
    }
    let width = scene.geometry.shape().width as f32;
    let fall = 1.0 - 0.05 * scene.light.side * (u / width - 0.5) * 2.0;
    let shade = fall * shadow(scene, u, v) * (1.0 - 0.15 * v / top);
    [0.80 * shade, 0.81 * shade, 0.84 * shade]
}

/// A block face: lit from above and from the light's side, a bright top
/// edge and a dark edge away from the light.
fn block_colour(base: [f32; 3], a: f32, b: f32, side: f32) -> [f32; 3] {
    let across = if side >= 0.0 { a } else { 1.0 - a };
    let mut shade = 1.05 - 0.3 * b - 0.15 * side.abs() * across;
    if across > 1.0 - 1.0 / Geometry::BLOCK_W {
        shade *= 0.72;
    }
    if b > 1.0 - 0.7 / Geometry::BLOCK_H {
        shade *= 0.8;
    }
    let highlight = if b < 0.8 / Geometry::BLOCK_H {
        0.3
    } else {
        0.0
    };
    base.map(|c| c * shade * (1.0 - highlight) + highlight)
}

/// The table: a lighter top surface, then its darker front.
fn table_colour(depth: f32) -> [f32; 3] {
    if depth < 1.5 {
        [0.60, 0.56, 0.52]
    } else {
        let d = 0.9 - 0.08 * depth;
        [0.46 * d, 0.43 * d, 0.40 * d]
    }
}

/// Darkening of the wall at (`u`, `v`) by block shadows cast away from the light.
fn shadow(scene: &Scene, u: f32, v: f32) -> f32 {
    let reach = 1.5 * scene.light.side.abs();
    for p in &scene.placed {
        let below = v > p.y + 1.0 && v < p.y + Geometry::BLOCK_H;
        let beside = if scene.light.side >= 0.0 {
            u >= p.x + Geometry::BLOCK_W && u < p.x + Geometry::BLOCK_W + reach
        } else {
            u < p.x && u >= p.x - reach
        };
        if below && beside {
            return 0.78;
        }
    }
    1.0
}

/// Darkening of the table top in front of and beside standing blocks.
fn table_shadow(scene: &Scene, u: f32) -> f32 {
    let top = scene.geometry.table_top();
    let reach = 1.0 + 1.5 * scene.light.side.abs();
    let grounded = scene
        .placed
        .iter()
        .filter(|p| (p.y + Geometry::BLOCK_H - top).abs() < 0.01);
    for p in grounded {
        let (left, right) = match scene.light.side >= 0.0 {
            true => (p.x + 0.5, p.x + Geometry::BLOCK_W + reach),
            false => (p.x - reach, p.x + Geometry::BLOCK_W - 0.5),
        };
        if (left..right).contains(&u) {
            return 0.8;
        }
    }
    1.0
}
