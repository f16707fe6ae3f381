//! Settings of the runbook executor, from the environment (validated at start):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TOCSIN_RUNBOOK_HTTP_ALLOWLIST` | none | hosts `tocsin:http` may call (`host` or `host:port`, comma-separated; `*` any) |
//! | `TOCSIN_RUNBOOK_SCRIPT_MEMORY_MB` | `512` | address-space limit of a script process |
//! | `TOCSIN_RUNBOOK_PYTHON` | `python3` on the PATH | the Python 3 interpreter of `aws:executeScript` |
//! | `TOCSIN_RUNBOOK_CONCURRENCY` | `1024` | executions driven at once by one replica (a pass holds its slot while its HTTP step or script runs) |
//! | `TOCSIN_RUNBOOK_SCRIPT_CONCURRENCY` | `16` | script processes one replica runs at once (others wait their turn, within their step's timeout) |

use std::time::Duration;

/// Why the settings are invalid.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Runbook executor settings.
#[derive(Debug, Clone)]
pub struct RunbookConfig {
    /// Hosts `tocsin:http` may call.
    pub http_allowlist: Vec<String>,
    /// Memory limit of scripts, bytes.
    pub script_memory_bytes: u64,
    /// Python interpreter (an absolute path, so scripts run with an empty environment).
    pub python: String,
    /// Executions driven at once. A pass keeps its slot while an HTTP step or a script runs,
    /// so this bounds the steps in flight, not CPU: 1,000 executions in one-second HTTP steps
    /// need about 1,100 (loadtests/results/2026-11-23-runbooks-2.md).
    pub concurrency: usize,
    /// Script processes run at once: each is a Python or shell process with up to
    /// `script_memory_bytes`, so they are bounded apart from the (mostly waiting) executions.
    pub script_concurrency: usize,
    /// How often a replica polls the timers.
    pub tick: Duration,
}

impl Default for RunbookConfig {
    fn default() -> Self {
        Self {
            http_allowlist: Vec::new(),
            script_memory_bytes: 512 << 20,
            python: resolve_python("python3"),
            concurrency: 1024,
            script_concurrency: 16,
            tick: Duration::from_millis(100),
        }
    }
}

/// The interpreter's absolute path (pyenv shims and the like need an environment scripts do not
/// get), or the name itself when it cannot be asked.
pub fn resolve_python(name: &str) -> String {
    std::process::Command::new(name)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| name.to_string())
}

impl RunbookConfig {
    /// Defaults overridden by the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut c = Self::default();
        if let Ok(v) = std::env::var("TOCSIN_RUNBOOK_HTTP_ALLOWLIST") {
            c.http_allowlist = v
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect();
        }
        if let Ok(v) = std::env::var("TOCSIN_RUNBOOK_SCRIPT_MEMORY_MB") {
            let mb: u64 =
                v.parse()
                    .ok()
                    .filter(|n| (16..=65_536).contains(n))
                    .ok_or(ConfigError {
                        variable: "TOCSIN_RUNBOOK_SCRIPT_MEMORY_MB",
                        message: format!("must be a whole number from 16 to 65536, got {v:?}"),
                    })?;
            c.script_memory_bytes = mb << 20;
        }
        if let Ok(v) = std::env::var("TOCSIN_RUNBOOK_PYTHON") {
            c.python = resolve_python(&v);
        }
        if let Ok(v) = std::env::var("TOCSIN_RUNBOOK_CONCURRENCY") {
            c.concurrency =
                v.parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or(ConfigError {
                        variable: "TOCSIN_RUNBOOK_CONCURRENCY",
                        message: format!("must be a whole number from 1 to 10000, got {v:?}"),
                    })?;
        }
        if let Ok(v) = std::env::var("TOCSIN_RUNBOOK_SCRIPT_CONCURRENCY") {
            c.script_concurrency =
                v.parse()
                    .ok()
                    .filter(|n| (1..=1_024).contains(n))
                    .ok_or(ConfigError {
                        variable: "TOCSIN_RUNBOOK_SCRIPT_CONCURRENCY",
                        message: format!("must be a whole number from 1 to 1024, got {v:?}"),
                    })?;
        }
        Ok(c)
    }

    /// Whether `tocsin:http` may call `host` on `port`.
    pub fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.to_ascii_lowercase();
        self.http_allowlist
            .iter()
            .any(|a| a == "*" || *a == host || port.is_some_and(|p| *a == format!("{host}:{p}")))
    }
}
