//! Typed, layered, validated configuration: defaults → optional TOML file → `TOCSIN_*`
//! environment. Every service reads the same [`Settings`]; a bad value stops the process at
//! start with a message naming the variable and the rule (exit code 64).
//!
//! The environment names are a public contract (see the README's configuration reference).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Environment keys (after the `TOCSIN_` prefix) that configure Tocsin; others are ignored so
/// that unrelated `TOCSIN_*` variables (tests, wrappers) never break a start.
pub const KEYS: &[&str] = &[
    "amqp_url",
    "redis_url",
    "region",
    "account_id",
    "api_addr",
    "api_token",
    "namespace",
    "health_addr",
    "prefetch",
    "max_alarm_bytes",
    "log",
    "log_format",
    "shutdown_grace_secs",
    "webhook_timeout_ms",
    "send_attempts",
    "public_url",
    "webhook_secret",
    "smtp_url",
    "smtp_from",
    "sms_provider_url",
    "sms_account_sid",
    "sms_auth_token",
    "sms_from",
    "notifier_concurrency",
    "notifier_breaker_failures",
    "notifier_breaker_cooldown_secs",
    "ingest_addr",
    "ingest_rate_per_minute",
    "amqp_publishers",
    "aws_credentials",
    "keys_file",
    "audit_max_events",
    "access_key_id",
    "secret_access_key",
    "pagerduty_url",
    "secrets_file",
    "notification_targets",
    "slack_signing_secret",
    "link_secret",
    "throttle_email",
    "throttle_sms",
    "throttle_voice",
    "throttle_webhook",
];

/// A configuration error, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value broke a rule.
    #[error("TOCSIN_{key}: {rule}")]
    Invalid {
        /// Upper-case key without the prefix.
        key: String,
        /// What is wrong.
        rule: String,
    },
    /// The file or environment could not be read or did not have the right types.
    #[error("configuration: {0}")]
    Source(String),
}

/// The `TOCSIN_*` variables among `vars`, as strings. Figment's own environment provider
/// guesses types (`TOCSIN_ACCOUNT_ID=012345678901` would become a number and lose its zero), so
/// values stay text here and numeric settings parse text themselves.
pub fn env_layer(
    vars: impl Iterator<Item = (String, String)>,
) -> std::collections::BTreeMap<String, String> {
    vars.filter_map(|(k, v)| {
        let key = k.strip_prefix("TOCSIN_")?.to_ascii_lowercase();
        KEYS.contains(&key.as_str()).then_some((key, v))
    })
    .collect()
}

/// A number given as a number (TOML) or as text (environment).
fn num<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr + TryFrom<u64>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(u64),
        Text(String),
    }
    match NumOrText::deserialize(d)? {
        NumOrText::Num(n) => {
            T::try_from(n).map_err(|_| serde::de::Error::custom(format!("{n} is out of range")))
        }
        NumOrText::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{t:?} is not a whole number"))),
    }
}

/// Raw layered values, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default = "d_amqp")]
    amqp_url: String,
    #[serde(default = "d_redis")]
    redis_url: String,
    #[serde(default = "d_region")]
    region: String,
    #[serde(default = "d_account")]
    account_id: String,
    #[serde(default = "d_api_addr")]
    api_addr: String,
    #[serde(default)]
    api_token: Option<String>,
    #[serde(default = "d_namespace")]
    namespace: String,
    #[serde(default)]
    health_addr: Option<String>,
    #[serde(default = "d_prefetch", deserialize_with = "num")]
    prefetch: u32,
    #[serde(default = "d_max_alarm", deserialize_with = "num")]
    max_alarm_bytes: u64,
    #[serde(default = "d_log")]
    log: String,
    #[serde(default = "d_log_format")]
    log_format: String,
    #[serde(default = "d_grace", deserialize_with = "num")]
    shutdown_grace_secs: u64,
    #[serde(default = "d_webhook_timeout", deserialize_with = "num")]
    webhook_timeout_ms: u64,
    #[serde(default = "d_send_attempts", deserialize_with = "num")]
    send_attempts: u32,
    #[serde(default)]
    public_url: Option<String>,
    #[serde(default)]
    webhook_secret: Option<String>,
    #[serde(default)]
    smtp_url: Option<String>,
    #[serde(default = "d_smtp_from")]
    smtp_from: String,
    #[serde(default)]
    sms_provider_url: Option<String>,
    #[serde(default)]
    sms_account_sid: Option<String>,
    #[serde(default)]
    sms_auth_token: Option<String>,
    #[serde(default)]
    sms_from: Option<String>,
    #[serde(default = "d_notifier_concurrency", deserialize_with = "num")]
    notifier_concurrency: u32,
    #[serde(default = "d_breaker_failures", deserialize_with = "num")]
    notifier_breaker_failures: u32,
    #[serde(default = "d_breaker_cooldown", deserialize_with = "num")]
    notifier_breaker_cooldown_secs: u64,
    #[serde(default = "d_ingest_addr")]
    ingest_addr: String,
    #[serde(default = "d_ingest_rate", deserialize_with = "num")]
    ingest_rate_per_minute: u32,
    #[serde(default)]
    amqp_publishers: Option<String>,
    #[serde(default)]
    aws_credentials: Option<String>,
    #[serde(default)]
    keys_file: Option<String>,
    #[serde(default = "d_audit_max_events", deserialize_with = "num")]
    audit_max_events: u64,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    secret_access_key: Option<String>,
    #[serde(default = "d_pagerduty_url")]
    pagerduty_url: String,
    #[serde(default)]
    secrets_file: Option<String>,
    #[serde(default)]
    notification_targets: Option<String>,
    #[serde(default)]
    slack_signing_secret: Option<String>,
    #[serde(default)]
    link_secret: Option<String>,
    #[serde(default = "d_throttle_email")]
    throttle_email: String,
    #[serde(default = "d_throttle_sms")]
    throttle_sms: String,
    #[serde(default = "d_throttle_voice")]
    throttle_voice: String,
    #[serde(default = "d_throttle_webhook")]
    throttle_webhook: String,
}

fn d_amqp() -> String {
    "amqp://guest:guest@127.0.0.1:5672/%2f".into()
}
fn d_redis() -> String {
    "redis://127.0.0.1:6379/0".into()
}
fn d_region() -> String {
    "us-east-1".into()
}
fn d_account() -> String {
    "123456789012".into()
}
fn d_api_addr() -> String {
    "127.0.0.1:8080".into()
}
fn d_namespace() -> String {
    "tocsin".into()
}
fn d_prefetch() -> u32 {
    32
}
fn d_max_alarm() -> u64 {
    256 * 1024
}
fn d_log() -> String {
    "info".into()
}
fn d_log_format() -> String {
    "text".into()
}
fn d_grace() -> u64 {
    20
}
fn d_webhook_timeout() -> u64 {
    10_000
}
fn d_send_attempts() -> u32 {
    8
}
fn d_smtp_from() -> String {
    "Tocsin <tocsin@localhost>".into()
}
fn d_notifier_concurrency() -> u32 {
    16
}
fn d_breaker_failures() -> u32 {
    5
}
fn d_breaker_cooldown() -> u64 {
    30
}
fn d_ingest_addr() -> String {
    "127.0.0.1:8090".into()
}
fn d_ingest_rate() -> u32 {
    600
}
fn d_pagerduty_url() -> String {
    "https://api.pagerduty.com".into()
}
fn d_throttle_email() -> String {
    "20/15m".into()
}
fn d_throttle_sms() -> String {
    "10/15m".into()
}
fn d_throttle_voice() -> String {
    "3/15m".into()
}
fn d_throttle_webhook() -> String {
    "off".into()
}
fn d_audit_max_events() -> u64 {
    20_000
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Validated settings of a Tocsin process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `TOCSIN_AMQP_URL`: RabbitMQ (credentials inside: secret).
    pub amqp_url: SecretString,
    /// `TOCSIN_REDIS_URL`: Redis (may hold a password: secret).
    pub redis_url: SecretString,
    /// `TOCSIN_REGION`: region of this deployment.
    pub region: String,
    /// `TOCSIN_ACCOUNT_ID`: the account this deployment serves (12 digits).
    pub account_id: String,
    /// `TOCSIN_API_ADDR`: where the API listens.
    pub api_addr: SocketAddr,
    /// `TOCSIN_API_TOKEN`: bearer token of the native API (none = native API refuses all).
    pub api_token: Option<SecretString>,
    /// `TOCSIN_NAMESPACE`: prefix of every Redis key (several deployments per Redis).
    pub namespace: String,
    /// `TOCSIN_HEALTH_ADDR`: where a worker serves `/healthz` and `/readyz` (none = off).
    pub health_addr: Option<SocketAddr>,
    /// `TOCSIN_PREFETCH`: unacked deliveries per consumer (1–1000).
    pub prefetch: u16,
    /// `TOCSIN_MAX_ALARM_BYTES`: larger alarms are dead-lettered.
    pub max_alarm_bytes: usize,
    /// `TOCSIN_LOG`: tracing filter (`info`, `tocsin_ingest=debug,info`, ...).
    pub log: String,
    /// `TOCSIN_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `TOCSIN_SHUTDOWN_GRACE_SECS`: how long in-flight work may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// `TOCSIN_WEBHOOK_TIMEOUT_MS`: deadline of one webhook delivery.
    pub webhook_timeout: Duration,
    /// `TOCSIN_SEND_ATTEMPTS`: deliveries of one page before it is reported failed.
    pub send_attempts: u32,
    /// `TOCSIN_PUBLIC_URL`: where people and providers reach this deployment's API (acknowledge
    /// links in pages, provider status callbacks); none = pages carry no link. No trailing `/`.
    pub public_url: Option<String>,
    /// `TOCSIN_WEBHOOK_SECRET`: Standard Webhooks signing secret (`whsec_<base64>`, or any other
    /// text used as the key bytes); none = webhooks are not signed.
    pub webhook_secret: Option<SecretString>,
    /// `TOCSIN_SMTP_URL`: the SMTP relay of EMAIL pages (`smtp://host:port`,
    /// `smtp://host?tls=required` for STARTTLS, `smtps://user:pass@host` for implicit TLS; may
    /// hold a password: secret); none = mails are logged, not sent.
    pub smtp_url: Option<SecretString>,
    /// `TOCSIN_SMTP_FROM`: sender of EMAIL pages (`Name <address>` or `address`).
    pub smtp_from: String,
    /// `TOCSIN_SMS_PROVIDER_URL`: base URL of the SMS and voice provider API (Twilio's shape,
    /// e.g. `https://api.twilio.com`); none = SMS and VOICE pages fail. No trailing `/`.
    pub sms_provider_url: Option<String>,
    /// `TOCSIN_SMS_ACCOUNT_SID`: provider account (required with a provider URL).
    pub sms_account_sid: Option<String>,
    /// `TOCSIN_SMS_AUTH_TOKEN`: provider token (required with a provider URL; secret).
    pub sms_auth_token: Option<SecretString>,
    /// `TOCSIN_SMS_FROM`: sender number of SMS and voice pages (required with a provider URL).
    pub sms_from: Option<String>,
    /// `TOCSIN_NOTIFIER_CONCURRENCY`: calls in flight per notifier driver (1–1000).
    pub notifier_concurrency: usize,
    /// `TOCSIN_NOTIFIER_BREAKER_FAILURES`: consecutive transient failures that open a driver's
    /// circuit (1–1000).
    pub notifier_breaker_failures: u32,
    /// `TOCSIN_NOTIFIER_BREAKER_COOLDOWN_SECS`: how long an open circuit fails sends fast before
    /// one probe goes through (1–3600).
    pub notifier_breaker_cooldown: Duration,
    /// `TOCSIN_INGEST_ADDR`: where the ingest HTTP endpoints listen (`off`: not served).
    pub ingest_addr: Option<SocketAddr>,
    /// `TOCSIN_INGEST_RATE_PER_MINUTE`: requests per minute per integration key (bursts too).
    pub ingest_rate_per_minute: u32,
    /// `TOCSIN_AMQP_PUBLISHERS`: broker users publishing alarms for another account than
    /// `TOCSIN_ACCOUNT_ID`, comma-separated `USER=ACCOUNT_ID`. An alarm's account is the one
    /// mapped to its broker-validated `user_id`; otherwise the vhost's (`TOCSIN_ACCOUNT_ID`).
    pub amqp_publishers: std::collections::BTreeMap<String, String>,
    /// `TOCSIN_AWS_CREDENTIALS`: the access keys of the AWS-protocol API, comma-separated
    /// `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:ACCOUNT_ID]` (secret); none = that API refuses all.
    pub aws_credentials: Vec<AwsCredential>,
    /// `TOCSIN_KEYS_FILE`: a TOML file of AWS-API access keys, each with its account and IAM
    /// policies (see the README, "Access control and audit"); read and validated by the API at
    /// start and again on SIGHUP or when the file changes. None = only the keys above.
    pub keys_file: Option<std::path::PathBuf>,
    /// `TOCSIN_AUDIT_MAX_EVENTS`: audit events kept per account (the Redis stream is trimmed
    /// to about this many; 100–10000000).
    pub audit_max_events: u64,
    /// `TOCSIN_PAGERDUTY_URL`: base URL of the PagerDuty REST API (response plans with a
    /// `pagerDutyConfiguration`). No trailing `/`.
    pub pagerduty_url: String,
    /// `TOCSIN_SECRETS_FILE`: a JSON file mapping secret ids (a plan's `secretId`) to secret
    /// values (for PagerDuty, the JSON `{pagerDutyToken, pagerDutyServiceRegion,
    /// pagerDutyFromEmail}`); none = integrations needing a secret fail. Read by the notifier;
    /// its contents are never logged.
    pub secrets_file: Option<std::path::PathBuf>,
    /// `TOCSIN_NOTIFICATION_TARGETS`: a JSON file mapping the SNS topic ARNs of incidents'
    /// `notificationTargets` to signed webhooks (`{"<topic ARN>": {"url": "...", "secret":
    /// "whsec_..."}}`); topics missing here are looked up in `TOCSIN_SECRETS_FILE`. Read by
    /// the notifier at each delivery; none = only the secrets file.
    pub notification_targets: Option<std::path::PathBuf>,
    /// `TOCSIN_SLACK_SIGNING_SECRET`: Slack app signing secret verifying slash commands
    /// (secret); none = slash commands are refused.
    pub slack_signing_secret: Option<SecretString>,
    /// `TOCSIN_LINK_SECRET`: key signing the one-click acknowledge links of pages (secret, at
    /// least 16 characters); none = links carry only the accept code.
    pub link_secret: Option<SecretString>,
    /// `TOCSIN_THROTTLE_{EMAIL,SMS,VOICE,WEBHOOK}`: most pages per contact channel per window
    /// (`<count>/<window>` with the window in `s`, `m` or `h`, e.g. `3/15m`; `off` = none).
    /// Throttled pages are delayed, never dropped.
    pub throttles: Throttles,
}

/// Per-contact-channel page limits by channel type (`None`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttles {
    /// `TOCSIN_THROTTLE_EMAIL` (default 20 per 15 minutes).
    pub email: Option<Throttle>,
    /// `TOCSIN_THROTTLE_SMS` (default 10 per 15 minutes).
    pub sms: Option<Throttle>,
    /// `TOCSIN_THROTTLE_VOICE` (default 3 per 15 minutes).
    pub voice: Option<Throttle>,
    /// `TOCSIN_THROTTLE_WEBHOOK` (default off).
    pub webhook: Option<Throttle>,
}

/// At most `count` sends per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Sends allowed in any window.
    pub count: u32,
    /// The sliding window.
    pub window: Duration,
}

/// Parses `<count>/<window>` (`3/15m`, `10/900s`, `1/1h`) or `off`.
pub fn parse_throttle(v: &str) -> Result<Option<Throttle>, String> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || format!("must be <count>/<window> like 3/15m (s, m or h) or off, got {v:?}");
    let (count, window) = v.split_once('/').ok_or_else(bad)?;
    let count: u32 = count.trim().parse().map_err(|_| bad())?;
    let window = window.trim();
    let (n, unit) = window.split_at(window.len().saturating_sub(1));
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(bad()),
    };
    if !(1..=10_000).contains(&count) || !(1..=86_400).contains(&secs) {
        return Err(format!(
            "count must be 1-10000 and the window 1s-24h, got {v:?}"
        ));
    }
    Ok(Some(Throttle {
        count,
        window: Duration::from_secs(secs),
    }))
}

/// One SigV4 access key of the AWS-protocol API and the only account it sees.
#[derive(Debug, Clone)]
pub struct AwsCredential {
    /// Access key id (`Credential=<id>/...` in a signed request).
    pub access_key_id: String,
    /// Secret access key (never logged).
    pub secret_access_key: SecretString,
    /// Account of every record the key reads or writes (12 digits).
    pub account_id: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_figment(Figment::new())
            .unwrap_or_else(|e| unreachable!("defaults are valid: {e}"))
    }
}

impl Settings {
    /// Loads defaults, then `file` if given, then the `TOCSIN_*` environment, and validates.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::new();
        if let Some(f) = file {
            if !f.exists() {
                return Err(ConfigError::Source(format!(
                    "config file {} does not exist",
                    f.display()
                )));
            }
            fig = fig.merge(Toml::file(f));
        }
        Self::from_figment(fig.merge(Serialized::defaults(env_layer(std::env::vars()))))
    }

    /// Validates whatever `figment` holds (tests build one from literal values).
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let raw: Raw = figment.extract().map_err(|e| match e.path.last() {
            Some(key) => invalid(key, e.kind.to_string()),
            None => ConfigError::Source(e.to_string()),
        })?;
        raw.validate()
    }

    /// The AMQP URL with its password hidden, for logs.
    pub fn amqp_url_redacted(&self) -> String {
        redact(self.amqp_url.expose_secret())
    }

    /// The SMTP relay URL with its password hidden, for logs.
    pub fn smtp_url_redacted(&self) -> Option<String> {
        self.smtp_url.as_ref().map(|u| redact(u.expose_secret()))
    }
}

fn invalid(key: &str, rule: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_uppercase(),
        rule: rule.into(),
    }
}

fn addr(key: &str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.parse().map_err(|_| {
        invalid(
            key,
            format!("must be a socket address like 127.0.0.1:8080, got {v:?}"),
        )
    })
}

impl Raw {
    fn validate(self) -> Result<Settings, ConfigError> {
        if !(self.amqp_url.starts_with("amqp://") || self.amqp_url.starts_with("amqps://")) {
            return Err(invalid(
                "amqp_url",
                format!(
                    "must start with amqp:// or amqps://, got {:?}",
                    redact(&self.amqp_url)
                ),
            ));
        }
        if !(self.redis_url.starts_with("redis://") || self.redis_url.starts_with("rediss://")) {
            return Err(invalid(
                "redis_url",
                format!(
                    "must start with redis:// or rediss://, got {:?}",
                    redact(&self.redis_url)
                ),
            ));
        }
        if !(self.account_id.len() == 12 && self.account_id.bytes().all(|b| b.is_ascii_digit())) {
            return Err(invalid(
                "account_id",
                format!("must be 12 digits, got {:?}", self.account_id),
            ));
        }
        let region_ok = !self.region.is_empty()
            && self.region.len() <= 32
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(invalid(
                "region",
                format!(
                    "must be lower-case letters, digits and dashes (like us-east-1), got {:?}",
                    self.region
                ),
            ));
        }
        let ns_ok = !self.namespace.is_empty()
            && self.namespace.len() <= 64
            && !self.namespace.contains(['{', '}', ':', ' ']);
        if !ns_ok {
            return Err(invalid(
                "namespace",
                "must be 1-64 characters without braces, colons or spaces",
            ));
        }
        if !(1..=1000).contains(&self.prefetch) {
            return Err(invalid(
                "prefetch",
                format!("must be between 1 and 1000, got {}", self.prefetch),
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.max_alarm_bytes) {
            return Err(invalid(
                "max_alarm_bytes",
                "must be between 1024 and 67108864",
            ));
        }
        let log_format = match self.log_format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid(
                    "log_format",
                    format!("must be text or json, got {other:?}"),
                ));
            }
        };
        if self.api_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err(invalid("api_token", "must be at least 16 characters"));
        }
        if !(1..=100).contains(&self.send_attempts) {
            return Err(invalid("send_attempts", "must be between 1 and 100"));
        }
        if !(100..=300_000).contains(&self.webhook_timeout_ms) {
            return Err(invalid(
                "webhook_timeout_ms",
                "must be between 100 and 300000",
            ));
        }
        self.validate_notifier()?;
        if !(1..=1_000_000).contains(&self.ingest_rate_per_minute) {
            return Err(invalid(
                "ingest_rate_per_minute",
                "must be between 1 and 1000000",
            ));
        }
        let aws_credentials = self.aws_credentials()?;
        if !(100..=10_000_000).contains(&self.audit_max_events) {
            return Err(invalid(
                "audit_max_events",
                "must be between 100 and 10000000",
            ));
        }
        if self.keys_file.as_deref().is_some_and(str::is_empty) {
            return Err(invalid("keys_file", "must be a path when set"));
        }
        let amqp_publishers = self.amqp_publishers()?;
        let throttles = self.throttles()?;
        let ingest_addr = match self.ingest_addr.as_str() {
            "" | "off" => None,
            a => Some(addr("ingest_addr", a)?),
        };
        Ok(Settings {
            aws_credentials,
            keys_file: self.keys_file.map(std::path::PathBuf::from),
            audit_max_events: self.audit_max_events,
            amqp_publishers,
            ingest_addr,
            ingest_rate_per_minute: self.ingest_rate_per_minute,
            api_addr: addr("api_addr", &self.api_addr)?,
            health_addr: self
                .health_addr
                .as_deref()
                .map(|a| addr("health_addr", a))
                .transpose()?,
            amqp_url: self.amqp_url.into(),
            redis_url: self.redis_url.into(),
            region: self.region,
            account_id: self.account_id,
            api_token: self.api_token.map(Into::into),
            namespace: self.namespace,
            prefetch: self.prefetch as u16,
            max_alarm_bytes: self.max_alarm_bytes as usize,
            log: self.log,
            log_format,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            webhook_timeout: Duration::from_millis(self.webhook_timeout_ms),
            send_attempts: self.send_attempts,
            public_url: self.public_url.map(|u| u.trim_end_matches('/').to_string()),
            webhook_secret: self.webhook_secret.map(Into::into),
            smtp_url: self.smtp_url.map(Into::into),
            smtp_from: self.smtp_from,
            sms_provider_url: self
                .sms_provider_url
                .map(|u| u.trim_end_matches('/').to_string()),
            sms_account_sid: self.sms_account_sid,
            sms_auth_token: self.sms_auth_token.map(Into::into),
            sms_from: self.sms_from,
            notifier_concurrency: self.notifier_concurrency as usize,
            notifier_breaker_failures: self.notifier_breaker_failures,
            notifier_breaker_cooldown: Duration::from_secs(self.notifier_breaker_cooldown_secs),
            pagerduty_url: self.pagerduty_url.trim_end_matches('/').to_string(),
            secrets_file: self.secrets_file.map(std::path::PathBuf::from),
            notification_targets: self.notification_targets.map(std::path::PathBuf::from),
            slack_signing_secret: self.slack_signing_secret.map(Into::into),
            link_secret: self.link_secret.map(Into::into),
            throttles,
        })
    }
}

// === AWS-protocol API credentials ===

impl Raw {
    /// Parses `TOCSIN_AWS_CREDENTIALS`. Messages name the entry by position and access key id,
    /// never by its secret.
    fn amqp_publishers(&self) -> Result<std::collections::BTreeMap<String, String>, ConfigError> {
        let mut map = std::collections::BTreeMap::new();
        let entries = self.amqp_publishers.as_deref().unwrap_or_default();
        for (i, entry) in entries.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let bad = |rule: &str| invalid("amqp_publishers", format!("entry {}: {rule}", i + 1));
            let (user, account) = entry
                .split_once('=')
                .ok_or_else(|| bad("must be USER=ACCOUNT_ID"))?;
            let (user, account) = (user.trim(), account.trim());
            if user.is_empty() {
                return Err(bad("the broker user is empty"));
            }
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("the account id must be 12 digits"));
            }
            if map.insert(user.to_owned(), account.to_owned()).is_some() {
                return Err(bad("the user is listed twice"));
            }
        }
        Ok(map)
    }

    fn aws_credentials(&self) -> Result<Vec<AwsCredential>, ConfigError> {
        let list = self.aws_credentials.as_deref().unwrap_or_default();
        let mut out: Vec<AwsCredential> = Vec::new();
        for (i, entry) in list.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let bad = |rule: String| invalid("aws_credentials", format!("entry {}: {rule}", i + 1));
            let parts: Vec<&str> = entry.split(':').collect();
            let (id, secret, account) = match parts[..] {
                [id, secret] => (id, secret, self.account_id.as_str()),
                [id, secret, account] => (id, secret, account),
                _ => {
                    return Err(bad(
                        "must be ACCESS_KEY_ID:SECRET_ACCESS_KEY[:ACCOUNT_ID]".into()
                    ));
                }
            };
            let id_ok =
                (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
            if !id_ok {
                return Err(bad(format!(
                    "access key id must be 16-128 letters and digits, got {id:?}"
                )));
            }
            if secret.len() < 16 || secret.contains(char::is_whitespace) {
                return Err(bad(format!(
                    "secret access key of {id} must be at least 16 characters without spaces"
                )));
            }
            if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
                return Err(bad(format!(
                    "account of {id} must be 12 digits, got {account:?}"
                )));
            }
            if out.iter().any(|c| c.access_key_id == id) {
                return Err(bad(format!("access key id {id} is listed twice")));
            }
            out.push(AwsCredential {
                access_key_id: id.to_string(),
                secret_access_key: secret.to_string().into(),
                account_id: account.to_string(),
            });
        }
        if let Some(dev) = self.dev_key(&out)? {
            out.push(dev);
        }
        Ok(out)
    }

    /// The dev key pair `TOCSIN_ACCESS_KEY_ID` / `TOCSIN_SECRET_ACCESS_KEY`: a key of the
    /// default account (`TOCSIN_ACCOUNT_ID`), the way the aws CLI's own variables name one.
    /// Both or neither; the same rules as the keys of `TOCSIN_AWS_CREDENTIALS`.
    fn dev_key(&self, others: &[AwsCredential]) -> Result<Option<AwsCredential>, ConfigError> {
        let (id, secret) = match (&self.access_key_id, &self.secret_access_key) {
            (None, None) => return Ok(None),
            (Some(id), Some(secret)) => (id.trim(), secret.trim()),
            (Some(_), None) => {
                return Err(invalid(
                    "secret_access_key",
                    "is required with TOCSIN_ACCESS_KEY_ID",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "access_key_id",
                    "is required with TOCSIN_SECRET_ACCESS_KEY",
                ));
            }
        };
        if !((16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return Err(invalid(
                "access_key_id",
                format!("must be 16-128 letters and digits, got {id:?}"),
            ));
        }
        if secret.len() < 16 || secret.contains(char::is_whitespace) {
            return Err(invalid(
                "secret_access_key",
                "must be at least 16 characters without spaces",
            ));
        }
        if others.iter().any(|c| c.access_key_id == id) {
            return Err(invalid(
                "access_key_id",
                format!("{id} is also listed in TOCSIN_AWS_CREDENTIALS"),
            ));
        }
        Ok(Some(AwsCredential {
            access_key_id: id.to_string(),
            secret_access_key: secret.to_string().into(),
            account_id: self.account_id.clone(),
        }))
    }
}

// === notifier integrations and throttles ===

impl Raw {
    /// Rules of `TOCSIN_PAGERDUTY_URL`, `TOCSIN_SECRETS_FILE`, `TOCSIN_SLACK_SIGNING_SECRET`,
    /// `TOCSIN_LINK_SECRET` and `TOCSIN_THROTTLE_*`; secrets are never echoed.
    fn throttles(&self) -> Result<Throttles, ConfigError> {
        if !is_http_url(&self.pagerduty_url) {
            return Err(invalid(
                "pagerduty_url",
                format!(
                    "must be an http:// or https:// URL, got {:?}",
                    redact(&self.pagerduty_url)
                ),
            ));
        }
        if self.secrets_file.as_deref().is_some_and(str::is_empty) {
            return Err(invalid("secrets_file", "must be a file path"));
        }
        if self
            .notification_targets
            .as_deref()
            .is_some_and(str::is_empty)
        {
            return Err(invalid("notification_targets", "must be a file path"));
        }
        if self
            .slack_signing_secret
            .as_deref()
            .is_some_and(str::is_empty)
        {
            return Err(invalid("slack_signing_secret", "must not be empty"));
        }
        if self.link_secret.as_deref().is_some_and(|s| s.len() < 16) {
            return Err(invalid("link_secret", "must be at least 16 characters"));
        }
        let one = |key: &str, v: &str| parse_throttle(v).map_err(|rule| invalid(key, rule));
        Ok(Throttles {
            email: one("throttle_email", &self.throttle_email)?,
            sms: one("throttle_sms", &self.throttle_sms)?,
            voice: one("throttle_voice", &self.throttle_voice)?,
            webhook: one("throttle_webhook", &self.throttle_webhook)?,
        })
    }
}

// === notifier channel settings ===

impl Raw {
    /// Rules of the notifier's channel settings (`TOCSIN_PUBLIC_URL`, `TOCSIN_SMTP_*`,
    /// `TOCSIN_SMS_*`, `TOCSIN_WEBHOOK_SECRET`, `TOCSIN_NOTIFIER_*`).
    fn validate_notifier(&self) -> Result<(), ConfigError> {
        for (key, url) in [
            ("public_url", &self.public_url),
            ("sms_provider_url", &self.sms_provider_url),
        ] {
            if let Some(u) = url
                && !is_http_url(u)
            {
                return Err(invalid(
                    key,
                    format!("must be an http:// or https:// URL, got {:?}", redact(u)),
                ));
            }
        }
        if let Some(secret) = &self.webhook_secret {
            let ok = match secret.strip_prefix("whsec_") {
                Some(b64) => is_base64(b64),
                None => !secret.is_empty(),
            };
            if !ok {
                return Err(invalid(
                    "webhook_secret",
                    "must be whsec_ followed by standard base64, or other non-empty text",
                ));
            }
        }
        if let Some(url) = &self.smtp_url {
            check_smtp_url(url).map_err(|rule| invalid("smtp_url", rule))?;
        }
        let from_ok = self.smtp_from.contains('@')
            && !self.smtp_from.contains(['\r', '\n'])
            && self.smtp_from.len() <= 320;
        if !from_ok {
            return Err(invalid(
                "smtp_from",
                format!(
                    "must be an address like Tocsin <tocsin@example.com>, got {:?}",
                    self.smtp_from
                ),
            ));
        }
        if self.sms_provider_url.is_some() {
            for (key, value) in [
                ("sms_account_sid", &self.sms_account_sid),
                ("sms_auth_token", &self.sms_auth_token),
                ("sms_from", &self.sms_from),
            ] {
                if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                    return Err(invalid(key, "is required with TOCSIN_SMS_PROVIDER_URL"));
                }
            }
        }
        if let Some(sid) = &self.sms_account_sid
            && (sid.is_empty() || !sid.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(invalid("sms_account_sid", "must be letters and digits"));
        }
        if !(1..=1000).contains(&self.notifier_concurrency) {
            return Err(invalid(
                "notifier_concurrency",
                format!(
                    "must be between 1 and 1000, got {}",
                    self.notifier_concurrency
                ),
            ));
        }
        if !(1..=1000).contains(&self.notifier_breaker_failures) {
            return Err(invalid(
                "notifier_breaker_failures",
                "must be between 1 and 1000",
            ));
        }
        if !(1..=3600).contains(&self.notifier_breaker_cooldown_secs) {
            return Err(invalid(
                "notifier_breaker_cooldown_secs",
                "must be between 1 and 3600",
            ));
        }
        Ok(())
    }
}

/// `http://` or `https://` followed by a host.
fn is_http_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty() && !r.starts_with(['/', ':']) && !r.contains(char::is_whitespace)
    })
}

/// Standard base64 with padding, at least one byte.
fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && s.len().is_multiple_of(4)
        && s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The URL forms the notifier's SMTP client (lettre) accepts, checked at start so that a typo
/// stops the process instead of failing every EMAIL page.
fn check_smtp_url(url: &str) -> Result<(), String> {
    let shown = redact(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "must be smtp://host[:port] or smtps://host[:port], got {shown:?}"
        ));
    };
    if !matches!(scheme, "smtp" | "smtps") {
        return Err(format!("scheme must be smtp or smtps, got {shown:?}"));
    }
    let (authority_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority_path.split('/').next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("must name a host, got {shown:?}"));
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("tls", "required" | "opportunistic")) if scheme == "smtp" => {}
            Some(("tls", _)) if scheme == "smtps" => {}
            Some(("tls", v)) => {
                return Err(format!("tls must be required or opportunistic, got {v:?}"));
            }
            _ => return Err(format!("unknown parameter {pair:?} (only tls is known)")),
        }
    }
    Ok(())
}

/// Hides the password of a URL (`scheme://user:****@host`).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{}:****@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: std::collections::BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        Settings::from_figment(Figment::new().merge(Serialized::defaults(map)))
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::default();
        assert_eq!(
            s.amqp_url.expose_secret(),
            "amqp://guest:guest@127.0.0.1:5672/%2f"
        );
        assert_eq!(s.redis_url.expose_secret(), "redis://127.0.0.1:6379/0");
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.account_id, "123456789012");
        assert_eq!(s.api_addr.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn errors_name_the_variable() {
        let e = with(&[("account_id", "12")]).unwrap_err().to_string();
        assert_eq!(e, "TOCSIN_ACCOUNT_ID: must be 12 digits, got \"12\"");
        let e = with(&[("api_addr", "localhost")]).unwrap_err().to_string();
        assert!(
            e.starts_with("TOCSIN_API_ADDR: must be a socket address"),
            "{e}"
        );
        let e = with(&[("amqp_url", "http://u:secret@h")])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("TOCSIN_AMQP_URL:") && !e.contains("secret"),
            "{e}"
        );
        let e = with(&[("prefetch", "0")]).unwrap_err().to_string();
        assert!(e.starts_with("TOCSIN_PREFETCH:"), "{e}");
        let e = with(&[("no_such_key", "1")]).unwrap_err().to_string();
        assert!(e.contains("no_such_key"), "{e}");
    }

    #[test]
    fn environment_values_stay_text() {
        let vars = [
            ("TOCSIN_ACCOUNT_ID", "012345678901"),
            ("TOCSIN_PREFETCH", "7"),
            ("TOCSIN_TEST_AMQP_BASE", "ignored"),
            ("PATH", "/bin"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let layer = env_layer(vars.into_iter());
        assert_eq!(layer.len(), 2);
        let s = Settings::from_figment(Figment::new().merge(Serialized::defaults(layer))).unwrap();
        assert_eq!((s.account_id.as_str(), s.prefetch), ("012345678901", 7));
        let e = with(&[("prefetch", "many")]).unwrap_err().to_string();
        assert!(
            e.starts_with("TOCSIN_PREFETCH: ") && e.contains("\"many\" is not a whole number"),
            "{e}"
        );
    }

    #[test]
    fn the_example_file_is_valid() {
        let f = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../config/tocsin.example.toml");
        assert!(f.exists(), "{f:?}");
        let s = Settings::from_figment(Figment::new().merge(Toml::file(&f))).unwrap();
        assert_eq!(
            (s.region.as_str(), s.ingest_rate_per_minute),
            ("us-east-1", 600)
        );
    }

    #[test]
    fn a_file_layer_is_read_and_validated() {
        let dir = std::env::temp_dir().join(format!("tocsin-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("tocsin.toml");
        std::fs::write(&f, "region = \"eu-west-1\"\nprefetch = 8\n").unwrap();
        let s = Settings::from_figment(Figment::new().merge(Toml::file(&f))).unwrap();
        assert_eq!((s.region.as_str(), s.prefetch), ("eu-west-1", 8));
        assert!(Settings::load(Some(&dir.join("missing.toml"))).is_err());
    }

    #[test]
    fn notifier_settings_have_defaults_and_rules() {
        let s = Settings::default();
        assert!(s.smtp_url.is_none() && s.sms_provider_url.is_none() && s.public_url.is_none());
        assert_eq!(s.smtp_from, "Tocsin <tocsin@localhost>");
        assert_eq!(s.notifier_concurrency, 16);
        assert_eq!(s.notifier_breaker_failures, 5);
        assert_eq!(s.notifier_breaker_cooldown, Duration::from_secs(30));

        let s = with(&[
            ("public_url", "https://tocsin.example.com/"),
            ("smtp_url", "smtps://mailer:hunter2hunter2@mail.example.com"),
            ("sms_provider_url", "http://127.0.0.1:9/"),
            ("sms_account_sid", "AC0123"),
            ("sms_auth_token", "tok-sms-secret"),
            ("sms_from", "+15550001111"),
            ("webhook_secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            ("notifier_concurrency", "4"),
        ])
        .unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://tocsin.example.com"));
        assert_eq!(s.sms_provider_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(
            s.smtp_url_redacted().as_deref(),
            Some("smtps://mailer:****@mail.example.com")
        );
        let dbg = format!("{s:?}");
        for secret in ["hunter2", "tok-sms-secret", "MfKQ9r8"] {
            assert!(!dbg.contains(secret), "{dbg}");
        }

        for (pairs, key) in [
            (&[("smtp_url", "http://mail")][..], "TOCSIN_SMTP_URL:"),
            (
                &[("smtp_url", "smtp://mail?tls=always")][..],
                "TOCSIN_SMTP_URL:",
            ),
            (&[("smtp_url", "smtp://:25")][..], "TOCSIN_SMTP_URL:"),
            (&[("smtp_from", "nobody")][..], "TOCSIN_SMTP_FROM:"),
            (
                &[("public_url", "tocsin.example.com")][..],
                "TOCSIN_PUBLIC_URL:",
            ),
            (
                &[("webhook_secret", "whsec_not base64")][..],
                "TOCSIN_WEBHOOK_SECRET:",
            ),
            (
                &[("sms_provider_url", "http://p")][..],
                "TOCSIN_SMS_ACCOUNT_SID:",
            ),
            (
                &[("notifier_concurrency", "0")][..],
                "TOCSIN_NOTIFIER_CONCURRENCY:",
            ),
            (
                &[("notifier_breaker_failures", "0")][..],
                "TOCSIN_NOTIFIER_BREAKER_FAILURES:",
            ),
            (
                &[("notifier_breaker_cooldown_secs", "0")][..],
                "TOCSIN_NOTIFIER_BREAKER_COOLDOWN_SECS:",
            ),
        ] {
            let e = with(pairs).unwrap_err().to_string();
            assert!(e.starts_with(key), "{pairs:?}: {e}");
        }
        let e = with(&[("smtp_url", "ftp://u:hunter2@mail")])
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(with(&[("smtp_url", "smtp://127.0.0.1:2525?tls=required")]).is_ok());
        assert!(with(&[("webhook_secret", "a plain passphrase")]).is_ok());
    }

    #[test]
    fn amqp_publishers_map_broker_users_to_accounts() {
        assert!(Settings::default().amqp_publishers.is_empty());
        let s = with(&[("amqp_publishers", "team-b=210987654321, ops = 111122223333")]).unwrap();
        assert_eq!(s.amqp_publishers["team-b"], "210987654321");
        assert_eq!(s.amqp_publishers["ops"], "111122223333");
        for bad in [
            "team-b",
            "=210987654321",
            "team-b=12",
            "a=210987654321,a=111122223333",
        ] {
            let e = with(&[("amqp_publishers", bad)]).unwrap_err().to_string();
            assert!(
                e.starts_with("TOCSIN_AMQP_PUBLISHERS: entry "),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn aws_credentials_parse_with_the_default_account() {
        assert!(Settings::default().aws_credentials.is_empty());
        let s = with(&[(
            "aws_credentials",
            "AKIDEXAMPLE0000001:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, AKIDEXAMPLE0000002:other-secret-0123456789:210987654321",
        )])
        .unwrap();
        let got: Vec<_> = s
            .aws_credentials
            .iter()
            .map(|c| (c.access_key_id.as_str(), c.account_id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("AKIDEXAMPLE0000001", "123456789012"),
                ("AKIDEXAMPLE0000002", "210987654321")
            ]
        );
        assert!(!format!("{s:?}").contains("wJalrXUtnFEMI"));
        for bad in [
            "AKIDEXAMPLE0000001",
            "short:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "AKIDEXAMPLE0000001:tiny",
            "AKIDEXAMPLE0000001:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY:12",
            "AKIDEXAMPLE0000001:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,AKIDEXAMPLE0000001:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ] {
            let e = with(&[("aws_credentials", bad)]).unwrap_err().to_string();
            assert!(
                e.starts_with("TOCSIN_AWS_CREDENTIALS: entry "),
                "{bad}: {e}"
            );
            assert!(!e.contains("wJalrXUtnFEMI"), "{e}");
        }
    }

    #[test]
    fn notifier_integrations_and_throttles_have_defaults_and_rules() {
        let s = Settings::default();
        assert_eq!(s.pagerduty_url, "https://api.pagerduty.com");
        assert_eq!(
            s.throttles.voice,
            Some(Throttle {
                count: 3,
                window: Duration::from_secs(900)
            })
        );
        assert_eq!(s.throttles.sms.map(|t| t.count), Some(10));
        assert_eq!(s.throttles.webhook, None);
        let s = with(&[
            ("throttle_voice", "1/30s"),
            ("throttle_sms", "off"),
            ("slack_signing_secret", "slack-signing-hunter2"),
            ("link_secret", "link-secret-hunter2-long"),
            ("pagerduty_url", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(
            s.throttles.voice.map(|t| t.window),
            Some(Duration::from_secs(30))
        );
        assert_eq!(s.throttles.sms, None);
        assert_eq!(s.pagerduty_url, "http://127.0.0.1:9");
        assert!(!format!("{s:?}").contains("hunter2"));
        let s = with(&[("notification_targets", "/etc/tocsin/targets.json")]).unwrap();
        assert_eq!(
            s.notification_targets.as_deref(),
            Some(std::path::Path::new("/etc/tocsin/targets.json"))
        );
        for (pairs, key) in [
            (
                &[("throttle_voice", "3 per 15m")][..],
                "TOCSIN_THROTTLE_VOICE:",
            ),
            (&[("throttle_sms", "0/15m")][..], "TOCSIN_THROTTLE_SMS:"),
            (&[("throttle_email", "3/15d")][..], "TOCSIN_THROTTLE_EMAIL:"),
            (&[("link_secret", "short")][..], "TOCSIN_LINK_SECRET:"),
            (
                &[("notification_targets", "")][..],
                "TOCSIN_NOTIFICATION_TARGETS:",
            ),
            (
                &[("pagerduty_url", "pagerduty")][..],
                "TOCSIN_PAGERDUTY_URL:",
            ),
        ] {
            let e = with(pairs).unwrap_err().to_string();
            assert!(e.starts_with(key), "{pairs:?}: {e}");
        }
    }

    #[test]
    fn the_dev_key_pair_is_a_key_of_the_default_account() {
        let s = with(&[
            ("access_key_id", "AKIDTOCSINDEV00001"),
            ("secret_access_key", "dev-secret-0123456789"),
            ("account_id", "111122223333"),
        ])
        .unwrap();
        assert_eq!(s.aws_credentials.len(), 1);
        assert_eq!(s.aws_credentials[0].access_key_id, "AKIDTOCSINDEV00001");
        assert_eq!(s.aws_credentials[0].account_id, "111122223333");
        assert!(!format!("{s:?}").contains("dev-secret-0123456789"));
        let half = with(&[("access_key_id", "AKIDTOCSINDEV00001")]).unwrap_err();
        assert!(
            half.to_string().starts_with("TOCSIN_SECRET_ACCESS_KEY:"),
            "{half}"
        );
        let twice = with(&[
            ("access_key_id", "AKIDTOCSINDEV00001"),
            ("secret_access_key", "dev-secret-0123456789"),
            (
                "aws_credentials",
                "AKIDTOCSINDEV00001:other-secret-0123456789",
            ),
        ])
        .unwrap_err();
        assert!(twice.to_string().contains("also listed"), "{twice}");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = with(&[
            ("amqp_url", "amqp://u:hunter2hunter2@h/v"),
            ("api_token", "tok-abcdefghijklmnop"),
        ])
        .unwrap();
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains("hunter2") && !dbg.contains("tok-abc"),
            "{dbg}"
        );
        assert_eq!(s.amqp_url_redacted(), "amqp://u:****@h/v");
    }
}
