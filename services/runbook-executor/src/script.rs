//! `aws:executeScript` in a subprocess: an empty environment (only `PATH`, `HOME` set to a fresh
//! temporary directory, `LANG`), a memory limit (`prlimit --as`), a time limit (the process is
//! killed when it passes), and the declared inputs only.
//!
//! Python: the script is loaded and its `Handler(events, context)` called with `InputPayload`
//! as `events`, as SSM does; the return value (JSON) is the step's `Payload`. What the script
//! prints is kept apart from the return value. Shell: `InputPayload` arrives as JSON on stdin
//! and in `INPUT_<KEY>` variables for its text members; stdout (JSON if it parses, else text)
//! is the `Payload`. A non-zero exit fails the attempt with the end of stderr.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::config::RunbookConfig;
use crate::core::StepOutcome;
use crate::core::inputs::Runtime;

const MARKER: &str = "\u{1e}TOCSIN-RESULT\u{1e}";

const PY_WRAPPER: &str = r#"
import json, sys
req = json.loads(sys.stdin.read())
ns = {"__name__": "tocsin_script"}
exec(compile(req["script"], "script", "exec"), ns)
fn = ns.get(req["handler"])
if fn is None:
    sys.stderr.write("handler %r is not defined by the script\n" % req["handler"])
    sys.exit(3)
result = fn(req["events"], req["context"])
sys.stdout.write("\n" + req["marker"] + json.dumps(result) + "\n")
"#;

/// What a script attempt gets besides its payload.
#[derive(Debug, Clone)]
pub struct ScriptRun<'a> {
    /// Interpreter.
    pub runtime: Runtime,
    /// Python handler.
    pub handler: Option<&'a str>,
    /// Script text.
    pub script: &'a str,
    /// `InputPayload`.
    pub payload: &'a Value,
    /// `context` (execution id, step, attempt).
    pub context: Value,
    /// Time limit.
    pub timeout: Duration,
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim();
    let start = s.len().saturating_sub(1000);
    let start = (start..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    s[start..].to_string()
}

/// Runs one attempt of a script step.
pub async fn run(config: &RunbookConfig, r: ScriptRun<'_>) -> StepOutcome {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return StepOutcome::Failed(format!("cannot create a working directory: {e}")),
    };
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={}", config.script_memory_bytes))
        .arg("--");
    let stdin = match r.runtime {
        Runtime::Python => {
            cmd.arg(&config.python).args(["-I", "-c", PY_WRAPPER]);
            json!({
                "script": r.script,
                "handler": r.handler.unwrap_or("handler"),
                "events": r.payload,
                "context": r.context,
                "marker": MARKER,
            })
            .to_string()
        }
        Runtime::Shell => {
            cmd.args(["sh", "-c", r.script]);
            r.payload.to_string()
        }
    };
    cmd.current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Nothing of the executor's environment reaches the script.
    cmd.env_clear();
    cmd.env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", dir.path())
        .env("LANG", "C.UTF-8");
    if let (Runtime::Shell, Some(m)) = (r.runtime, r.payload.as_object()) {
        for (k, v) in m {
            if let Some(s) = v.as_str()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                cmd.env(format!("INPUT_{}", k.to_ascii_uppercase()), s);
            }
        }
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return StepOutcome::Failed(format!("cannot start the script: {e}")),
    };
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes()).await;
    }
    let output = match tokio::time::timeout(r.timeout, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return StepOutcome::Failed(format!("the script could not run: {e}")),
        Err(_) => {
            return StepOutcome::TimedOut(format!(
                "the script ran longer than {}s and was killed",
                r.timeout.as_secs()
            ));
        }
    };
    if !output.status.success() {
        let code = output
            .status
            .code()
            .map_or("a signal".to_string(), |c| format!("code {c}"));
        return StepOutcome::Failed(format!(
            "the script exited with {code}: {}",
            tail(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let payload = match r.runtime {
        Runtime::Python => match stdout.rfind(MARKER) {
            Some(i) => match serde_json::from_str(stdout[i + MARKER.len()..].trim()) {
                Ok(v) => v,
                Err(e) => {
                    return StepOutcome::Failed(format!(
                        "the handler's return value is not JSON: {e}"
                    ));
                }
            },
            None => return StepOutcome::Failed("the script returned nothing".into()),
        },
        Runtime::Shell => {
            let out = stdout.trim();
            serde_json::from_str(out).unwrap_or_else(|_| Value::String(out.to_string()))
        }
    };
    StepOutcome::Ok(json!({ "Payload": payload }))
}
