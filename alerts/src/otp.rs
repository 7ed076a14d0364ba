//! One-time codes: generation, the keyed hash the login stream keeps, and
//! the sealed copy only the dispatcher opens to send it.
//!
//! Two keys are derived from one server secret (HMAC-SHA256 with distinct
//! labels), so a leak of sealed codes does not help forge hashes and the
//! other way round. A code is never stored or logged in clear: the login
//! stream holds `HMAC(key, phone ‖ code)` and `ChaCha20-Poly1305(code)` bound
//! to the code's id, and the local inbox (memory only) is the one place a
//! demo can read it.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::Sha256;

/// Keys for hashing and sealing codes.
#[derive(Clone)]
pub struct OtpKeys {
    hash_key: [u8; 32],
    seal_key: [u8; 32],
}

impl fmt::Debug for OtpKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpKeys([redacted])")
    }
}

/// A sealed code that does not open (wrong key, tampered, other code id).
#[derive(Debug, thiserror::Error)]
#[error("sealed code does not open")]
pub struct SealError;

fn derive(secret: &[u8], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A fresh six-digit code from the operating system's CSPRNG.
pub fn new_code() -> String {
    format!("{:06}", OsRng.gen_range(0..1_000_000u32))
}

impl OtpKeys {
    /// Keys derived from the server secret.
    pub fn derive(secret: &[u8]) -> Self {
        Self {
            hash_key: derive(secret, "early-risk/otp/hash/v1"),
            seal_key: derive(secret, "early-risk/otp/seal/v1"),
        }
    }

    /// The keyed hash of `code` for `phone` (hex).
    pub fn hash(&self, phone: &str, code: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key).expect("HMAC takes any key");
        mac.update(phone.as_bytes());
        mac.update(b"\n");
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Seals `code` for the code id `otp_id` (hex of nonce ‖ ciphertext).
    pub fn seal(&self, otp_id: &str, code: &str) -> String {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.seal_key));
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: code.as_bytes(),
                    aad: otp_id.as_bytes(),
                },
            )
            .expect("sealing a short code cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        hex::encode(out)
    }

    /// Opens a sealed code (only for sending it).
    pub fn open(&self, otp_id: &str, sealed: &str) -> Result<String, SealError> {
        let bytes = hex::decode(sealed).map_err(|_| SealError)?;
        if bytes.len() < 12 {
            return Err(SealError);
        }
        let (nonce, body) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.seal_key));
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: otp_id.as_bytes(),
                },
            )
            .map_err(|_| SealError)?;
        String::from_utf8(plain).map_err(|_| SealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn a_sealed_code_opens_only_with_its_key_and_id() {
        let keys = OtpKeys::derive(b"a server secret of some length....");
        let sealed = keys.seal("otp-1", "123456");
        assert!(!sealed.contains("123456"));
        assert_eq!(keys.open("otp-1", &sealed).expect("opens"), "123456");
        assert!(keys.open("otp-2", &sealed).is_err(), "bound to its id");
        let other = OtpKeys::derive(b"another secret.....................");
        assert!(other.open("otp-1", &sealed).is_err());
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).expect("hex");
        assert!(keys.open("otp-1", &tampered).is_err());
    }

    #[test]
    fn hashes_depend_on_key_phone_and_code() {
        let keys = OtpKeys::derive(b"k");
        let h = keys.hash("+919800000001", "123456");
        assert_eq!(h, keys.hash("+919800000001", "123456"));
        assert_ne!(h, keys.hash("+919800000002", "123456"));
        assert_ne!(h, keys.hash("+919800000001", "123457"));
        assert_ne!(h, OtpKeys::derive(b"j").hash("+919800000001", "123456"));
    }
}
