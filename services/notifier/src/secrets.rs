//! Secret references: a response plan names a `secretId`, never the secret itself; the value
//! comes from `TOCSIN_SECRETS_FILE`, a JSON object mapping ids to values (a string, or an
//! object such as the PagerDuty secret `{pagerDutyToken, pagerDutyServiceRegion,
//! pagerDutyFromEmail}`).
//!
//! The file is read at each lookup, so a rotated secret is used without a restart. Values are
//! [`SecretString`]s; errors name the id and the file, never a value.

use std::path::PathBuf;

use secrecy::SecretString;

/// Why a secret could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No `TOCSIN_SECRETS_FILE`.
    #[error("no secrets file is configured (TOCSIN_SECRETS_FILE) to resolve secret {0:?}")]
    NoFile(String),
    /// The file could not be read or is not a JSON object.
    #[error("secrets file {file}: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// What is wrong (never a value).
        reason: String,
    },
    /// The id is not in the file.
    #[error("secret {id:?} is not in {file}")]
    Missing {
        /// The id.
        id: String,
        /// The file.
        file: String,
    },
}

/// Resolves secret ids.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    file: Option<PathBuf>,
}

impl Secrets {
    /// Secrets from `file` (none: every lookup fails with [`SecretError::NoFile`]).
    pub fn new(file: Option<PathBuf>) -> Self {
        Self { file }
    }

    /// The value of `id`: a string value as is, any other JSON value as its JSON text.
    pub async fn get(&self, id: &str) -> Result<SecretString, SecretError> {
        let Some(file) = &self.file else {
            return Err(SecretError::NoFile(id.to_string()));
        };
        let shown = file.display().to_string();
        let unreadable = |reason: String| SecretError::Unreadable {
            file: shown.clone(),
            reason,
        };
        let text = tokio::fs::read_to_string(file)
            .await
            .map_err(|e| unreadable(e.kind().to_string()))?;
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            // serde_json's message names a line and column, not the text there.
            .map_err(|e| unreadable(format!("not a JSON object ({e})")))?;
        match map.get(id) {
            Some(serde_json::Value::String(s)) => Ok(SecretString::from(s.clone())),
            Some(other) => Ok(SecretString::from(other.to_string())),
            None => Err(SecretError::Missing {
                id: id.to_string(),
                file: shown,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[tokio::test]
    async fn values_resolve_and_errors_never_show_them() {
        let dir = std::env::temp_dir().join(format!("tocsin-secrets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("secrets.json");
        std::fs::write(
            &f,
            r#"{"plain": "hunter2", "pd": {"pagerDutyToken": "tok-hunter2"}}"#,
        )
        .unwrap();
        let s = Secrets::new(Some(f.clone()));
        assert_eq!(s.get("plain").await.unwrap().expose_secret(), "hunter2");
        assert!(
            s.get("pd")
                .await
                .unwrap()
                .expose_secret()
                .contains("tok-hunter2")
        );
        let e = s.get("nope").await.unwrap_err().to_string();
        assert!(e.contains("\"nope\"") && !e.contains("hunter2"), "{e}");
        std::fs::write(&f, "{\"plain\": \"hunter2\"").unwrap();
        let e = s.get("plain").await.unwrap_err().to_string();
        assert!(
            e.contains("not a JSON object") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(matches!(
            Secrets::default().get("x").await,
            Err(SecretError::NoFile(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
