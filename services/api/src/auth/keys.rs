//! The access keys of the AWS-protocol API: each maps to an account and IAM policies.
//!
//! Two sources: `TOCSIN_AWS_CREDENTIALS` and the dev pair (administrators, as before), and the
//! keys file `TOCSIN_KEYS_FILE` (TOML), one table per access key id:
//!
//! ```toml
//! [keys.AKIDTEAMBRESOLVER01]
//! account = "210987654321"
//! secret_env = "TEAM_B_RESOLVER_SECRET"   # or secret_file = "/run/secrets/b", or secret = "..."
//! policy = "resolver"                     # a built-in name, an inline document, or a list
//! ```
//!
//! Accounts may be placed in an organisation, for resource policies that share with a whole
//! organisation or organisational unit (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`); this
//! applies to every key of the account, those of `TOCSIN_AWS_CREDENTIALS` included:
//!
//! ```toml
//! [accounts.210987654321]
//! organization = "o-a1b2c3d4e5"
//! org_path = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"   # optional
//! ```
//!
//! Errors name the key and the field, never a secret. The loaded set is swapped whole on
//! reload ([`KeyRing::replace`]), so a request sees the old keys or the new ones.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use figment::Figment;
use figment::providers::{Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use tocsin_runtime::Settings;

use super::builtin;
use super::policy::{Kind, Policy};

/// Why the keys could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    /// The file could not be read or is not TOML of the expected shape.
    #[error("keys file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// One entry broke a rule.
    #[error("keys file {path}: key {key}: {field}: {rule}")]
    Entry {
        /// The file.
        path: String,
        /// Access key id of the entry.
        key: String,
        /// The field at fault (`account`, `secret_env`, `policy[1].Statement[0].Action`, ...).
        field: String,
        /// The rule.
        rule: String,
    },
}

/// One access key.
pub struct Key {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never logged).
    pub secret: SecretString,
    /// The account the key acts in.
    pub account: String,
    /// Its identity policies.
    pub policies: Vec<Policy>,
    /// The organisation the account is in, if any.
    pub org: Option<Org>,
}

/// An account's place in an organisation (the keys file's `[accounts.<id>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// `o-` and 10–32 lowercase letters or digits.
    pub id: String,
    /// `<org>/r-<root>/ou-.../` down to the account's unit, if given.
    pub path: Option<String>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .field("policies", &self.policies.len())
            .finish_non_exhaustive()
    }
}

/// The keys by access key id.
#[derive(Debug, Default)]
pub struct Keys {
    by_id: HashMap<String, Arc<Key>>,
}

impl Keys {
    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Key>> {
        self.by_id.get(id).cloned()
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The keys of `settings`: its credentials as administrators, then the keys file.
    pub fn load(settings: &Settings) -> Result<Self, KeysError> {
        Self::load_with(settings, &|name| std::env::var(name).ok())
    }

    /// [`Keys::load`] with `env` answering `secret_env` lookups (tests).
    pub fn load_with(
        settings: &Settings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, KeysError> {
        let (file_keys, orgs) = match &settings.keys_file {
            Some(path) => read_file(path, env)?,
            None => Default::default(),
        };
        let mut keys = Keys::default();
        for c in &settings.aws_credentials {
            keys.by_id.insert(
                c.access_key_id.clone(),
                Arc::new(Key {
                    access_key_id: c.access_key_id.clone(),
                    secret: c.secret_access_key.clone(),
                    account: c.account_id.clone(),
                    policies: vec![builtin::administrator()],
                    org: orgs.get(&c.account_id).cloned(),
                }),
            );
        }
        if let Some(path) = &settings.keys_file {
            for key in file_keys {
                if keys.by_id.contains_key(&key.access_key_id) {
                    return Err(KeysError::Entry {
                        path: path.display().to_string(),
                        key: key.access_key_id,
                        field: "access key id".into(),
                        rule:
                            "is also configured in TOCSIN_AWS_CREDENTIALS or TOCSIN_ACCESS_KEY_ID"
                                .into(),
                    });
                }
                keys.by_id.insert(key.access_key_id.clone(), Arc::new(key));
            }
        }
        Ok(keys)
    }
}

/// The current keys, shared by the request handlers and swapped on reload.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    current: Arc<RwLock<Arc<Keys>>>,
}

impl KeyRing {
    /// A ring holding `keys`.
    pub fn new(keys: Keys) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(keys))),
        }
    }

    /// The keys now.
    pub fn keys(&self) -> Arc<Keys> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the keys.
    pub fn replace(&self, keys: Keys) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
    }
}

/// The file as TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    keys: std::collections::BTreeMap<String, RawKey>,
    #[serde(default)]
    accounts: std::collections::BTreeMap<String, RawAccount>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    organization: String,
    org_path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    account: Option<String>,
    secret: Option<String>,
    secret_env: Option<String>,
    secret_file: Option<String>,
    policy: Option<Value>,
}

/// The keys of the file, and the organisation of each account it places in one.
type FileKeys = (Vec<Key>, HashMap<String, Org>);

fn read_file(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<FileKeys, KeysError> {
    let shown = path.display().to_string();
    let file_err = |message: String| KeysError::File {
        path: shown.clone(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
    let raw: RawFile = Figment::from(Toml::string(&text))
        .extract()
        .map_err(|e| file_err(e.to_string()))?;
    let orgs = raw
        .accounts
        .into_iter()
        .map(|(account, a)| {
            org(&account, a)
                .map(|o| (account.clone(), o))
                .map_err(|(field, rule)| KeysError::Entry {
                    path: shown.clone(),
                    key: format!("(account {account})"),
                    field: field.into(),
                    rule,
                })
        })
        .collect::<Result<HashMap<_, _>, _>>()?;
    let mut keys: Vec<Key> = raw
        .keys
        .into_iter()
        .map(|(id, k)| entry(&shown, path, id, k, env))
        .collect::<Result<_, _>>()?;
    for key in &mut keys {
        key.org = orgs.get(&key.account).cloned();
    }
    Ok((keys, orgs))
}

/// Checks one `[accounts.<id>]` table: the field at fault and the rule, else the organisation.
fn org(account: &str, raw: RawAccount) -> Result<Org, (&'static str, String)> {
    if !is_account(account) {
        return Err(("account", format!("must be 12 digits, got {account:?}")));
    }
    let id = raw.organization;
    let ok_id = id.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if !ok_id {
        return Err((
            "organization",
            format!("must be o- and 10-32 lowercase letters or digits, got {id:?}"),
        ));
    }
    if let Some(p) = &raw.org_path {
        let segments: Vec<&str> = p.trim_end_matches('/').split('/').collect();
        let ok_path = p.ends_with('/')
            && segments.first() == Some(&id.as_str())
            && segments.get(1).is_some_and(|r| r.starts_with("r-"))
            && segments[2..].iter().all(|ou| ou.starts_with("ou-"));
        if !ok_path {
            return Err((
                "org_path",
                format!("must be {id}/r-<root>/[ou-<unit>/...], ending with /, got {p:?}"),
            ));
        }
    }
    Ok(Org {
        id,
        path: raw.org_path,
    })
}

fn is_account(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

fn entry(
    shown: &str,
    path: &Path,
    id: String,
    raw: RawKey,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Key, KeysError> {
    let bad = |field: &str, rule: String| KeysError::Entry {
        path: shown.to_string(),
        key: id.clone(),
        field: field.to_string(),
        rule,
    };
    if !((16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err(bad(
            "access key id",
            "must be 16-128 letters and digits".into(),
        ));
    }
    let account = raw
        .account
        .ok_or_else(|| bad("account", "is required".into()))?;
    if !is_account(&account) {
        return Err(bad(
            "account",
            format!("must be 12 digits, got {account:?}"),
        ));
    }
    let secret = match (raw.secret, raw.secret_env, raw.secret_file) {
        (Some(s), None, None) => ("secret", s),
        (None, Some(var), None) => (
            "secret_env",
            env(&var).ok_or_else(|| bad("secret_env", format!("{var} is not set")))?,
        ),
        (None, None, Some(f)) => {
            // A relative path is relative to the keys file.
            let file = path.parent().unwrap_or(Path::new(".")).join(&f);
            let text = std::fs::read_to_string(&file).map_err(|e| {
                bad(
                    "secret_file",
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            ("secret_file", text.trim().to_string())
        }
        _ => {
            return Err(bad(
                "secret",
                "give exactly one of secret, secret_env, secret_file".into(),
            ));
        }
    };
    let (field, secret) = secret;
    if secret.len() < 16 || secret.contains(char::is_whitespace) {
        return Err(bad(
            field,
            "the secret must be at least 16 characters without spaces".into(),
        ));
    }
    let policy = raw.policy.ok_or_else(|| {
        bad(
            "policy",
            "is required (a built-in name, a document or a list)".into(),
        )
    })?;
    let items = match policy {
        Value::Array(a) if !a.is_empty() => a,
        Value::Array(_) => return Err(bad("policy", "the list is empty".into())),
        one => vec![one],
    };
    let policies = items
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let field = if items.len() == 1 {
                "policy".to_string()
            } else {
                format!("policy[{i}]")
            };
            one_policy(p).map_err(|rule| bad(&field, rule))
        })
        .collect::<Result<_, _>>()?;
    Ok(Key {
        access_key_id: id.clone(),
        secret: secret.into(),
        account,
        policies,
        org: None,
    })
}

/// A built-in name, a JSON document given as text, or an inline document (a TOML table).
fn one_policy(p: &Value) -> Result<Policy, String> {
    match p {
        Value::String(s) if s.trim_start().starts_with('{') => {
            Policy::parse_str(s, Kind::Identity).map_err(|e| e.to_string())
        }
        Value::String(name) => builtin::named(name).ok_or_else(|| {
            format!(
                "unknown built-in policy {name:?} (one of {}, or aliases administrator, resolver, read-only)",
                builtin::NAMES.join(", ")
            )
        }),
        doc @ Value::Object(_) => Policy::parse(doc, Kind::Identity).map_err(|e| e.to_string()),
        _ => Err("must be a built-in name or a policy document".into()),
    }
}

/// A secret's text, for SigV4 (the only place it is exposed).
pub fn secret_text(key: &Key) -> String {
    key.secret.expose_secret().to_string()
}
