//! WAV files, as far as the captcha needs them: reading the committed digit recordings
//! (16-bit mono PCM) and writing what is mixed from them.

/// The sample rate of the recordings and of every sound the captcha plays.
pub const RATE: u32 = 11_025;

/// The 16-bit samples of a mono PCM WAV at [`RATE`]; `None` for anything else.
pub fn samples(file: &[u8]) -> Option<Vec<i16>> {
    if file.get(..4)? != b"RIFF" || file.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12;
    let mut format_ok = false;
    while at + 8 <= file.len() {
        let id = file.get(at..at + 4)?;
        let size = u32::from_le_bytes(file.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        let body = file.get(at + 8..at + 8 + size)?;
        match id {
            b"fmt " => {
                let field =
                    |i: usize| Some(u16::from_le_bytes(body.get(i..i + 2)?.try_into().ok()?));
                let rate = u32::from_le_bytes(body.get(4..8)?.try_into().ok()?);
                format_ok = field(0)? == 1 && field(2)? == 1 && rate == RATE && field(14)? == 16;
            }
            b"data" if format_ok => {
                return Some(
                    body.chunks_exact(2)
                        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
                        .collect(),
                );
            }
            _ => {}
        }
        at += 8 + size + size % 2;
    }
    None
}

/// `samples` as a 16-bit mono PCM WAV file at [`RATE`].
pub fn write(samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut file = Vec::with_capacity(44 + samples.len() * 2);
    file.extend_from_slice(b"RIFF");
    file.extend_from_slice(&(36 + data_len).to_le_bytes());
    file.extend_from_slice(b"WAVEfmt ");
    file.extend_from_slice(&16u32.to_le_bytes());
    file.extend_from_slice(&1u16.to_le_bytes()); // PCM
    file.extend_from_slice(&1u16.to_le_bytes()); // mono
    file.extend_from_slice(&RATE.to_le_bytes());
    file.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes a second
    file.extend_from_slice(&2u16.to_le_bytes()); // bytes a sample
    file.extend_from_slice(&16u16.to_le_bytes());
    file.extend_from_slice(b"data");
    file.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        file.extend_from_slice(&sample.to_le_bytes());
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let sound = vec![0, 1, -1, i16::MAX, i16::MIN];
        assert_eq!(samples(&write(&sound)), Some(sound));
        assert_eq!(samples(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(samples(b"not a wav"), None);
    }
}
