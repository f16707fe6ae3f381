//! Timer sets in memory, with the same claim rules as the Redis scripts.

use std::time::Duration;

use super::{MemoryStore, Timer};
use crate::{ClaimedTimer, StoreError};

impl MemoryStore {
    pub(crate) async fn schedule_timer(
        &self,
        set: &str,
        key: &str,
        due_ms: i64,
        payload: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let timers = state.timers.entry(set.to_owned()).or_default();
        timers.seq += 1;
        let timer = Timer {
            score: due_ms,
            due_ms,
            payload: payload.to_owned(),
            claim: timers.seq,
        };
        if let Some(old) = timers.timers.insert(key.to_owned(), timer) {
            timers.queue.remove(&(old.score, key.to_owned()));
        }
        timers.queue.insert((due_ms, key.to_owned()));
        Ok(())
    }

    pub(crate) async fn timers_exist(
        &self,
        set: &str,
        keys: &[String],
    ) -> Result<Vec<bool>, StoreError> {
        let state = self.lock();
        let timers = state.timers.get(set);
        Ok(keys
            .iter()
            .map(|k| timers.is_some_and(|t| t.timers.contains_key(k)))
            .collect())
    }

    pub(crate) async fn cancel_timer(&self, set: &str, key: &str) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(timers) = state.timers.get_mut(set) else {
            return Ok(false);
        };
        let Some(old) = timers.timers.remove(key) else {
            return Ok(false);
        };
        timers.queue.remove(&(old.score, key.to_owned()));
        Ok(true)
    }

    pub(crate) async fn claim_due_timers(
        &self,
        set: &str,
        now_ms: i64,
        limit: usize,
        visibility: Duration,
    ) -> Result<Vec<ClaimedTimer>, StoreError> {
        let deadline =
            now_ms.saturating_add(i64::try_from(visibility.as_millis()).unwrap_or(i64::MAX));
        let mut state = self.lock();
        let Some(timers) = state.timers.get_mut(set) else {
            return Ok(Vec::new());
        };
        let due: Vec<(i64, String)> = timers
            .queue
            .iter()
            .take_while(|(score, _)| *score <= now_ms)
            .take(limit)
            .cloned()
            .collect();
        let mut claimed = Vec::with_capacity(due.len());
        for entry in due {
            timers.queue.remove(&entry);
            let (_, key) = entry;
            let Some(timer) = timers.timers.get_mut(&key) else {
                continue;
            };
            timers.seq += 1;
            timer.claim = timers.seq;
            timer.score = deadline;
            timers.queue.insert((deadline, key.clone()));
            claimed.push(ClaimedTimer {
                set: set.to_owned(),
                key,
                due_ms: timer.due_ms,
                payload: timer.payload.clone(),
                claim: timer.claim,
            });
        }
        Ok(claimed)
    }

    pub(crate) async fn complete_timer(&self, timer: &ClaimedTimer) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(timers) = state.timers.get_mut(&timer.set) else {
            return Ok(false);
        };
        let Some(current) = timers.timers.get(&timer.key) else {
            return Ok(false);
        };
        if current.claim != timer.claim {
            return Ok(false);
        }
        let score = current.score;
        timers.timers.remove(&timer.key);
        timers.queue.remove(&(score, timer.key.clone()));
        Ok(true)
    }

    pub(crate) async fn timer_count(&self, set: &str) -> Result<usize, StoreError> {
        Ok(self.lock().timers.get(set).map_or(0, |t| t.timers.len()))
    }
}
