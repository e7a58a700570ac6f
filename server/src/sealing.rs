//! Secrets at rest: webhook signing secrets and identity-verification
//! secrets are stored sealed with ChaCha20-Poly1305 when
//! `LANTERN_SECRETS_KEY` is set, so a copy of the database (a backup, a
//! replica, a leaked dump) does not hand out the power to forge webhooks or
//! identities. A sealed value reads `enc:v1:KEYID:BASE64(nonce ‖ ciphertext)`;
//! KEYID names the key (the first bytes of its SHA-256), so old keys listed
//! in `LANTERN_SECRETS_OLD_KEYS` still open what they sealed until
//! `lantern secrets rotate` re-seals everything with the current key.
//! Values without the prefix are plaintext (written before a key was set)
//! and read as they are.

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng},
};
use sha2::{Digest, Sha256};

const PREFIX: &str = "enc:v1:";

/// The keys that seal and open stored secrets.
pub struct Sealer {
    current: Key,
    old: Vec<Key>,
}

struct Key {
    id: String,
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current.id)
            .field("old", &self.old.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("a stored secret is sealed with key {0}, which is neither LANTERN_SECRETS_KEY nor in LANTERN_SECRETS_OLD_KEYS")]
    UnknownKey(String),
    #[error("a stored secret is sealed but LANTERN_SECRETS_KEY is not set")]
    NoKey,
    #[error("a stored secret does not open: damaged, or sealed by another key with the same id")]
    Damaged,
}

impl Key {
    fn parse(text: &str) -> Result<Key, String> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| "must be 32 bytes in base64 (make one with `lantern secrets new-key`)")?;
        if bytes.len() != 32 {
            return Err("must be 32 bytes in base64 (make one with `lantern secrets new-key`)".into());
        }
        let id = hex::encode(&Sha256::digest(&bytes)[..4]);
        let cipher = ChaCha20Poly1305::new_from_slice(&bytes).map_err(|e| e.to_string())?;
        Ok(Key { id, cipher })
    }
}

impl Sealer {
    /// From the current key and older ones, each 32 bytes in base64.
    pub fn new(current: &str, old: &[String]) -> Result<Sealer, String> {
        Ok(Sealer {
            current: Key::parse(current)?,
            old: old.iter().map(|k| Key::parse(k)).collect::<Result<_, _>>()?,
        })
    }

    /// A fresh random key in base64.
    pub fn new_key() -> String {
        B64.encode(ChaCha20Poly1305::generate_key(&mut OsRng))
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encrypting into a Vec cannot fail for inputs of this size.
        let sealed = self
            .current
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("ChaCha20-Poly1305 encrypts any secret-sized input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", self.current.id, B64.encode(out))
    }

    /// Whether `stored` is already sealed with the current key.
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id == self.current.id)
    }
}

/// Opens a stored value: plaintext passes through; a sealed one needs its key.
pub fn open(sealer: Option<&Sealer>, stored: &str) -> Result<String, SealError> {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        return Ok(stored.to_string());
    };
    let sealer = sealer.ok_or(SealError::NoKey)?;
    let (id, body) = rest.split_once(':').ok_or(SealError::Damaged)?;
    let key = std::iter::once(&sealer.current)
        .chain(&sealer.old)
        .find(|k| k.id == id)
        .ok_or_else(|| SealError::UnknownKey(id.to_string()))?;
    let bytes = B64.decode(body).map_err(|_| SealError::Damaged)?;
    if bytes.len() < 12 {
        return Err(SealError::Damaged);
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = key
        .cipher
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .map_err(|_| SealError::Damaged)?;
    String::from_utf8(plain).map_err(|_| SealError::Damaged)
}

/// Seals `plain` when a key is set; stores it as it is otherwise.
pub fn seal(sealer: Option<&Sealer>, plain: &str) -> String {
    match sealer {
        Some(s) => s.seal(plain),
        None => plain.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let (a, b) = (Sealer::new_key(), Sealer::new_key());
        let with_a = Sealer::new(&a, &[]).expect("key");
        let sealed = with_a.seal("whsec_secret");
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("whsec_secret"));
        assert_ne!(sealed, with_a.seal("whsec_secret"), "a fresh nonce each time");
        assert_eq!(open(Some(&with_a), &sealed).expect("opens"), "whsec_secret");
        assert!(with_a.is_current(&sealed));

        let with_b = Sealer::new(&b, &[]).expect("key");
        assert!(matches!(open(Some(&with_b), &sealed), Err(SealError::UnknownKey(_))));
        assert!(matches!(open(None, &sealed), Err(SealError::NoKey)));
        // After rotation, the old key still opens; the new one seals.
        let rotated = Sealer::new(&b, &[a]).expect("keys");
        assert_eq!(open(Some(&rotated), &sealed).expect("opens"), "whsec_secret");
        assert!(!rotated.is_current(&sealed));

        let mut damaged = sealed.clone();
        damaged.replace_range(sealed.len() - 4.., "AAAA");
        assert!(matches!(open(Some(&with_a), &damaged), Err(SealError::Damaged)));
        assert_eq!(open(None, "plain").expect("plaintext"), "plain");
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(Sealer::new("short", &[]).is_err());
        assert!(Sealer::new(&B64.encode([0u8; 16]), &[]).is_err());
        assert!(Sealer::new(&B64.encode([7u8; 32]), &[]).is_ok());
    }
}
