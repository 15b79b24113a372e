//! The captcha's picture: the answer's digits, each at its own size, slant and height, on a
//! wave that bends the whole line, over speckled paper and under a few crossing strokes. Drawn
//! afresh on every request, so no two pictures of one challenge are alike.

use rand::Rng;

use super::font::{self, HEIGHT, WIDTH};
use super::png;

pub const IMAGE_WIDTH: u32 = 240;
pub const IMAGE_HEIGHT: u32 = 80;

/// How one digit is placed: centre, turn, size (pixels per font cell).
struct Placement {
    digit: u8,
    centre: (f64, f64),
    cos: f64,
    sin: f64,
    cell: f64,
}

/// The PNG of `digits` (each 0–9).
pub fn render(digits: &[u8]) -> Vec<u8> {
    let mut rng = rand::rng();
    let (width, height) = (IMAGE_WIDTH as usize, IMAGE_HEIGHT as usize);
    let step = f64::from(IMAGE_WIDTH - 40) / digits.len().max(1) as f64;
    let placements: Vec<Placement> = digits
        .iter()
        .enumerate()
        .map(|(i, &digit)| {
            let angle: f64 = rng.random_range(-0.45..0.45);
            Placement {
                digit,
                centre: (
                    20.0 + step * (i as f64 + 0.5) + rng.random_range(-4.0..4.0),
                    f64::from(IMAGE_HEIGHT) / 2.0 + rng.random_range(-9.0..9.0),
                ),
                cos: angle.cos(),
                sin: angle.sin(),
                cell: rng.random_range(5.2..7.0),
            }
        })
        .collect();
    let wave = (
        rng.random_range(3.0..7.0),                   // amplitude
        rng.random_range(0.035..0.07),                // frequency
        rng.random_range(0.0..std::f64::consts::TAU), // phase
    );
    let ink: u8 = rng.random_range(0..70);
    let mut pixels: Vec<u8> = (0..width * height)
        .map(|_| rng.random_range(175..=255))
        .collect();
    for y in 0..height {
        for x in 0..width {
            let bent_y = y as f64 + wave.0 * (x as f64 * wave.1 + wave.2).sin();
            if placements.iter().any(|p| covers(p, x as f64, bent_y)) {
                pixels[y * width + x] = ink.saturating_add(rng.random_range(0..40));
            }
        }
    }
    for _ in 0..rng.random_range(4..7) {
        let from = (0.0, rng.random_range(0.0..f64::from(IMAGE_HEIGHT)));
        let to = (
            f64::from(IMAGE_WIDTH),
            rng.random_range(0.0..f64::from(IMAGE_HEIGHT)),
        );
        let shade = rng.random_range(20..140);
        stroke(&mut pixels, from, to, shade);
    }
    for _ in 0..width * height / 40 {
        let at = rng.random_range(0..width * height);
        pixels[at] = rng.random_range(0..120);
    }
    png::greyscale(IMAGE_WIDTH, IMAGE_HEIGHT, &pixels)
}

/// Whether `placement`'s digit inks the point `(x, y)`.
fn covers(placement: &Placement, x: f64, y: f64) -> bool {
    let (dx, dy) = (x - placement.centre.0, y - placement.centre.1);
    let u = (dx * placement.cos + dy * placement.sin) / placement.cell + WIDTH as f64 / 2.0;
    let v = (-dx * placement.sin + dy * placement.cos) / placement.cell + HEIGHT as f64 / 2.0;
    u >= 0.0 && v >= 0.0 && font::inked(placement.digit, u as usize, v as usize)
}

/// A line two pixels thick from `from` to `to`, in `shade`.
fn stroke(pixels: &mut [u8], from: (f64, f64), to: (f64, f64), shade: u8) {
    let (width, height) = (IMAGE_WIDTH as i64, IMAGE_HEIGHT as i64);
    let steps = (to.0 - from.0).abs().max((to.1 - from.1).abs()).ceil() as i64;
    for i in 0..=steps {
        let t = i as f64 / steps.max(1) as f64;
        let x = (from.0 + (to.0 - from.0) * t) as i64;
        let y = (from.1 + (to.1 - from.1) * t) as i64;
        for (px, py) in [(x, y), (x, y + 1)] {
            if (0..width).contains(&px) && (0..height).contains(&py) {
                pixels[(py * width + px) as usize] = shade;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_picture_of_the_same_digits_differs() {
        let digits = [1, 2, 3, 4, 5, 6];
        let first = render(&digits);
        let second = render(&digits);
        assert_eq!(&first[..8], b"\x89PNG\r\n\x1a\n");
        assert_ne!(first, second);
    }

    #[test]
    fn a_digit_inks_around_its_centre_only() {
        let placement = Placement {
            digit: 8,
            centre: (50.0, 40.0),
            cos: 1.0,
            sin: 0.0,
            cell: 6.0,
        };
        // The 8's top-left corner cell is blank, its second row's first cell inked.
        assert!(!covers(&placement, 50.0 - 15.0 + 1.0, 40.0 - 21.0 + 1.0));
        assert!(covers(&placement, 50.0 - 15.0 + 1.0, 40.0 - 21.0 + 7.0));
        assert!(!covers(&placement, 10.0, 40.0));
    }
}
