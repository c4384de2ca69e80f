//! Plans as pictures: a strip (input start | decoded states | input goal) as a
//! PNG, and an animated GIF of the decoded states.

use std::path::Path;

use anyhow::{bail, Context};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};

use crate::domain::{Image, Shape};

/// Gap between pictures in a strip, in pixels before scaling.
const GAP: usize = 2;
/// Brightness of the gaps and of the wider separators.
const GAP_VALUE: f32 = 0.5;

/// One row: `start`, a separator, the `states`, a separator, `goal`; all of
/// one shape, enlarged by `scale`. The separators around the decoded states are
/// twice as wide as the gaps between them.
pub fn strip(start: &Image, states: &[Image], goal: &Image, scale: usize) -> anyhow::Result<Image> {
    let shape = start.shape();
    if states.iter().chain([goal]).any(|s| s.shape() != shape) {
        bail!("all pictures of a plan strip must be {shape}");
    }
    let n = states.len() + 2;
    let width = n * shape.width + (n - 1) * GAP + 2 * GAP;
    let mut out = Image::filled(Shape { width, ..shape }, GAP_VALUE);
    let mut x = 0;
    for (k, img) in std::iter::once(start)
        .chain(states)
        .chain([goal])
        .enumerate()
    {
        out.paste(img, 0, x);
        x += shape.width + if k == 0 || k == n - 2 { 2 * GAP } else { GAP };
    }
    Ok(out.upscale(scale))
}

/// Writes an animated GIF of `frames` (enlarged by `scale`), `delay_ms` per
/// frame, looping; written atomically.
pub fn write_gif(path: &Path, frames: &[Image], scale: usize, delay_ms: u32) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, 10);
        encoder
            .set_repeat(Repeat::Infinite)
            .context("cannot encode GIF")?;
        for img in frames {
            let big = img.upscale(scale);
            let s = big.shape();
            let rgba: Vec<u8> = big
                .to_u8()
                .chunks(s.channels)
                .flat_map(|px| {
                    if px.len() == 3 {
                        [px[0], px[1], px[2], 255]
                    } else {
                        [px[0], px[0], px[0], 255]
                    }
                })
                .collect();
            let buf = RgbaImage::from_raw(s.width as u32, s.height as u32, rgba)
                .context("GIF frame size")?;
            let frame = Frame::from_parts(buf, 0, 0, Delay::from_numer_denom_ms(delay_ms, 1));
            encoder.encode_frame(frame).context("cannot encode GIF")?;
        }
    }
    crate::util::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_places_pictures_with_separators() {
        let shape = Shape::gray(2, 3);
        let (a, b, c) = (
            Image::filled(shape, 0.0),
            Image::filled(shape, 1.0),
            Image::filled(shape, 0.2),
        );
        let s = strip(&a, &[b.clone(), b], &c, 1).unwrap();
        // 4 pictures of width 3, gaps 4 + 2 + 4.
        assert_eq!(s.shape(), Shape::gray(2, 4 * 3 + 2 + 4 + 4));
        assert_eq!(s.get(0, 3, 0), GAP_VALUE);
        assert_eq!(s.get(0, 7, 0), 1.0);
        assert_eq!(s.get(1, s.shape().width - 1, 0), 0.2);
    }

    #[test]
    fn gif_is_written_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.gif");
        let frames = [
            Image::filled(Shape::gray(4, 4), 0.0),
            Image::filled(Shape::rgb(4, 4), 1.0),
        ];
        write_gif(&p, &frames, 2, 300).unwrap();
        let img = image::open(&p).unwrap();
        assert_eq!((img.width(), img.height()), (8, 8));
    }
}
