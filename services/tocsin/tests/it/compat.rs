//! The conformance suite in `compat/` (boto3 and the aws CLI from PyPI, see
//! `compat/requirements.txt`) against the real `tocsin` binary: `tocsin dev` on the embedded
//! backends, and `tocsin run --role api` on real RabbitMQ and Redis (a fresh vhost and key
//! namespace). Each runs `python -m pytest compat/` with the endpoint and two tenants' keys in
//! the environment, plus a read-only key of the default account from a keys file
//! (`TOCSIN_KEYS_FILE`, named to the suite by `TOCSIN_READONLY_*`); botocore checks every
//! answer against the official model as it parses it.
//!
//! The Python comes from `TOCSIN_COMPAT_PYTHON` (`.ci/run` builds the venv and sets it), else
//! from a venv `.ci/run` left in `~/.cache/tocsin-venv-*`. Without one the tests skip with a
//! message, except in CI (`CI=true`) or when `TOCSIN_COMPAT_PYTHON` names a missing file, where
//! that is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::procs::{Proc, api_ready, free_port};
use secrecy::ExposeSecret;
use tocsin_testkit::{Kind, TestBackends};

const BIN: &str = env!("CARGO_BIN_EXE_tocsin");
const KEY_ID: &str = "AKIDCOMPATTEST0001";
const SECRET: &str = "compat-secret-of-the-default-account";
const OTHER_KEY_ID: &str = "AKIDCOMPATTEST0002";
const OTHER_SECRET: &str = "compat-secret-of-the-other-account";
const OTHER_ACCOUNT: &str = "210987654321";
const READONLY_KEY_ID: &str = "AKIDCOMPATREADONLY1";
const READONLY_SECRET: &str = "compat-read-only-secret-0123";

/// A keys file holding the read-only key of the default account (`compat/auth_test.py`).
fn keys_file() -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("keys.toml"),
        format!(
            "[keys.{READONLY_KEY_ID}]\naccount = \"123456789012\"\nsecret = \"{READONLY_SECRET}\"\npolicy = \"read-only\"\n"
        ),
    )?;
    Ok(dir)
}

/// The venv's Python, or why there is none.
fn python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("TOCSIN_COMPAT_PYTHON") {
        let p = PathBuf::from(p);
        return if p.exists() {
            Ok(p)
        } else {
            Err(format!(
                "TOCSIN_COMPAT_PYTHON={} does not exist",
                p.display()
            ))
        };
    }
    let cache = std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".cache"))
        .ok_or("HOME is not set")?;
    let mut venvs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&cache)
        .map_err(|e| format!("{}: {e}", cache.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("tocsin-venv-"))
        .map(|e| e.path().join("bin/python"))
        .filter(|p| p.exists())
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    venvs.sort();
    venvs
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| "no venv: run .ci/run or set TOCSIN_COMPAT_PYTHON".into())
}

/// The Python to use, or `None` to skip (outside CI only).
fn python_or_skip(test: &str) -> Option<PathBuf> {
    match python() {
        Ok(p) => Some(p),
        // In CI, or when `.ci/run` named a venv, the suite must run.
        Err(why)
            if std::env::var("CI").is_ok_and(|v| v == "true")
                || std::env::var_os("TOCSIN_COMPAT_PYTHON").is_some() =>
        {
            panic!("{test}: the compat venv is required in CI: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            None
        }
    }
}

/// Runs `python -m pytest compat/` against `addr`; fails with its output unless it passes.
fn run_suite(python: &Path, addr: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(python)
        .args([
            "-m",
            "pytest",
            "-q",
            "--tb=short",
            "-p",
            "no:cacheprovider",
            "compat/",
        ])
        .current_dir(&root)
        .env("TOCSIN_ENDPOINT", format!("http://{addr}"))
        .env("TOCSIN_REGION", "us-east-1")
        .env("TOCSIN_ACCESS_KEY_ID", KEY_ID)
        .env("TOCSIN_SECRET_ACCESS_KEY", SECRET)
        .env("TOCSIN_OTHER_ACCESS_KEY_ID", OTHER_KEY_ID)
        .env("TOCSIN_OTHER_SECRET_ACCESS_KEY", OTHER_SECRET)
        .env("TOCSIN_READONLY_ACCESS_KEY_ID", READONLY_KEY_ID)
        .env("TOCSIN_READONLY_SECRET_ACCESS_KEY", READONLY_SECRET)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run pytest");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "compat suite failed:\n{report}");
    assert!(report.contains(" passed"), "{report}");
    eprintln!("{report}");
}

/// The environment of a `tocsin` process serving the API on `addr` with both tenants' keys and
/// the keys file in `keys`.
fn api_env(c: &mut Command, addr: &str, keys: &Path) {
    c.env("TOCSIN_API_ADDR", addr)
        .env("TOCSIN_KEYS_FILE", keys.join("keys.toml"))
        .env("TOCSIN_INGEST_ADDR", "off")
        .env("TOCSIN_ACCESS_KEY_ID", KEY_ID)
        .env("TOCSIN_SECRET_ACCESS_KEY", SECRET)
        .env(
            "TOCSIN_AWS_CREDENTIALS",
            format!("{OTHER_KEY_ID}:{OTHER_SECRET}:{OTHER_ACCOUNT}"),
        )
        .env("TOCSIN_REGION", "us-east-1")
        .env("TOCSIN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compat_suite_passes_against_tocsin_dev() -> anyhow::Result<()> {
    let Some(python) = python_or_skip("the_compat_suite_passes_against_tocsin_dev") else {
        return Ok(());
    };
    let addr = format!("127.0.0.1:{}", free_port());
    let keys = keys_file()?;
    let mut c = Command::new(BIN);
    c.arg("dev");
    api_env(&mut c, &addr, keys.path());
    let _dev = Proc(c.spawn()?);
    api_ready(&addr).await?;
    tokio::task::spawn_blocking(move || run_suite(&python, &addr)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compat_suite_passes_on_rabbitmq_and_redis() -> anyhow::Result<()> {
    let Some(python) = python_or_skip("the_compat_suite_passes_on_rabbitmq_and_redis") else {
        return Ok(());
    };
    let b = TestBackends::new(Kind::Real).await?;
    let addr = format!("127.0.0.1:{}", free_port());
    let mut c = Command::new(BIN);
    c.args(["run", "--role", "api"])
        .env("TOCSIN_AMQP_URL", b.settings.amqp_url.expose_secret())
        .env("TOCSIN_REDIS_URL", b.settings.redis_url.expose_secret())
        .env("TOCSIN_NAMESPACE", &b.settings.namespace);
    let keys = keys_file()?;
    api_env(&mut c, &addr, keys.path());
    let _api = Proc(c.spawn()?);
    api_ready(&addr).await?;
    tokio::task::spawn_blocking(move || run_suite(&python, &addr)).await?;
    Ok(())
}
