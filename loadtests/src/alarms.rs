//! The alarms of a run, generated before the clock starts: N native alarms over K dedupe
//! strings, the first alarm of each string opening its incident and the other N − K repeating
//! a string already sent (with their own message ids, so each is a distinct alarm).

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::LoadArgs;

/// Prefix of the message ids; the index of the alarm follows it.
const ID_PREFIX: &str = "ld-";

/// The alarms of one run.
#[derive(Debug)]
pub struct Workload {
    /// The response plan every alarm names.
    pub plan_arn: String,
    /// Dedupe-string index of each alarm, in publishing order.
    pub keys: Vec<u32>,
    /// Number of distinct dedupe strings (the incidents expected).
    pub distinct: usize,
}

impl Workload {
    /// Builds the sequence: alarm 0 is new, then the remaining new strings and the duplicates
    /// are shuffled together; a duplicate repeats a random string already introduced.
    pub fn generate(args: &LoadArgs, plan_arn: String) -> anyhow::Result<Self> {
        let n = args.alarms;
        let distinct = distinct_keys(n, args.keys, args.duplicates)?;
        let mut rng = StdRng::seed_from_u64(args.seed);
        let mut is_new = vec![true; distinct.saturating_sub(1)];
        is_new.resize(n - 1, false);
        is_new.shuffle(&mut rng);
        let mut keys = Vec::with_capacity(n);
        keys.push(0_u32);
        let mut introduced = 1_u32;
        for new in is_new {
            if new {
                keys.push(introduced);
                introduced += 1;
            } else {
                keys.push(rng.random_range(0..introduced));
            }
        }
        Ok(Self {
            plan_arn,
            keys,
            distinct,
        })
    }

    /// Number of alarms.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The dedupe string of key `k`.
    pub fn dedupe(k: u32) -> String {
        format!("load-key-{k:06}")
    }

    /// The AMQP message id (and so the idempotency key) of alarm `i`.
    pub fn message_id(i: usize) -> String {
        format!("{ID_PREFIX}{i}")
    }

    /// The alarm index an event's idempotency key (`alarm:message:<message id>`, as ingest
    /// derives it from the AMQP message id) names.
    pub fn index_of(idempotency_key: &str) -> Option<usize> {
        idempotency_key
            .strip_prefix("alarm:message:")?
            .strip_prefix(ID_PREFIX)?
            .parse()
            .ok()
    }

    /// The native alarm `i`, stamped with its publish time.
    pub fn body(&self, i: usize, published_at: DateTime<Utc>) -> Vec<u8> {
        let k = self.keys[i];
        let dedupe = Self::dedupe(k);
        let raw = json!({ "alert": "LoadTest", "instance": dedupe, "seq": i }).to_string();
        json!({
            "responsePlanArn": self.plan_arn,
            "title": format!("{dedupe}: synthetic load"),
            "impact": 3,
            "triggerDetails": {
                "source": "tocsin-load",
                "timestamp": published_at,
                "rawData": raw,
            },
            "dedupeString": dedupe,
        })
        .to_string()
        .into_bytes()
    }
}

/// Distinct strings from `--keys` and/or `--duplicates`, checked against each other.
fn distinct_keys(n: usize, keys: Option<usize>, duplicates: Option<f64>) -> anyhow::Result<usize> {
    if n == 0 {
        bail!("--alarms must be at least 1");
    }
    let from_pct = |p: f64| -> anyhow::Result<usize> {
        if !(0.0..100.0).contains(&p) {
            bail!("--duplicates must be in [0, 100)");
        }
        Ok(n - (n as f64 * p / 100.0).round() as usize)
    };
    let k = match (keys, duplicates) {
        (Some(k), None) => k,
        (None, Some(p)) => from_pct(p)?,
        (None, None) => n,
        (Some(k), Some(p)) => {
            let derived = from_pct(p)?;
            if derived != k {
                bail!(
                    "--keys {k} and --duplicates {p} disagree: {n} alarms at {p}% duplicates \
                     have {derived} distinct dedupe strings"
                );
            }
            k
        }
    };
    if k == 0 || k > n {
        bail!("--keys must be between 1 and --alarms");
    }
    u32::try_from(k).context("--keys is too large")?;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(alarms: usize, keys: Option<usize>, duplicates: Option<f64>) -> LoadArgs {
        LoadArgs {
            alarms,
            keys,
            duplicates,
            replicas: 1,
            prefetch: 32,
            rate: None,
            inflight: 1,
            timeout_secs: 1,
            seed: 7,
            out: None,
        }
    }

    #[test]
    fn duplicates_only_repeat_strings_already_sent() {
        let w = Workload::generate(&args(1000, Some(100), Some(90.0)), "p".into()).unwrap();
        assert_eq!(w.len(), 1000);
        let mut max_seen = -1_i64;
        let mut new = 0;
        for &k in &w.keys {
            if i64::from(k) > max_seen {
                assert_eq!(
                    i64::from(k),
                    max_seen + 1,
                    "strings are introduced in order"
                );
                max_seen = i64::from(k);
                new += 1;
            }
        }
        assert_eq!(new, 100);
    }

    #[test]
    fn keys_and_duplicates_must_agree() {
        assert_eq!(distinct_keys(20_000, None, Some(0.0)).unwrap(), 20_000);
        assert_eq!(distinct_keys(20_000, Some(2_000), None).unwrap(), 2_000);
        assert!(distinct_keys(20_000, Some(2_000), Some(0.0)).is_err());
        assert_eq!(Workload::index_of("alarm:message:ld-42"), Some(42));
    }
}
