//! Idempotency claims and fenced leases on Redis.

use std::time::Duration;

use super::{RedisStore, scripts, ttl_ms};
use crate::{Claim, Lease, StoreError};

/// Value of a claim whose owner is still working.
const IN_FLIGHT: &str = "in-flight";
/// Prefix of a claim that finished, followed by its result.
const DONE: &str = "done:";

impl RedisStore {
    pub(crate) async fn claim(
        &self,
        account: &str,
        key: &str,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        let idem = self.keys.idem(account, key);
        let mut invocation = scripts::CLAIM.prepare_invoke();
        invocation.key(&idem).arg(ttl_ms(ttl));
        let state: String = self.run(&invocation).await?;
        match state.as_str() {
            "new" => Ok(Claim::New),
            IN_FLIGHT => Ok(Claim::InFlight),
            other => match other.strip_prefix(DONE) {
                Some(result) => Ok(Claim::Done(result.to_owned())),
                None => Err(StoreError::Corrupt(idem)),
            },
        }
    }

    pub(crate) async fn complete(
        &self,
        account: &str,
        key: &str,
        result: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let idem = self.keys.idem(account, key);
        self.query(
            redis::cmd("SET")
                .arg(idem)
                .arg(format!("{DONE}{result}"))
                .arg("PX")
                .arg(ttl_ms(ttl)),
        )
        .await
    }

    pub(crate) async fn release(&self, account: &str, key: &str) -> Result<(), StoreError> {
        let mut invocation = scripts::RELEASE.prepare_invoke();
        invocation.key(self.keys.idem(account, key));
        self.run::<i64>(&invocation).await.map(drop)
    }

    pub(crate) async fn acquire_lease(
        &self,
        account: &str,
        name: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let (lease, seq) = self.keys.lease(account, name);
        let mut invocation = scripts::LEASE_ACQUIRE.prepare_invoke();
        invocation.key(lease).key(seq).arg(owner).arg(ttl_ms(ttl));
        let token: Option<u64> = self.run(&invocation).await?;
        Ok(token.map(|token| Lease {
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
        let (key, _) = self.keys.lease(&lease.account, &lease.name);
        let mut invocation = scripts::LEASE_RENEW.prepare_invoke();
        invocation
            .key(key)
            .arg(&lease.owner)
            .arg(lease.token)
            .arg(ttl_ms(ttl));
        self.run(&invocation).await
    }

    pub(crate) async fn release_lease(&self, lease: &Lease) -> Result<bool, StoreError> {
        let (key, _) = self.keys.lease(&lease.account, &lease.name);
        let mut invocation = scripts::LEASE_RELEASE.prepare_invoke();
        invocation.key(key).arg(&lease.owner).arg(lease.token);
        self.run(&invocation).await
    }
}
