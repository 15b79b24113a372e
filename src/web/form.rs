//! Reading what a form sent: the web's own spellings (a date typed `gg/mm/aaaa` or sent by a
//! date picker as `aaaa-mm-gg`) turned into the values the use cases take, and dates written
//! back the Italian way. What is not a value stays `None`: the use case refuses it with its
//! own code, as it refuses a SOAP field that is not one.

use chrono::NaiveDate;

/// A date as `aaaa-mm-gg` (a date picker) or `gg/mm/aaaa` (typed); anything else is `None`.
pub fn date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
}

/// `gg/mm/aaaa`.
pub fn italian(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// `aaaa-mm-gg`, the value a date input shows.
pub fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A field of a `;`-separated CSV line: quoted when it holds a separator, a quote or a line
/// break, so no value can add a column or a row.
pub fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_pickers_send_them_or_as_typed() {
        let day = NaiveDate::from_ymd_opt(2020, 9, 14);
        assert_eq!(date("2020-09-14"), day);
        assert_eq!(date(" 14/09/2020 "), day);
        for bad in [
            "",
            "14-09-2020",
            "2020-02-30",
            "31/11/2020",
            "oggi",
            "2020-9-14x",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
        assert_eq!(day.map(italian).as_deref(), Some("14/09/2020"));
        assert_eq!(day.map(iso).as_deref(), Some("2020-09-14"));
    }

    #[test]
    fn csv_fields_cannot_add_columns_or_rows() {
        assert_eq!(csv_field("DE LUCA"), "DE LUCA");
        assert_eq!(csv_field("A;B"), "\"A;B\"");
        assert_eq!(csv_field("A\"B"), "\"A\"\"B\"");
        assert_eq!(csv_field("A\nB"), "\"A\nB\"");
    }
}
