//! Backend plumbing outside the shared suite: health checks and connection failures.

use tocsin_store::{
    MemoryStore, RedisConfig, RedisStore, Store, StoreError, testing::isolated_redis,
};

#[tokio::test]
async fn both_backends_answer_ping() -> anyhow::Result<()> {
    Store::Memory(MemoryStore::new()).ping().await?;
    let (redis, _namespace) = isolated_redis().await?;
    Store::Redis(redis).ping().await?;
    Ok(())
}

#[tokio::test]
async fn unreachable_redis_is_unavailable_and_keeps_its_password() {
    // Port 1 refuses connections; the password must not appear in errors or Debug output.
    let config = RedisConfig::new("redis://user:s3cret@127.0.0.1:1/0");
    assert!(!format!("{config:?}").contains("s3cret"));
    match RedisStore::connect(config).await {
        Err(StoreError::Unavailable(message)) => assert!(!message.contains("s3cret"), "{message}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_url_is_unavailable() {
    let result = RedisStore::connect(RedisConfig::new("not a url :s3cret")).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(ref m)) if !m.contains("s3cret")),
        "{result:?}"
    );
}
