//! Standard Webhooks signatures (<https://www.standardwebhooks.com>, "Signature scheme"):
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`.
//!
//! The secret is given as `whsec_<base64>` (the spec's serialisation: the key is the decoded
//! bytes, what every Standard Webhooks library expects) or as any other text, whose UTF-8
//! bytes are the key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signs webhook bodies with one symmetric key.
#[derive(Clone)]
pub(crate) struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(****)")
    }
}

impl Signer {
    /// A signer for `secret`; `Err` when a `whsec_` secret is not base64.
    pub(crate) fn new(secret: &str) -> Result<Self, String> {
        let key = match secret.strip_prefix("whsec_") {
            Some(b64) => STANDARD
                .decode(b64)
                .map_err(|_| "a whsec_ secret must be base64 after the prefix".to_string())?,
            None => secret.as_bytes().to_vec(),
        };
        if key.is_empty() {
            return Err("the webhook secret is empty".into());
        }
        Ok(Self { key })
    }

    /// The `webhook-signature` value of `body` sent as message `id` at `timestamp` (Unix
    /// seconds).
    pub(crate) fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::Signer;

    #[test]
    fn reproduces_the_published_test_vector() {
        // The vector every Standard Webhooks reference library tests against.
        let signer = Signer::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            signer.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn plain_text_secrets_are_their_bytes_and_bad_whsec_is_refused() {
        let a = Signer::new("correct horse battery staple").unwrap();
        assert!(a.sign("id", 1, b"{}").starts_with("v1,"));
        assert!(Signer::new("whsec_***").is_err());
        assert!(Signer::new("").is_err());
        assert_eq!(format!("{a:?}"), "Signer(****)");
    }
}
