//! Running roles side by side in one process, each with the same shutdown token.

use std::fmt;
use std::str::FromStr;

use tocsin_runtime::Context;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A service role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Alarms in, incidents out.
    Ingest,
    /// Contacts engaged, pages created, receipts recorded.
    Engagement,
    /// Pages delivered.
    Notifier,
    /// HTTP API.
    Api,
    /// Runbooks run for incidents.
    RunbookExecutor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Ingest,
        Role::Engagement,
        Role::Notifier,
        Role::Api,
        Role::RunbookExecutor,
    ];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Ingest => "ingest",
            Role::Engagement => "engagement",
            Role::Notifier => "notifier",
            Role::Api => "api",
            Role::RunbookExecutor => "runbook-executor",
        })
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.to_string() == s)
            .ok_or_else(|| {
                format!("unknown role {s:?}; roles are ingest, engagement, notifier, api, runbook-executor")
            })
    }
}

/// The running roles of a process.
pub type RoleSet = JoinSet<(Role, anyhow::Result<()>)>;

/// Starts `roles` on `ctx`; each task ends when `shutdown` is cancelled (or fails).
pub fn start(ctx: &Context, roles: &[Role], shutdown: &CancellationToken) -> RoleSet {
    let mut set = JoinSet::new();
    for &role in roles {
        let (ctx, shutdown) = (ctx.clone(), shutdown.clone());
        set.spawn(async move {
            let result = match role {
                Role::Ingest => tocsin_ingest::run(ctx, shutdown).await,
                Role::Engagement => tocsin_engagement::run(ctx, shutdown).await,
                Role::Notifier => tocsin_notifier::run(ctx, shutdown).await,
                Role::Api => tocsin_api::run(ctx, shutdown).await,
                Role::RunbookExecutor => tocsin_runbook::run(ctx, shutdown).await,
            };
            (role, result)
        });
    }
    set
}

/// Waits for every role; the first failure cancels the others and is returned.
pub async fn join(
    mut set: JoinSet<(Role, anyhow::Result<()>)>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mut first_error = None;
    while let Some(joined) = set.join_next().await {
        let (role, result) = joined?;
        if let Err(e) = result {
            tracing::error!(%role, error = %format!("{e:#}"), "Role failed; stopping the others.");
            shutdown.cancel();
            first_error.get_or_insert(e.context(format!("role {role}")));
        }
    }
    first_error.map_or(Ok(()), Err)
}
