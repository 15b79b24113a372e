//! The captcha's sound, for whoever cannot read the picture: the answer's digits spoken in
//! Italian (recordings made once with espeak-ng, `voice/generate.py`), each at its own speed
//! and loudness, after random pauses, over a hiss that changes on every request.

use std::sync::LazyLock;

use rand::Rng;

use super::wav::{self, RATE};

/// The recordings of "zero" … "nove", read once.
static VOICES: LazyLock<Vec<Vec<i16>>> = LazyLock::new(|| {
    [
        &include_bytes!("voice/it-0.wav")[..],
        include_bytes!("voice/it-1.wav"),
        include_bytes!("voice/it-2.wav"),
        include_bytes!("voice/it-3.wav"),
        include_bytes!("voice/it-4.wav"),
        include_bytes!("voice/it-5.wav"),
        include_bytes!("voice/it-6.wav"),
        include_bytes!("voice/it-7.wav"),
        include_bytes!("voice/it-8.wav"),
        include_bytes!("voice/it-9.wav"),
    ]
    .iter()
    .map(|file| wav::samples(file).unwrap_or_default())
    .collect()
});

/// Samples in `seconds`.
fn samples_in(seconds: f64) -> usize {
    (seconds * f64::from(RATE)) as usize
}

/// The WAV of `digits` (each 0–9) read aloud.
pub fn render(digits: &[u8]) -> Vec<u8> {
    let mut rng = rand::rng();
    let mut voice: Vec<f64> = vec![0.0; samples_in(rng.random_range(0.4..0.8))];
    for &digit in digits {
        let recording = VOICES
            .get(usize::from(digit))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let speed: f64 = rng.random_range(0.88..1.12);
        let gain: f64 = rng.random_range(0.55..1.0);
        let length = (recording.len() as f64 / speed) as usize;
        voice.extend((0..length).map(|i| {
            // Linear interpolation between the two nearest recorded samples.
            let at = i as f64 * speed;
            let (index, fraction) = (at as usize, at.fract());
            let a = f64::from(recording.get(index).copied().unwrap_or(0));
            let b = f64::from(recording.get(index + 1).copied().unwrap_or(0));
            (a + (b - a) * fraction) * gain
        }));
        let pause = samples_in(rng.random_range(0.35..0.9));
        voice.extend(std::iter::repeat_n(0.0, pause));
    }
    let hiss: f64 = rng.random_range(900.0..2200.0);
    let mut rumble = 0.0;
    let mixed: Vec<i16> = voice
        .into_iter()
        .map(|sample| {
            // White noise plus a slow random walk (a low rumble).
            rumble = (rumble + rng.random_range(-300.0..300.0)) * 0.98;
            let noisy = sample + rng.random_range(-hiss..hiss) + rumble;
            noisy.clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
        })
        .collect();
    wav::write(&mixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recording_is_there_and_every_sound_differs() {
        assert_eq!(VOICES.len(), 10);
        assert!(
            VOICES.iter().all(|v| v.len() > RATE as usize / 4),
            "a quarter second at least"
        );
        let digits = [3, 1, 4, 1, 5, 9];
        let first = render(&digits);
        let second = render(&digits);
        assert_ne!(first, second);
        let samples = wav::samples(&first).unwrap_or_default();
        // Six spoken digits and their pauses: several seconds.
        assert!(samples.len() > samples_in(3.0), "{}", samples.len());
    }
}
