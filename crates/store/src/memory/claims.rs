//! Idempotency claims and fenced leases in memory.

use std::time::Duration;

use tokio::time::Instant;

use super::{Expiring, Holder, IdemState, MemoryStore, Pair, State, live, pair};
use crate::{Claim, Lease, StoreError};

/// Smallest `idem` size at which expired claims are swept.
const SWEEP_FLOOR: usize = 1024;

impl MemoryStore {
    pub(crate) async fn claim(
        &self,
        account: &str,
        key: &str,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        let mut state = self.lock();
        let key = pair(account, key);
        Ok(match live(&mut state.idem, &key) {
            Some(IdemState::InFlight) => Claim::InFlight,
            Some(IdemState::Done(result)) => Claim::Done(result.clone()),
            None => {
                state.set_idem(key, Expiring::new(IdemState::InFlight, ttl));
                Claim::New
            }
        })
    }

    pub(crate) async fn complete(
        &self,
        account: &str,
        key: &str,
        result: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.lock().set_idem(
            pair(account, key),
            Expiring::new(IdemState::Done(result.to_owned()), ttl),
        );
        Ok(())
    }

    pub(crate) async fn release(&self, account: &str, key: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        let key = pair(account, key);
        if let Some(IdemState::InFlight) = live(&mut state.idem, &key) {
            state.idem.remove(&key);
        }
        Ok(())
    }

    pub(crate) async fn acquire_lease(
        &self,
        account: &str,
        name: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let mut state = self.lock();
        let key = pair(account, name);
        if live(&mut state.leases, &key).is_some() {
            return Ok(None);
        }
        let seq = state.lease_seq.entry(key.clone()).or_default();
        *seq += 1;
        let token = *seq;
        state.leases.insert(
            key,
            Expiring::new(
                Holder {
                    owner: owner.to_owned(),
                    token,
                },
                ttl,
            ),
        );
        Ok(Some(Lease {
            account: account.to_owned(),
            name: name.to_owned(),
            owner: owner.to_owned(),
            token,
        }))
    }

    pub(crate) async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.holds(lease) {
            return Ok(false);
        }
        if let Some(held) = state.leases.get_mut(&pair(&lease.account, &lease.name)) {
            held.until = Instant::now() + ttl;
        }
        Ok(true)
    }

    pub(crate) async fn release_lease(&self, lease: &Lease) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.holds(lease) {
            return Ok(false);
        }
        state.leases.remove(&pair(&lease.account, &lease.name));
        Ok(true)
    }
}

impl State {
    /// True while `lease` is the live holder of its name (the fencing check).
    pub(super) fn holds(&mut self, lease: &Lease) -> bool {
        let key = pair(&lease.account, &lease.name);
        live(&mut self.leases, &key)
            .is_some_and(|held| held.owner == lease.owner && held.token == lease.token)
    }

    /// Stores a claim, sweeping expired ones (and expired leases) once the map has doubled.
    pub(super) fn set_idem(&mut self, key: Pair, value: Expiring<IdemState>) {
        self.idem.insert(key, value);
        if self.idem.len() >= self.next_sweep.max(SWEEP_FLOOR) {
            let now = Instant::now();
            self.idem.retain(|_, e| e.live(now));
            self.leases.retain(|_, e| e.live(now));
            self.next_sweep = self.idem.len() * 2;
        }
    }
}
