//! A minimal ZIP writer: stored (uncompressed) entries, UTF-8 names, one fixed timestamp, so the
//! same files always make the same bytes. The kit is a few hundred kilobytes of text that the
//! HTTP layer may compress anyway; a compression crate would cost the build more than it saves.
//! Every unzip tool and toolkit reads stored entries (APPNOTE 6.3.x, method 0).

/// 1 January 2020, 00:00 in MS-DOS date and time: the fixed time of every entry.
const DOS_DATE: u16 = ((2020 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// General-purpose flag bit 11: the name is UTF-8.
const UTF8_NAMES: u16 = 1 << 11;
/// "Version needed to extract": 2.0, the baseline every reader supports.
const VERSION: u16 = 20;

#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("zip entry '{0}' is too large for a ZIP without ZIP64")]
    TooLarge(String),
    #[error("too many zip entries for a ZIP without ZIP64")]
    TooManyEntries,
}

/// An archive being written in memory.
#[derive(Default)]
pub struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl ZipWriter {
    pub fn new() -> ZipWriter {
        ZipWriter::default()
    }

    /// Adds `contents` under `name` (a relative path with `/` separators).
    pub fn add(&mut self, name: &str, contents: &[u8]) -> Result<(), ZipError> {
        let too_large = || ZipError::TooLarge(name.to_owned());
        let size = u32::try_from(contents.len()).map_err(|_| too_large())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_large())?;
        let offset = u32::try_from(self.out.len()).map_err(|_| too_large())?;
        self.entries = self
            .entries
            .checked_add(1)
            .ok_or(ZipError::TooManyEntries)?;
        let crc = crc32(contents);

        // Local file header.
        put32(&mut self.out, 0x0403_4b50);
        put16(&mut self.out, VERSION);
        self.common(crc, size, name_len);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(contents);

        // Its central directory record.
        let c = &mut self.central;
        put32(c, 0x0201_4b50);
        put16(c, VERSION); // made by: MS-DOS / FAT attributes, version 2.0
        put16(c, VERSION);
        put16(c, UTF8_NAMES);
        put16(c, 0); // stored
        put16(c, DOS_TIME);
        put16(c, DOS_DATE);
        put32(c, crc);
        put32(c, size);
        put32(c, size);
        put16(c, name_len);
        put16(c, 0); // extra field
        put16(c, 0); // comment
        put16(c, 0); // disk number
        put16(c, 0); // internal attributes
        put32(c, 0); // external attributes
        put32(c, offset);
        c.extend_from_slice(name.as_bytes());
        Ok(())
    }

    /// The fields a local header shares with the central record, after the version.
    fn common(&mut self, crc: u32, size: u32, name_len: u16) {
        let o = &mut self.out;
        put16(o, UTF8_NAMES);
        put16(o, 0); // stored
        put16(o, DOS_TIME);
        put16(o, DOS_DATE);
        put32(o, crc);
        put32(o, size); // compressed
        put32(o, size); // uncompressed
        put16(o, name_len);
        put16(o, 0); // extra field
    }

    /// The archive's bytes: the entries, the central directory and its end record.
    pub fn finish(mut self) -> Result<Vec<u8>, ZipError> {
        let too_large = || ZipError::TooLarge("central directory".to_owned());
        let start = u32::try_from(self.out.len()).map_err(|_| too_large())?;
        let length = u32::try_from(self.central.len()).map_err(|_| too_large())?;
        self.out.append(&mut self.central);
        let o = &mut self.out;
        put32(o, 0x0605_4b50);
        put16(o, 0); // this disk
        put16(o, 0); // disk with the central directory
        put16(o, self.entries);
        put16(o, self.entries);
        put32(o, length);
        put32(o, start);
        put16(o, 0); // comment
        Ok(self.out)
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as ZIP requires.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };
    !bytes.iter().fold(!0u32, |crc, &b| {
        TABLE[usize::from((crc as u8) ^ b)] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_the_standard_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    /// Read back as a reader does: the end record points at the central directory, whose
    /// records point at local headers holding the same names and bytes.
    #[test]
    fn entries_read_back_through_the_central_directory() {
        let mut zip = ZipWriter::new();
        zip.add("wsdl/Servizi.wsdl", b"<definitions/>").unwrap();
        zip.add("LEGGIMI.md", "perché".as_bytes()).unwrap();
        let bytes = zip.finish().unwrap();

        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let end = bytes.len() - 22;
        assert_eq!(u32_at(end), 0x0605_4b50);
        assert_eq!(u16_at(end + 10), 2);
        let mut record = u32_at(end + 16);
        let mut found = Vec::new();
        for _ in 0..2 {
            assert_eq!(u32_at(record), 0x0201_4b50);
            let (crc, size, name_len) = (
                u32_at(record + 16),
                u32_at(record + 20),
                u16_at(record + 28),
            );
            let name =
                String::from_utf8(bytes[record + 46..record + 46 + name_len].to_vec()).unwrap();
            let local = u32_at(record + 42);
            assert_eq!(u32_at(local), 0x0403_4b50);
            let data = local + 30 + u16_at(local + 26);
            let contents = &bytes[data..data + size];
            assert_eq!(crc32(contents) as usize, crc);
            found.push((name, String::from_utf8(contents.to_vec()).unwrap()));
            record += 46 + name_len;
        }
        assert_eq!(
            found,
            [
                ("wsdl/Servizi.wsdl".to_owned(), "<definitions/>".to_owned()),
                ("LEGGIMI.md".to_owned(), "perché".to_owned())
            ]
        );
    }
}
