//! The URLs Tocsin puts in what it sends, pointing back at [`crate::inbound`]: the one-click
//! acknowledge link of mails and texts, the voice page's key-press callback and the provider's
//! status callback.
//!
//! An acknowledge link is `<TOCSIN_PUBLIC_URL>/v1/inbound/ack/<page id>?code=<accept code>`
//! and, with `TOCSIN_LINK_SECRET`, `&sig=<hex HMAC-SHA256(secret, "<page id>.<code>")>`: the
//! signature proves the link was made by this deployment, so a guessed code alone does not
//! acknowledge a page. The page id is the last segment of the page ARN.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use tocsin_runtime::Settings;

/// Path prefix of every inbound route.
pub const INBOUND: &str = "/v1/inbound";

/// Builds and checks the links of one deployment.
#[derive(Clone, Default)]
pub struct Links {
    public_url: Option<String>,
    secret: Option<SecretString>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links")
            .field("public_url", &self.public_url)
            .field("signed", &self.secret.is_some())
            .finish()
    }
}

impl Links {
    /// The links `settings` make (`TOCSIN_PUBLIC_URL`, `TOCSIN_LINK_SECRET`).
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            public_url: settings.public_url.clone(),
            secret: settings.link_secret.clone(),
        }
    }

    /// `TOCSIN_PUBLIC_URL`, if set.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// `<public url><path>`, if a public URL is set.
    pub fn absolute(&self, path: &str) -> Option<String> {
        Some(format!("{}{path}", self.public_url.as_deref()?))
    }

    /// The one-click acknowledge link of a page.
    pub fn ack(&self, page_id: &str, code: &str) -> Option<String> {
        self.signed(&format!("{INBOUND}/ack/{page_id}"), page_id, code)
    }

    /// Where the voice page posts the key pressed.
    pub fn voice_gather(&self, page_id: &str, code: &str) -> Option<String> {
        self.signed(&format!("{INBOUND}/twilio/voice/{page_id}"), page_id, code)
    }

    /// Where the provider reports a message's or call's status.
    pub fn provider_status(&self, page_id: &str) -> Option<String> {
        self.absolute(&format!("{INBOUND}/twilio/status/{page_id}"))
    }

    /// Whether `sig` signs (`page_id`, `code`); always true without a link secret (the code
    /// is then checked alone).
    pub fn verify(&self, page_id: &str, code: &str, sig: Option<&str>) -> bool {
        let Some(secret) = &self.secret else {
            return true;
        };
        let Some(sig) = sig.and_then(|s| hex::decode(s).ok()) else {
            return false;
        };
        mac(secret, page_id, code).verify_slice(&sig).is_ok()
    }

    fn signed(&self, path: &str, page_id: &str, code: &str) -> Option<String> {
        let base = self.absolute(path)?;
        let mut url = reqwest::Url::parse(&base).ok()?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("code", code);
            if let Some(secret) = &self.secret {
                q.append_pair(
                    "sig",
                    &hex::encode(mac(secret, page_id, code).finalize().into_bytes()),
                );
            }
        }
        Some(url.into())
    }
}

fn mac(secret: &SecretString, page_id: &str, code: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    m.update(page_id.as_bytes());
    m.update(b".");
    m.update(code.as_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(secret: Option<&str>) -> Links {
        Links {
            public_url: Some("https://t.example".into()),
            secret: secret.map(|s| SecretString::from(s.to_string())),
        }
    }

    #[test]
    fn signed_links_verify_and_tampering_does_not() {
        let l = links(Some("link-secret-0123456789"));
        let url = l.ack("p-1", "12 34&5").unwrap();
        assert!(
            url.starts_with("https://t.example/v1/inbound/ack/p-1?code=12+34%265&sig="),
            "{url}"
        );
        let sig = url.rsplit("sig=").next().unwrap();
        assert!(l.verify("p-1", "12 34&5", Some(sig)));
        assert!(!l.verify("p-2", "12 34&5", Some(sig)));
        assert!(!l.verify("p-1", "999999", Some(sig)));
        assert!(!l.verify("p-1", "12 34&5", None));
        assert!(!format!("{l:?}").contains("link-secret"));
    }

    #[test]
    fn without_a_secret_links_carry_the_code_only_and_without_a_url_none() {
        let l = links(None);
        assert_eq!(
            l.ack("p-1", "472913").as_deref(),
            Some("https://t.example/v1/inbound/ack/p-1?code=472913")
        );
        assert!(l.verify("p-1", "472913", None));
        assert_eq!(Links::default().ack("p-1", "1"), None);
        assert_eq!(
            l.provider_status("p-1").as_deref(),
            Some("https://t.example/v1/inbound/twilio/status/p-1")
        );
    }
}
