//! Tile banks for sliding puzzles: where the pictures on the tiles come from.
//!
//! Three sources (Latplan §1.3): handwritten-style digits drawn by
//! [`digits`], a picture cut into w×h pieces (the user's file or the built-in
//! one from [`picture`]), or a folder with one image per tile.

mod digits;
mod picture;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::domain::preset::absolute;
use crate::domain::{Image, Shape};

/// Where a sliding puzzle's tile images come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TileSource {
    /// Handwritten-style digits; `seed` picks the hand.
    Digits {
        /// Seed of the hand (slant, pen, wobble); part of the domain, not of a run.
        #[serde(default)]
        seed: u64,
    },
    /// A picture cut into tiles: `path` to a PNG/JPEG, or the built-in picture.
    Picture {
        /// The user's picture; absent = the built-in picture.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<PathBuf>,
    },
    /// A folder with one image per tile, named by tile number (`0.png`, `1.jpg`, …).
    Folder {
        /// The folder.
        path: PathBuf,
    },
}

impl TileSource {
    /// Makes relative paths absolute against `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        match self {
            TileSource::Picture { path: Some(p) } | TileSource::Folder { path: p } => {
                *p = absolute(base, p)
            }
            _ => {}
        }
    }

    /// A short description for listings.
    pub fn describe(&self) -> String {
        match self {
            TileSource::Digits { .. } => "digits".into(),
            TileSource::Picture { path: None } => "built-in picture".into(),
            TileSource::Picture { path: Some(p) } => format!("picture {}", p.display()),
            TileSource::Folder { path } => format!("tiles from {}", path.display()),
        }
    }

    /// Makes `width × height` gray tiles of `size × size` pixels, tile `i`
    /// showing number `i` (tile 0 is the blank).
    pub fn make(&self, width: usize, height: usize, size: usize) -> anyhow::Result<Vec<Image>> {
        let count = width * height;
        match self {
            TileSource::Digits { seed } => Ok(digits::digit_tiles(
                count,
                size,
                &mut crate::util::rng(*seed, 0),
            )),
            TileSource::Picture { path } => {
                let pic = match path {
                    Some(p) => Image::load(p, 1)?,
                    None => picture::builtin(),
                };
                Ok(cut_picture(&pic, width, height, size))
            }
            TileSource::Folder { path } => folder_tiles(path, count, size),
        }
    }
}

/// Centre-crops `pic` to the puzzle's aspect ratio, shrinks it to the grid
/// and cuts it into tiles, each then contrast-equalized (Latplan's preprocess).
fn cut_picture(pic: &Image, width: usize, height: usize, size: usize) -> Vec<Image> {
    let (ph, pw) = (pic.shape().height, pic.shape().width);
    let (ch, cw) = if pw * height > ph * width {
        (ph, ph * width / height)
    } else {
        (pw * height / width, pw)
    };
    let (ch, cw) = (ch.max(1), cw.max(1));
    let cropped = pic.crop((ph - ch) / 2, (pw - cw) / 2, ch, cw);
    let grid = preprocess(&cropped.resize_area(height * size, width * size));
    (0..height * width)
        .map(|i| grid.crop((i / width) * size, (i % width) * size, size, size))
        .collect()
}

/// Reads `count` tile images `0..count` from `dir`, any format the image crate
/// reads, converted to gray and resized to `size × size`.
fn folder_tiles(dir: &Path, count: usize, size: usize) -> anyhow::Result<Vec<Image>> {
    if !dir.is_dir() {
        bail!(
            "tile folder {} does not exist: expected a folder with images named 0.png … {}.png",
            dir.display(),
            count - 1
        );
    }
    let mut found: Vec<Option<PathBuf>> = vec![None; count];
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot list tile folder {}", dir.display()))?
    {
        let path = entry
            .with_context(|| format!("cannot list tile folder {}", dir.display()))?
            .path();
        let number = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(n) = number.filter(|&n| n < count) {
            if let Some(other) = &found[n] {
                bail!(
                    "tile folder {} has two images for tile {n}: {} and {}",
                    dir.display(),
                    other.display(),
                    path.display()
                );
            }
            found[n] = Some(path);
        }
    }
    let mut tiles = Vec::with_capacity(count);
    for (n, path) in found.into_iter().enumerate() {
        let Some(path) = path else {
            bail!("tile folder {} has no image for tile {n}: expected a file named {n}.png (or .jpg, …) for each tile 0…{}", dir.display(), count - 1);
        };
        let img = Image::load(&path, 1)?;
        tiles.push(normalize(&img.resize_area(size, size)));
    }
    Ok(tiles)
}

/// Stretches values to span [0, 1] (a no-op on a flat image).
fn normalize(img: &Image) -> Image {
    let (lo, hi) = img
        .data()
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if hi - lo < 1e-6 {
        return img.clone();
    }
    let data = img.data().iter().map(|v| (v - lo) / (hi - lo)).collect();
    Image::from_vec(img.shape(), data).unwrap_or_else(|_| img.clone())
}

/// Histogram equalization then min-max normalization: the first half of
/// Latplan's `preprocess`. Its second half, `enhance` (a 3× contrast stretch
/// that clips a third of the pixels to black and a third to white), is left
/// out: on pictures with large bright or dark areas it makes whole tiles
/// identical, and a parser could no longer tell them apart.
pub fn preprocess(img: &Image) -> Image {
    let n = img.data().len();
    let mut hist = [0usize; 256];
    for &v in img.data() {
        hist[crate::domain::image::quantize(v) as usize] += 1;
    }
    let mut cdf = [0f32; 256];
    let mut acc = 0;
    for (i, h) in hist.iter().enumerate() {
        acc += h;
        cdf[i] = acc as f32 / n.max(1) as f32;
    }
    let eq: Vec<f32> = img
        .data()
        .iter()
        .map(|&v| cdf[crate::domain::image::quantize(v) as usize])
        .collect();
    normalize(
        &Image::from_vec(
            Shape {
                channels: 1,
                ..img.shape()
            },
            eq,
        )
        .unwrap_or_else(|_| img.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_tiles_tile_the_picture() {
        let tiles = TileSource::Picture { path: None }.make(4, 4, 14).unwrap();
        assert_eq!(tiles.len(), 16);
        assert!(tiles.iter().all(|t| t.shape() == Shape::gray(14, 14)));
    }

    #[test]
    fn missing_folder_is_a_clear_error() {
        let err = TileSource::Folder {
            path: "/no/such/tiles".into(),
        }
        .make(3, 3, 16)
        .unwrap_err();
        assert!(format!("{err:#}").contains("/no/such/tiles"), "{err:#}");
    }

    #[test]
    fn folder_without_a_tile_names_the_missing_number() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0, 1, 3] {
            Image::filled(Shape::gray(5, 5), n as f32 / 4.0)
                .save_png(&dir.path().join(format!("{n}.png")))
                .unwrap();
        }
        let err = format!(
            "{:#}",
            TileSource::Folder {
                path: dir.path().into()
            }
            .make(2, 2, 8)
            .unwrap_err()
        );
        assert!(err.contains("no image for tile 2"), "{err}");
    }
}
