//! Where the time goes during a run: CPU seconds of this process, of RabbitMQ (`beam.smp`) and
//! of Redis (`redis-server`) from `/proc`, and the Redis commands executed (`INFO
//! commandstats`), both sampled before the first publish and after the last event.
//!
//! Both are machine-wide views: anything else using the broker or Redis at the same time is
//! counted too, so runs should be made on a quiet machine.

use std::collections::BTreeMap;
use std::time::Duration;

use deadpool_redis::redis;
use tokio::time::Instant;

/// Processes whose CPU time is reported, by their `comm`.
const PROCESSES: [(&str, &str); 2] = [("beam.smp", "RabbitMQ"), ("redis-server", "Redis")];
/// `USER_HZ`: the unit of `/proc/<pid>/stat` times on Linux.
const TICKS_PER_SEC: f64 = 100.0;

/// One sample.
#[derive(Debug)]
pub struct Sample {
    at: Instant,
    /// CPU seconds: this process, then [`PROCESSES`] in order.
    cpu: [f64; 3],
    /// Redis command → (calls, µs inside Redis).
    commands: BTreeMap<String, (u64, u64)>,
}

impl Sample {
    /// Takes a sample; Redis stats are left empty if Redis does not answer.
    pub async fn take(redis: &deadpool_redis::Pool) -> Self {
        let mut cpu = [cpu_of("self"), 0.0, 0.0];
        for pid in pids() {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if let Some(i) = PROCESSES.iter().position(|(c, _)| *c == comm.trim()) {
                cpu[i + 1] += cpu_of(&pid);
            }
        }
        Self {
            at: Instant::now(),
            cpu,
            commands: commandstats(redis).await.unwrap_or_default(),
        }
    }

    /// Report rows for the interval from `self` to `end`, per alarm of `alarms`.
    pub fn rows(&self, end: &Sample, alarms: usize) -> Vec<(String, String)> {
        let wall = end.at.duration_since(self.at).max(Duration::from_millis(1));
        let per_k = 1000.0 / alarms.max(1) as f64;
        let used: Vec<f64> = (0..3).map(|i| end.cpu[i] - self.cpu[i]).collect();
        let cores = used.iter().sum::<f64>() / wall.as_secs_f64();
        let mut rows = vec![(
            "CPU s per 1000 alarms: tocsin-load / RabbitMQ / Redis".to_owned(),
            format!(
                "{:.3} / {:.3} / {:.3} (together {cores:.2} of the cores busy)",
                used[0] * per_k,
                used[1] * per_k,
                used[2] * per_k
            ),
        )];
        let mut per_alarm: Vec<(String, f64, f64)> = end
            .commands
            .iter()
            .filter_map(|(name, &(calls, usec))| {
                let (c0, u0) = self.commands.get(name).copied().unwrap_or((0, 0));
                let calls = calls.saturating_sub(c0) as f64 / alarms.max(1) as f64;
                let usec = usec.saturating_sub(u0) as f64 / alarms.max(1) as f64;
                (calls >= 0.01).then(|| (name.clone(), calls, usec))
            })
            .collect();
        per_alarm.sort_by(|a, b| b.2.total_cmp(&a.2));
        let detail = per_alarm
            .iter()
            .map(|(name, calls, usec)| format!("{name} {calls:.2}× {usec:.1} µs"))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push((
            "Redis commands per alarm, calls and µs (scripts' inner commands included)".to_owned(),
            detail,
        ));
        rows
    }
}

/// Numeric entries of `/proc`.
fn pids() -> Vec<String> {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                .collect()
        })
        .unwrap_or_default()
}

/// User + system CPU seconds of `/proc/<pid>` (all its threads); 0 when unreadable.
fn cpu_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`, which may contain spaces: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / TICKS_PER_SEC
}

/// `INFO commandstats` as command → (calls, µs).
async fn commandstats(
    redis: &deadpool_redis::Pool,
) -> Result<BTreeMap<String, (u64, u64)>, Box<dyn std::error::Error>> {
    let mut conn = redis.get().await?;
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await?;
    let mut out = BTreeMap::new();
    for line in info.lines() {
        let Some((name, stats)) = line
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        else {
            continue;
        };
        let field = |key: &str| {
            stats
                .split(',')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        out.insert(name.to_owned(), (field("calls"), field("usec")));
    }
    Ok(out)
}
