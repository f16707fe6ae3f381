//! Deterministic identifiers. Every id the fleet creates is derived from what caused it, so a
//! redelivered message recreates the same ids and every write is idempotent.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Namespace of Tocsin's name-based (v5) UUIDs.
const NAMESPACE: Uuid = Uuid::from_u128(0x7c6f_6e61_7473_696e_8000_0000_0000_0001);

/// A v5 UUID from parts (joined with a separator that cannot occur in ARNs or ids).
pub fn derive(parts: &[&str]) -> String {
    Uuid::new_v5(&NAMESPACE, parts.join("\u{1f}").as_bytes()).to_string()
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_is_stable_and_separates_parts() {
        assert_eq!(derive(&["a", "b"]), derive(&["a", "b"]));
        assert_ne!(derive(&["a", "b"]), derive(&["ab"]));
        assert_ne!(derive(&["a", "bc"]), derive(&["ab", "c"]));
    }
}
