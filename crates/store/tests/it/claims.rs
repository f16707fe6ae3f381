//! Idempotency claims: in-flight, done, released, expired.

use tocsin_store::{Claim, Store};

use crate::{LONG_TTL, SHORT_TTL, after_expiry};

pub async fn claim_lifecycle(store: Store) -> anyhow::Result<()> {
    assert_eq!(store.claim("acme", "page:1", LONG_TTL).await?, Claim::New);
    assert_eq!(
        store.claim("acme", "page:1", LONG_TTL).await?,
        Claim::InFlight
    );
    assert_eq!(store.claim("other", "page:1", LONG_TTL).await?, Claim::New);
    store
        .complete("acme", "page:1", "{\"sent\":true}", LONG_TTL)
        .await?;
    assert_eq!(
        store.claim("acme", "page:1", LONG_TTL).await?,
        Claim::Done("{\"sent\":true}".into())
    );
    Ok(())
}

pub async fn release_frees_only_in_flight_claims(store: Store) -> anyhow::Result<()> {
    assert_eq!(store.claim("acme", "k", LONG_TTL).await?, Claim::New);
    store.release("acme", "k").await?;
    assert_eq!(store.claim("acme", "k", LONG_TTL).await?, Claim::New);
    store.complete("acme", "k", "ok", LONG_TTL).await?;
    store.release("acme", "k").await?;
    assert_eq!(
        store.claim("acme", "k", LONG_TTL).await?,
        Claim::Done("ok".into())
    );
    // Releasing a key nobody claimed is harmless.
    store.release("acme", "never").await?;
    Ok(())
}

pub async fn claims_expire(store: Store) -> anyhow::Result<()> {
    // A claimer that crashed in flight stops blocking retries after the ttl.
    assert_eq!(store.claim("acme", "crashed", SHORT_TTL).await?, Claim::New);
    store.claim("acme", "finished", LONG_TTL).await?;
    store.complete("acme", "finished", "r", SHORT_TTL).await?;
    assert_eq!(
        store.claim("acme", "crashed", LONG_TTL).await?,
        Claim::InFlight
    );
    let s = &store;
    after_expiry(s, SHORT_TTL, move || async move {
        Ok((s.claim("acme", "crashed", LONG_TTL).await? == Claim::New).then_some(()))
    })
    .await?;
    after_expiry(s, SHORT_TTL, move || async move {
        Ok((s.claim("acme", "finished", LONG_TTL).await? == Claim::New).then_some(()))
    })
    .await?;
    Ok(())
}
