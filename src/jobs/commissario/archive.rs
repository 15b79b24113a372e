//! The report packed as a zip archive whose two entries (the §5.4 figures, the MIUR statistics)
//! are encrypted with AES-256 (WinZip AE-2, which 7-Zip, WinZip and most unzip tools open) and
//! deflated, under a freshly generated password.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{AesMode, CompressionMethod, ZipWriter};

use super::password::ArchivePassword;
use super::{Report, CSV_NAME, MIUR_CSV_NAME};

/// The archive, its password and its SHA-256 (hex), which the access log records.
#[derive(Debug)]
pub struct SealedReport {
    pub archive: Vec<u8>,
    pub password: ArchivePassword,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the report's zip archive")]
pub struct ArchiveError(#[from] zip::result::ZipError);

/// Packs `report` under a new password.
pub fn seal(report: &Report) -> Result<SealedReport, ArchiveError> {
    let password = ArchivePassword::generate();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .with_aes_encryption(AesMode::Aes256, password.expose());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in [(CSV_NAME, &report.csv), (MIUR_CSV_NAME, &report.miur_csv)] {
        zip.start_file(name, options)?;
        zip.write_all(content).map_err(zip::result::ZipError::Io)?;
    }
    let archive = zip.finish()?.into_inner();
    let sha256 = hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &archive,
    ));
    Ok(SealedReport {
        archive,
        password,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::io::Read;

    #[test]
    fn the_entry_opens_with_the_password_only() {
        let report = Report {
            computed_at: Utc::now(),
            csv: b"Data statistica;x\r\n2026-11-30 07:00:00;1\r\n".to_vec(),
            miur_csv: b"tipo;data_statistica\nstatali;2026-11-30 07:00:00\n".to_vec(),
        };
        let sealed = seal(&report).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(sealed.archive.clone())).unwrap();
        assert!(archive
            .by_name_decrypt(CSV_NAME, b"not the password")
            .is_err());
        for (name, expected) in [(CSV_NAME, &report.csv), (MIUR_CSV_NAME, &report.miur_csv)] {
            let mut entry = archive
                .by_name_decrypt(name, sealed.password.expose().as_bytes())
                .unwrap();
            let mut csv = Vec::new();
            entry.read_to_end(&mut csv).unwrap();
            assert_eq!(&csv, expected);
        }
        assert!(archive
            .by_name_decrypt(MIUR_CSV_NAME, b"not the password")
            .is_err());
        assert_eq!(sealed.sha256.len(), 64);
        // Neither CSV is readable in the archive's bytes.
        assert!(!sealed.archive.windows(15).any(|w| w == b"Data statistica"));
        assert!(!sealed.archive.windows(15).any(|w| w == b"data_statistica"));
    }
}
