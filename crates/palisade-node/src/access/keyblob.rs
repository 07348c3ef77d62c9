//! Public key blobs (RFC 4253 §6.6 wire format, RFC 5656 for ECDSA, RFC 8709 for Ed25519,
//! OpenSSH PROTOCOL.u2f for security keys): the algorithm, the size that decides whether a
//! key is weak, and the SHA-256 fingerprint as `ssh-keygen -l` prints it.

use serde::Serialize;

/// What a key blob holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Algorithm named inside the blob (`ssh-rsa`, `ecdsa-sha2-nistp256`, ...).
    pub algorithm: String,
    /// Size in bits (RSA/DSA modulus, curve size; Ed25519 is 256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// Curve for ECDSA keys (`nistp256`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// `SHA256:…`, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
}

/// Decodes a base64 key blob and reads its algorithm and size.
pub fn inspect(base64: &str) -> Result<KeyInfo, String> {
    let blob = decode_base64(base64).ok_or("key data is not valid base64")?;
    let mut r = Reader { data: &blob };
    let algorithm = r.string_utf8().ok_or("key blob has no algorithm name")?;
    let (bits, curve) = match algorithm.as_str() {
        "ssh-rsa" => {
            let _e = r.string().ok_or("truncated RSA key")?;
            let n = r.string().ok_or("truncated RSA key")?;
            (Some(mpint_bits(n)), None)
        }
        "ssh-dss" => {
            let p = r.string().ok_or("truncated DSA key")?;
            (Some(mpint_bits(p)), None)
        }
        "ssh-ed25519" | "sk-ssh-ed25519@openssh.com" => {
            let k = r.string().ok_or("truncated Ed25519 key")?;
            if k.len() != 32 {
                return Err(format!("Ed25519 key of {} bytes (32 expected)", k.len()));
            }
            (Some(256), None)
        }
        a if a.starts_with("ecdsa-sha2-") || a.starts_with("sk-ecdsa-sha2-") => {
            let curve = r.string_utf8().ok_or("truncated ECDSA key")?;
            let _q = r.string().ok_or("truncated ECDSA key")?;
            let bits = match curve.as_str() {
                "nistp256" => 256,
                "nistp384" => 384,
                "nistp521" => 521,
                _ => return Err(format!("unknown ECDSA curve {curve}")),
            };
            (Some(bits), Some(curve))
        }
        // Certificates and other algorithms: named, not sized.
        _ => (None, None),
    };
    Ok(KeyInfo {
        algorithm,
        bits,
        curve,
        fingerprint: format!("SHA256:{}", encode_base64_unpadded(&sha256(&blob))),
    })
}

/// Bit length of an SSH mpint (big-endian, leading zero bytes for the sign).
fn mpint_bits(n: &[u8]) -> u32 {
    let trimmed: &[u8] = match n.iter().position(|&b| b != 0) {
        Some(i) => &n[i..],
        None => return 0,
    };
    let lead = 8 - trimmed[0].leading_zeros();
    u32::try_from(trimmed.len() - 1)
        .unwrap_or(u32::MAX / 8)
        .saturating_mul(8)
        .saturating_add(lead)
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let len_bytes: [u8; 4] = self.data.get(..4)?.try_into().ok()?;
        let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
        let body = self.data.get(4..4usize.checked_add(len)?)?;
        self.data = &self.data[4 + len..];
        Some(body)
    }

    fn string_utf8(&mut self) -> Option<String> {
        self.string()
            .and_then(|s| std::str::from_utf8(s).ok())
            .map(str::to_string)
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with optional padding; `None` on any other character.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut nbits = 0;
    for c in body.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        acc = (acc << 6) | u32::try_from(v).ok()?;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push(u8::try_from((acc >> nbits) & 0xff).ok()?);
        }
    }
    // Leftover bits must be zero padding (6 bits alone cannot encode a byte).
    if nbits >= 6 {
        return None;
    }
    Some(out)
}

fn encode_base64_unpadded(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// SHA-256 (FIPS 180-4), for fingerprints only.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_vectors() {
        let hex = |d: [u8; 32]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(sha256(&[b'a'; 1000])),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
        );
    }

    #[test]
    fn base64_round_trips_and_rejects_garbage() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello");
        assert!(decode_base64("aGV*bG8=").is_none());
        assert!(decode_base64("a").is_none());
        assert_eq!(encode_base64_unpadded(b"hello"), "aGVsbG8");
    }

    #[test]
    fn truncated_and_odd_blobs_are_errors_not_panics() {
        assert!(inspect("AAAAB3NzaC1yc2E=").is_err()); // "ssh-rsa" and nothing else
        assert!(inspect("////").is_err());
        assert!(inspect("").is_err());
        assert_eq!(mpint_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(mpint_bits(&[0x01]), 1);
        assert_eq!(mpint_bits(&[]), 0);
    }
}
