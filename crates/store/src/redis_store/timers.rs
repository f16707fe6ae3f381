//! Timer sets on Redis: a zset of due times, the bodies and the claim numbers.

use std::time::Duration;

use super::{RedisStore, parse_num, scripts};
use crate::{ClaimedTimer, StoreError};

impl RedisStore {
    pub(crate) async fn schedule_timer(
        &self,
        set: &str,
        key: &str,
        due_ms: i64,
        payload: &str,
    ) -> Result<(), StoreError> {
        let mut invocation = scripts::TIMER_SCHEDULE.prepare_invoke();
        invocation
            .key(&self.keys.timers(set)[..])
            .arg(key)
            .arg(due_ms)
            .arg(payload);
        self.run::<i64>(&invocation).await.map(drop)
    }

    pub(crate) async fn cancel_timer(&self, set: &str, key: &str) -> Result<bool, StoreError> {
        let mut invocation = scripts::TIMER_CANCEL.prepare_invoke();
        invocation.key(&self.keys.timers(set)[..3]).arg(key);
        self.run(&invocation).await
    }

    pub(crate) async fn claim_due_timers(
        &self,
        set: &str,
        now_ms: i64,
        limit: usize,
        visibility: Duration,
    ) -> Result<Vec<ClaimedTimer>, StoreError> {
        let visibility_ms = i64::try_from(visibility.as_millis()).unwrap_or(i64::MAX);
        let keys = self.keys.timers(set);
        let mut invocation = scripts::TIMER_CLAIM.prepare_invoke();
        invocation
            .key(&keys[..])
            .arg(now_ms)
            .arg(limit)
            .arg(now_ms.saturating_add(visibility_ms));
        let flat: Vec<String> = self.run(&invocation).await?;
        flat.chunks_exact(3)
            .map(|row| {
                // The body is `<original due>:<payload>`: the queue score now holds the deadline.
                let (due, payload) = row[2]
                    .split_once(':')
                    .ok_or_else(|| StoreError::Corrupt(keys[1].clone()))?;
                Ok(ClaimedTimer {
                    set: set.to_owned(),
                    key: row[0].clone(),
                    due_ms: parse_num(due, &keys[1])?,
                    payload: payload.to_owned(),
                    claim: parse_num(&row[1], &keys[2])?,
                })
            })
            .collect()
    }

    pub(crate) async fn complete_timer(&self, timer: &ClaimedTimer) -> Result<bool, StoreError> {
        let mut invocation = scripts::TIMER_COMPLETE.prepare_invoke();
        invocation
            .key(&self.keys.timers(&timer.set)[..3])
            .arg(&timer.key)
            .arg(timer.claim);
        self.run(&invocation).await
    }

    pub(crate) async fn timers_exist(
        &self,
        set: &str,
        keys: &[String],
    ) -> Result<Vec<bool>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let [queue, ..] = self.keys.timers(set);
        let scores: Vec<Option<f64>> = self
            .query(redis::cmd("ZMSCORE").arg(queue).arg(keys))
            .await?;
        Ok(scores.into_iter().map(|s| s.is_some()).collect())
    }

    pub(crate) async fn timer_count(&self, set: &str) -> Result<usize, StoreError> {
        let [queue, ..] = self.keys.timers(set);
        self.query(redis::cmd("ZCARD").arg(queue)).await
    }
}
