//! Key names, in one place so the layout table in the crate doc stays the only truth.
//!
//! Every key of an account embeds `{<account>}` as its hash tag, and every key of a timer set
//! embeds `{timers:<set>}`: the keys a script touches together always share a cluster slot.

use sha2::{Digest, Sha256};

/// Builds the keys of one namespace.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    /// Prefix of every key (`<ns>`).
    ns: String,
}

impl Keys {
    /// Keys under `namespace`.
    pub(super) fn new(namespace: &str) -> Self {
        Self {
            ns: namespace.to_owned(),
        }
    }

    fn account(&self, account: &str) -> String {
        format!("{}:{{{account}}}", self.ns)
    }

    /// Prefix of the record keys of a kind; the record key is this plus the id.
    pub(super) fn record_prefix(&self, account: &str, kind: &str) -> String {
        format!("{}:rec:{kind}:", self.account(account))
    }

    /// A versioned record.
    pub(super) fn record(&self, account: &str, kind: &str, id: &str) -> String {
        format!("{}{id}", self.record_prefix(account, kind))
    }

    /// The ids of the records of a kind.
    pub(super) fn index(&self, account: &str, kind: &str) -> String {
        format!("{}:idx:{kind}", self.account(account))
    }

    /// Prefix of the incident index keys; an index key is this plus the index name.
    pub(super) fn incident_ix_prefix(&self, account: &str) -> String {
        format!("{}:ix:incident:", self.account(account))
    }

    /// The incident index prefix when `kind` is the incident kind, else empty (the scripts
    /// then keep no index).
    pub(super) fn ix_prefix_for(&self, account: &str, kind: &str) -> String {
        if kind == crate::INCIDENT_KIND {
            self.incident_ix_prefix(account)
        } else {
            String::new()
        }
    }

    /// Prefix of the timeline keys; the timeline key is this plus the incident id.
    pub(super) fn timeline_prefix(&self, account: &str) -> String {
        format!("{}:tl:", self.account(account))
    }

    /// The timeline zset of an incident and its bodies hash.
    pub(super) fn timeline(&self, account: &str, incident_id: &str) -> (String, String) {
        let zset = format!("{}{incident_id}", self.timeline_prefix(account));
        let bodies = format!("{zset}:d");
        (zset, bodies)
    }

    /// The holder of a dedupe string. Hashed: dedupe strings can be long and arbitrary.
    pub(super) fn dedupe(&self, account: &str, dedupe: &str) -> String {
        let digest = hex::encode(Sha256::digest(dedupe.as_bytes()));
        format!("{}:dedupe:{digest}", self.account(account))
    }

    /// An idempotency claim.
    pub(super) fn idem(&self, account: &str, key: &str) -> String {
        format!("{}:idem:{key}", self.account(account))
    }

    /// A lease and its fencing counter.
    pub(super) fn lease(&self, account: &str, name: &str) -> (String, String) {
        let account = self.account(account);
        (
            format!("{account}:lease:{name}"),
            format!("{account}:lease-seq:{name}"),
        )
    }

    /// The keys of a timer set, in the order the timer scripts take them.
    pub(super) fn timers(&self, set: &str) -> [String; 4] {
        let queue = format!("{}:{{timers:{set}}}", self.ns);
        let bodies = format!("{queue}:d");
        let claims = format!("{queue}:c");
        // The claim numbers come from one sequence per set, which outlives the timers: a
        // claim taken before a cancel can never match a timer scheduled later under the
        // same key.
        let seq = format!("{queue}:seq");
        [queue, bodies, claims, seq]
    }
}
