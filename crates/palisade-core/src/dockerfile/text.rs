//! [`Text`]: a logical string assembled from pieces of several physical lines (continuations,
//! heredoc bodies) that still knows where each of its characters was written.

use crate::yaml::Pos;

/// Where a run of a [`Text`] starts in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    /// Byte offset in `Text::value`.
    offset: usize,
    /// Position of that byte in the file.
    pos: Pos,
    /// The run is ASCII up to the next span: columns are byte differences.
    ascii: bool,
}

/// Non-ASCII runs get a span every this many characters, so that finding a column never
/// counts more than this many characters, however long the line.
const CHARS_PER_SPAN: usize = 64;

/// A string with the file position of every character.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    /// The text (continuations joined, heredoc lines separated by `\n`).
    pub value: String,
    spans: Vec<Span>,
}

impl Text {
    /// An empty text.
    pub fn new() -> Text {
        Text::default()
    }

    /// A text written in one piece at `pos`.
    pub fn at(value: &str, pos: Pos) -> Text {
        let mut t = Text::new();
        t.push(value, pos);
        t
    }

    /// Appends `piece`, written at `pos`.
    pub fn push(&mut self, piece: &str, pos: Pos) {
        if piece.is_empty() {
            return;
        }
        let start = self.value.len();
        if piece.is_ascii() {
            self.spans.push(Span {
                offset: start,
                pos,
                ascii: true,
            });
        } else {
            for (n, (i, _)) in piece.char_indices().enumerate() {
                if n % CHARS_PER_SPAN == 0 {
                    let col = u32::try_from(n).unwrap_or(u32::MAX);
                    self.spans.push(Span {
                        offset: start + i,
                        pos: Pos::new(pos.line, pos.col.saturating_add(col)),
                        ascii: false,
                    });
                }
            }
        }
        self.value.push_str(piece);
    }

    /// Appends a separator that was not written anywhere (it takes the position of what
    /// precedes it).
    pub fn push_synthetic(&mut self, piece: &str) {
        self.value.push_str(piece);
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Where the character at byte `offset` was written (the text's end for offsets past
    /// it; line 1 for an empty text).
    pub fn pos_at(&self, offset: usize) -> Pos {
        let idx = self.spans.partition_point(|s| s.offset <= offset);
        let Some(span) = idx.checked_sub(1).and_then(|i| self.spans.get(i)) else {
            return self.spans.first().map_or(Pos::new(1, 1), |s| s.pos);
        };
        let end = offset.min(self.value.len());
        let chars = if span.ascii {
            end.saturating_sub(span.offset)
        } else {
            self.value
                .get(span.offset..end)
                .map_or(0, |s| s.chars().count())
        };
        Pos::new(
            span.pos.line,
            span.pos
                .col
                .saturating_add(u32::try_from(chars).unwrap_or(u32::MAX)),
        )
    }

    /// The part from byte `offset` on, positions kept. An offset inside a character or past
    /// the end gives an empty text.
    pub fn tail(&self, offset: usize) -> Text {
        let Some(rest) = self.value.get(offset..) else {
            return Text::new();
        };
        let idx = self.spans.partition_point(|s| s.offset <= offset);
        let ascii = idx
            .checked_sub(1)
            .and_then(|i| self.spans.get(i))
            .is_none_or(|s| s.ascii);
        let mut spans = vec![Span {
            offset: 0,
            pos: self.pos_at(offset),
            ascii,
        }];
        spans.extend(
            self.spans
                .iter()
                .filter(|s| s.offset > offset)
                .map(|s| Span {
                    offset: s.offset - offset,
                    ..*s
                }),
        );
        if rest.is_empty() {
            spans.clear();
        }
        Text {
            value: rest.to_string(),
            spans,
        }
    }

    /// The first line of the file this text touches.
    pub fn first_line(&self) -> Option<u32> {
        self.spans.first().map(|s| s.pos.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_pieces() {
        let mut t = Text::new();
        t.push("apt-get update ", Pos::new(3, 5));
        t.push("&& rm -rf x", Pos::new(4, 3));
        assert_eq!(t.pos_at(0), Pos::new(3, 5));
        assert_eq!(t.pos_at(4), Pos::new(3, 9));
        let amp = t.as_str().find("&&").unwrap();
        assert_eq!(t.pos_at(amp), Pos::new(4, 3));
        assert_eq!(t.pos_at(amp + 3), Pos::new(4, 6));
        let tail = t.tail(amp);
        assert_eq!(tail.as_str(), "&& rm -rf x");
        assert_eq!(tail.pos_at(3), Pos::new(4, 6));
    }

    #[test]
    fn long_non_ascii_lines_keep_columns() {
        let line = "é".repeat(200) + "x";
        let t = Text::at(&line, Pos::new(2, 5));
        let x = t.as_str().find('x').unwrap();
        assert_eq!(t.pos_at(x), Pos::new(2, 205));
        assert_eq!(t.tail(x).pos_at(0), Pos::new(2, 205));
        assert_eq!(t.pos_at(2 * 70), Pos::new(2, 75));
    }

    #[test]
    fn odd_offsets_do_not_panic() {
        let t = Text::at("é x", Pos::new(1, 1));
        assert_eq!(t.pos_at(1), Pos::new(1, 1));
        assert_eq!(t.tail(1).as_str(), "");
        assert_eq!(t.pos_at(99), Pos::new(1, 4));
        assert_eq!(Text::new().pos_at(0), Pos::new(1, 1));
    }
}
