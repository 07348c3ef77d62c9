//! JSON Web Tokens (RFC 7519 compact serialization).

use super::formats::Hit;
use super::values::{redact, word};

/// JSON Web Tokens: three base64url segments, the first two JSON objects (`eyJ` is `{"`).
pub(super) fn jwts(text: &str, what: &'static str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let b64url = |b: u8| word(b) || b == b'-';
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|t| t.find("eyJ")) {
        let start = from + found;
        from = start + 3;
        if start > 0
            && bytes
                .get(start - 1)
                .is_some_and(|&b| b64url(b) || b == b'.')
        {
            continue;
        }
        let mut end = start;
        let mut segments = [(0usize, 0usize); 3];
        let mut complete = true;
        for (i, seg) in segments.iter_mut().enumerate() {
            let len = bytes
                .get(end..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b64url(b))
                .count();
            *seg = (end, len);
            end += len;
            if i < 2 {
                if bytes.get(end) != Some(&b'.') {
                    complete = false;
                    break;
                }
                end += 1;
            }
        }
        let payload = segments[1].0;
        let shaped = complete
            && segments.iter().all(|&(_, len)| len >= 10)
            && text.get(payload..payload + 3) == Some("eyJ");
        if shaped {
            out.push(Hit {
                what,
                start,
                evidence: redact(text.get(start..end).unwrap_or_default()),
            });
            from = end;
        }
    }
}
