//! Reading grid images: match every cell against a bank of templates.
//!
//! A cell matches template `t` when their mean absolute difference is below
//! half the smallest distance between any two templates. By the triangle
//! inequality at most one template can match, so a match is never ambiguous;
//! a cell that matches none is rejected with its position and nearest template.

use super::{Image, Rejection};

/// Templates for the cells of a grid image, and the matching margin.
#[derive(Debug, Clone)]
pub struct GridMatcher {
    templates: Vec<Image>,
    margin: f32,
}

impl GridMatcher {
    /// A matcher for `templates`, all of one shape; `closest` is the smallest
    /// pairwise distance between them (see [`super::check_distinct`]).
    pub fn new(templates: Vec<Image>, closest: f32) -> Self {
        GridMatcher {
            templates,
            margin: closest / 2.0,
        }
    }

    /// The templates.
    pub fn templates(&self) -> &[Image] {
        &self.templates
    }

    /// The index of the template that cell (`row`, `col`) of `image` shows,
    /// the cell's top-left pixel being at (`y0`, `x0`).
    pub fn match_cell(
        &self,
        image: &Image,
        row: usize,
        col: usize,
        y0: usize,
        x0: usize,
    ) -> Result<u8, Rejection> {
        let shape = self.templates[0].shape();
        let cell = image.crop(y0, x0, shape.height, shape.width);
        let (best, dist) = self
            .templates
            .iter()
            .enumerate()
            .map(|(i, t)| (i, cell.mean_abs_diff(t).unwrap_or(f32::INFINITY)))
            .fold(
                (0, f32::INFINITY),
                |acc, x| if x.1 < acc.1 { x } else { acc },
            );
        if dist < self.margin {
            Ok(best as u8)
        } else {
            Err(Rejection::Invalid(format!(
                "cell (row {row}, column {col}) matches no template: nearest is {best} at mean difference {dist:.3}, \
                 a match needs less than {:.3}",
                self.margin
            )))
        }
    }

    /// Matches every cell of a `rows × cols` grid of template-sized cells
    /// starting at pixel (`y0`, `x0`); cells in row-major order.
    pub fn match_grid(
        &self,
        image: &Image,
        rows: usize,
        cols: usize,
        y0: usize,
        x0: usize,
    ) -> Result<Vec<u8>, Rejection> {
        let shape = self.templates[0].shape();
        let mut out = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                out.push(self.match_cell(
                    image,
                    r,
                    c,
                    y0 + r * shape.height,
                    x0 + c * shape.width,
                )?);
            }
        }
        Ok(out)
    }
}
