//! `clientToken` idempotency for operations that are not idempotent by themselves: the first
//! call with a token claims it in the store (`SET NX` semantics, shared by every replica),
//! runs, and records its answer; a retry with the same token gets that answer without a
//! second effect. A retry racing the first call is told to retry (`ConflictException`).

use std::future::Future;
use std::time::Duration;

use tocsin_store::Claim;

use crate::aws::error::AwsError;
use crate::aws::{AwsState, Caller};

/// How long a token's answer is remembered (SDK retries happen within minutes).
pub const TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// Runs `op` once per (`scope`, `token`) of the caller's account; without a token, every
/// call runs. The answer must be a string (what the handler needs to answer again).
pub async fn once<F, Fut>(
    s: &AwsState,
    caller: &Caller,
    scope: &str,
    token: Option<&str>,
    op: F,
) -> Result<String, AwsError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, AwsError>>,
{
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return op().await;
    };
    let store = &s.ctx.store;
    let key = format!("api-token:{scope}:{token}");
    match store.claim(&caller.account, &key, TOKEN_TTL).await? {
        Claim::Done(answer) => Ok(answer),
        Claim::InFlight => Err(AwsError::conflict(
            "a request with this clientToken is still in progress; retry",
        )),
        Claim::New => match op().await {
            Ok(answer) => {
                store
                    .complete(&caller.account, &key, &answer, TOKEN_TTL)
                    .await?;
                Ok(answer)
            }
            Err(e) => {
                // A refused request leaves nothing to replay: the caller may fix and retry.
                if let Err(release) = store.release(&caller.account, &key).await {
                    tracing::warn!(error = %release, "Could not release a clientToken claim.");
                }
                Err(e)
            }
        },
    }
}
