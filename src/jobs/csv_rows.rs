//! The `;`-separated files the registry and the MIUR send, read the way spreadsheets write
//! them: with the `csv` crate, so quoted fields (`"Valle d'Aosta; Vallée"`), a UTF-8 byte
//! order mark, CRLF line ends and blank lines are handled; fields are trimmed, and the empty
//! fields a stray separator leaves at the end of a row (`RSSMRA80A01H501U;`) are dropped.
//! A row that is not UTF-8 is reported with its line, and reading goes on.

use std::io::Read;

/// One data row: the line it starts on (1 is the header) and its fields.
#[derive(Debug, PartialEq, Eq)]
pub struct Row<'r> {
    pub line: u64,
    pub fields: Vec<&'r str>,
}

/// What reading a row found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'r> {
    Row(Row<'r>),
    /// A row whose bytes are not UTF-8: skipped, reported.
    NotUtf8 {
        line: u64,
    },
    End,
}

/// Reading the file failed (an I/O error): the file cannot be read to its end.
#[derive(Debug, thiserror::Error)]
#[error("reading line {line} failed")]
pub struct ReadFailed {
    pub line: u64,
    #[source]
    pub source: csv::Error,
}

/// A `;`-separated file, row after row, with byte offsets for progress.
pub struct CsvRows<R: Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
}

impl<R: Read> CsvRows<R> {
    pub fn new(input: R) -> CsvRows<R> {
        // Records end at LF only: with CR too, a CRLF file's lines would be counted one late
        // (the LF is read with the next record); the CR is trimmed with the last field.
        let reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::Any(b'\n'))
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(input);
        CsvRows {
            reader,
            record: csv::ByteRecord::new(),
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next row that has something in it (blank rows and rows of bare separators are
    /// skipped).
    pub fn next_row(&mut self) -> Result<Next<'_>, ReadFailed> {
        let line = loop {
            let line = self.reader.position().line();
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|source| ReadFailed { line, source })?;
            if !more {
                return Ok(Next::End);
            }
            if !self
                .record
                .iter()
                .all(|field| field.trim_ascii().is_empty())
            {
                break self.record.position().map_or(line, |p| p.line());
            }
        };
        let mut fields = Vec::with_capacity(self.record.len());
        for field in self.record.iter() {
            match std::str::from_utf8(field) {
                Ok(text) => fields.push(text.trim()),
                Err(_) => return Ok(Next::NotUtf8 { line }),
            }
        }
        while fields.last() == Some(&"") {
            fields.pop();
        }
        Ok(Next::Row(Row { line, fields }))
    }
}

/// The header row's fields, lower-cased, as `a;b;c` (for comparing with what a file must have).
pub fn header_text(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|field| field.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut csv = CsvRows::new(text);
        let mut out = Vec::new();
        loop {
            match csv.next_row() {
                Ok(Next::Row(row)) => out.push((
                    row.line,
                    row.fields.iter().map(|f| (*f).to_owned()).collect(),
                )),
                Ok(Next::NotUtf8 { line }) => out.push((line, vec!["<not utf-8>".into()])),
                Ok(Next::End) => return out,
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn spreadsheet_habits_are_read_as_meant() {
        let text = b"\xef\xbb\xbfregione;provincia;totale_personale\r\n\
            \"Valle d'Aosta; Vall\xc3\xa9e\";AO;12\r\n\
            \r\n\
            ;;\r\n\
            Lazio ; RM ;  30;\r\n\
            Lazio;\xffRM;1\r\n\
            \"Sicilia\";\"PA\";\"7\"\n";
        assert_eq!(
            rows(text),
            vec![
                (
                    1,
                    vec![
                        "regione".into(),
                        "provincia".into(),
                        "totale_personale".into()
                    ]
                ),
                (
                    2,
                    vec!["Valle d'Aosta; Vallée".into(), "AO".into(), "12".into()]
                ),
                (5, vec!["Lazio".into(), "RM".into(), "30".into()]),
                (6, vec!["<not utf-8>".into()]),
                (7, vec!["Sicilia".into(), "PA".into(), "7".into()]),
            ]
        );
    }

    #[test]
    fn the_header_compares_without_case_or_bom() {
        assert_eq!(
            header_text(&["\u{feff}Codice_Fiscale", "TIPOLOGIA"]),
            "codice_fiscale;tipologia"
        );
    }
}
