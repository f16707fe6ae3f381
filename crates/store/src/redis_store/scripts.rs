//! The Lua scripts, one per operation that must change several keys atomically.
//!
//! Each script is the shared prelude followed by its body, hashed once and run by EVALSHA;
//! `redis::Script` loads it on the first `NOSCRIPT` answer, so a restarted Redis heals itself.

use std::sync::LazyLock;

use redis::Script;

/// Declares a script built from `prelude.lua` plus `lua/<file>`.
macro_rules! script {
    ($(#[$doc:meta])* $name:ident = $file:literal) => {
        $(#[$doc])*
        pub(super) static $name: LazyLock<Script> = LazyLock::new(|| {
            Script::new(concat!(include_str!("lua/prelude.lua"), include_str!(concat!("lua/", $file))))
        });
    };
}

script!(
    /// Conditional, optionally fenced record write plus index.
    PUT = "put.lua"
);
script!(
    /// Record delete plus index.
    DELETE = "delete.lua"
);
script!(
    /// All records of a kind.
    LIST = "list.lua"
);
script!(
    /// One page of the records of a kind (SSCAN).
    LIST_PAGE = "list_page.lua"
);
script!(
    /// Idempotent timeline append.
    APPEND = "append.lua"
);
script!(
    /// Idempotent timeline appends, several at once.
    APPEND_BATCH = "append_batch.lua"
);
script!(
    /// Ordered timeline read.
    TIMELINE = "timeline.lua"
);
script!(
    /// Create-or-merge an incident under an idempotency key.
    CREATE_INCIDENT = "create_incident.lua"
);
script!(
    /// Conditional incident write that frees its dedupe string.
    RESOLVE_INCIDENT = "resolve_incident.lua"
);
script!(
    /// Idempotency claim.
    CLAIM = "claim.lua"
);
script!(
    /// Release of an in-flight idempotency claim.
    RELEASE = "release.lua"
);
script!(
    /// Lease acquisition with a fencing token.
    LEASE_ACQUIRE = "lease_acquire.lua"
);
script!(
    /// Lease renewal by its holder.
    LEASE_RENEW = "lease_renew.lua"
);
script!(
    /// Lease release by its holder.
    LEASE_RELEASE = "lease_release.lua"
);
script!(
    /// Timer upsert.
    TIMER_SCHEDULE = "timer_schedule.lua"
);
script!(
    /// Timer removal.
    TIMER_CANCEL = "timer_cancel.lua"
);
script!(
    /// Claim of due timers.
    TIMER_CLAIM = "timer_claim.lua"
);
script!(
    /// Removal of a fired timer by its latest claim.
    TIMER_COMPLETE = "timer_complete.lua"
);
