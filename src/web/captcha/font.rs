//! The digits the captcha draws: a 5 × 7 bitmap each, drawn larger, turned and bent by
//! [`super::image`].

/// Columns and rows of a glyph.
pub const WIDTH: usize = 5;
pub const HEIGHT: usize = 7;

/// Rows top to bottom, `#` inked.
const DIGITS: [[&str; HEIGHT]; 10] = [
    [
        " ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### ",
    ],
    [
        "  #  ", " ##  ", "# #  ", "  #  ", "  #  ", "  #  ", "#####",
    ],
    [
        " ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####",
    ],
    [
        "#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### ",
    ],
    [
        "   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # ",
    ],
    [
        "#####", "#    ", "#### ", "    #", "    #", "#   #", " ### ",
    ],
    [
        "  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### ",
    ],
    [
        "#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   ",
    ],
    [
        " ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### ",
    ],
    [
        " ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  ",
    ],
];

/// Whether `digit`'s cell at `column`, `row` is inked (outside the glyph: no).
pub fn inked(digit: u8, column: usize, row: usize) -> bool {
    DIGITS
        .get(usize::from(digit))
        .and_then(|rows| rows.get(row))
        .and_then(|line| line.as_bytes().get(column))
        == Some(&b'#')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_is_five_by_seven_and_all_differ() {
        for rows in DIGITS {
            assert!(rows.iter().all(|row| row.len() == WIDTH));
        }
        for (a, glyph) in DIGITS.iter().enumerate() {
            assert!(DIGITS.iter().skip(a + 1).all(|other| other != glyph));
        }
        assert!(inked(1, 2, 0));
        assert!(!inked(1, 0, 0));
        assert!(!inked(10, 0, 0) && !inked(0, 5, 0) && !inked(0, 0, 7));
    }
}
