//! What an SMS reply can act on, kept in the store so any replica answers it.
//!
//! - **Reply index** ([`REPLY_KIND`], one record per phone number): the last pages sent to the
//!   number by SMS or voice with their accept codes, so a reply `472913` finds its page.
//! - **Opt-out** ([`OPT_OUT_KIND`], one record per phone number): a number that replied
//!   `UNSUBSCRIBE` gets no more SMS pages (they fail with a `STOP` detail) until it replies
//!   `START <code>`.
//!
//! Record ids are SHA-256 of the number, so phone numbers are not store keys.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::ids::sha256_hex;
use tocsin_proto::messages::SendPageV1;
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

/// Record kind of the reply index.
pub const REPLY_KIND: &str = "notifier-sms-reply";
/// Record kind of opted-out numbers.
pub const OPT_OUT_KIND: &str = "notifier-sms-opt-out";
/// Pages remembered per number.
const KEEP: usize = 20;

/// Pages sent to one number, newest last.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Replies {
    /// `(page ARN, accept code, sent at)`.
    pub pages: Vec<(String, String, DateTime<Utc>)>,
}

/// An opted-out number.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptOut {
    /// Since when.
    pub since: DateTime<Utc>,
}

/// Adds `page` to its number's reply index.
pub async fn remember(
    records: &Records,
    page: &SendPageV1,
    now: DateTime<Utc>,
) -> Result<(), RecordsError> {
    let id = sha256_hex(page.address.as_bytes());
    for _ in 0..5 {
        let (mut r, expect) = match records.get::<Replies>(REPLY_KIND, &id).await? {
            Some((r, v)) => (r, Expect::Version(v)),
            None => (Replies::default(), Expect::Absent),
        };
        if r.pages.iter().any(|(p, _, _)| p == &page.page_arn) {
            return Ok(());
        }
        r.pages
            .push((page.page_arn.clone(), page.accept_code.clone(), now));
        if r.pages.len() > KEEP {
            r.pages.remove(0);
        }
        match records.put(REPLY_KIND, &id, &r, expect).await {
            Ok(_) => return Ok(()),
            Err(RecordsError::Store(StoreError::Conflict { .. })) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The newest page sent to `from` whose accept code is `code`.
pub async fn page_for(
    records: &Records,
    from: &str,
    code: &str,
) -> Result<Option<String>, RecordsError> {
    let id = sha256_hex(from.as_bytes());
    Ok(records
        .get::<Replies>(REPLY_KIND, &id)
        .await?
        .and_then(|(r, _)| {
            r.pages
                .into_iter()
                .rev()
                .find(|(_, c, _)| c == code)
                .map(|(p, _, _)| p)
        }))
}

/// Whether `number` replied `UNSUBSCRIBE` (and not `START` since).
pub async fn opted_out(records: &Records, number: &str) -> Result<bool, RecordsError> {
    let id = sha256_hex(number.as_bytes());
    Ok(records.get::<OptOut>(OPT_OUT_KIND, &id).await?.is_some())
}

/// Records that `number` opted out.
pub async fn opt_out(
    records: &Records,
    number: &str,
    now: DateTime<Utc>,
) -> Result<(), RecordsError> {
    let id = sha256_hex(number.as_bytes());
    records
        .put(OPT_OUT_KIND, &id, &OptOut { since: now }, Expect::Any)
        .await
        .map(|_| ())
}

/// Lifts `number`'s opt-out.
pub async fn opt_in(records: &Records, number: &str) -> Result<(), RecordsError> {
    let id = sha256_hex(number.as_bytes());
    records
        .store()
        .delete(records.account(), OPT_OUT_KIND, &id)
        .await?;
    Ok(())
}
