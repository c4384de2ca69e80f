//! The loss curve as a small PNG: training loss (blue) and validation loss
//! (orange) per epoch on a log scale, with a light grid line at each power of
//! ten. No text (no font dependency); `log.csv` holds the numbers.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

use super::train::EpochLog;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 400;
const MARGIN: u32 = 20;
const TRAIN: Rgb<u8> = Rgb([31, 119, 180]);
const VAL: Rgb<u8> = Rgb([255, 127, 14]);
const GRID: Rgb<u8> = Rgb([225, 225, 225]);
const AXIS: Rgb<u8> = Rgb([90, 90, 90]);

/// PNG bytes of the curves of `rows` (column 0, the loss, of train and val).
pub fn loss_curve_png(rows: &[EpochLog]) -> anyhow::Result<Vec<u8>> {
    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    let values: Vec<(f64, f64)> = rows.iter().map(|r| (r.train[0], r.val[0])).collect();
    let logs: Vec<f64> = values
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .filter(|v| *v > 0.0)
        .map(f64::log10)
        .collect();
    let (lo, hi) = logs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (lo, hi) = if lo.is_finite() {
        (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
    } else {
        (0.0, 1.0)
    };
    let (x0, x1, y0, y1) = (
        MARGIN as f64,
        (WIDTH - MARGIN) as f64,
        (HEIGHT - MARGIN) as f64,
        MARGIN as f64,
    );
    let to_y = |v: f64| y0 + (v.max(1e-30).log10() - lo) / (hi - lo) * (y1 - y0);
    let to_x = |i: usize| x0 + i as f64 / (rows.len().max(2) - 1) as f64 * (x1 - x0);
    let mut decade = lo;
    while decade <= hi {
        line(
            &mut img,
            (x0, to_y(10f64.powf(decade))),
            (x1, to_y(10f64.powf(decade))),
            GRID,
        );
        decade += 1.0;
    }
    line(&mut img, (x0, y0), (x1, y0), AXIS);
    line(&mut img, (x0, y0), (x0, y1), AXIS);
    for i in 1..values.len() {
        line(
            &mut img,
            (to_x(i - 1), to_y(values[i - 1].0)),
            (to_x(i), to_y(values[i].0)),
            TRAIN,
        );
        line(
            &mut img,
            (to_x(i - 1), to_y(values[i - 1].1)),
            (to_x(i), to_y(values[i].1)),
            VAL,
        );
    }
    let mut bytes = Vec::new();
    img.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)?;
    Ok(bytes)
}

/// Draws a straight line by sampling, clipped to the image.
fn line(img: &mut RgbImage, a: (f64, f64), b: (f64, f64), color: Rgb<u8>) {
    let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil() as usize).max(1);
    for s in 0..=steps {
        let t = s as f64 / steps as f64;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        if x >= 0.0 && y >= 0.0 && (x as u32) < img.width() && (y as u32) < img.height() {
            img.put_pixel(x as u32, y as u32, color);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_is_a_png_with_both_colours() {
        let rows: Vec<EpochLog> = (0..5)
            .map(|e| EpochLog {
                epoch: e,
                tau: 1.0,
                train: [100.0 / (e + 1) as f64; 6],
                val: [120.0 / (e + 1) as f64; 6],
                seconds: 0.0,
                refine: false,
            })
            .collect();
        let png = loss_curve_png(&rows).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert!(img.pixels().any(|p| *p == TRAIN));
        assert!(img.pixels().any(|p| *p == VAL));
    }
}
