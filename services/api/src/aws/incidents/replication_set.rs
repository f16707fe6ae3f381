//! The replication set as data, and its rules as pure functions of the set and `now`: at most
//! one per account, 1–3 regions, a region leaves only when at least 24 hours old, the last
//! region only with the whole set (`DeleteReplicationSet`) and only with deletion protection
//! off. The handlers in `replication` read, call these, and write compare-and-set.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::aws::error::AwsError;
use crate::aws::wire::epoch;

/// Store kind of the account's replication set (one record, id [`SET_ID`]).
pub const KIND: &str = "replication-set";
/// Id of the one record.
pub const SET_ID: &str = "set";
/// Regions a set holds at most.
pub const MAX_REGIONS: usize = 3;
/// Age a region must reach before it may be deleted.
pub const MIN_REGION_AGE: Duration = Duration::hours(24);

/// The replication set of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationSet {
    /// `arn:aws:ssm-incidents::<account>:replication-set/<id>`.
    pub arn: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_time: DateTime<Utc>,
    /// Who changed it last.
    pub last_modified_by: String,
    /// When.
    pub last_modified_time: DateTime<Utc>,
    /// Whether the last region may be deleted.
    pub deletion_protected: bool,
    /// The regions.
    pub regions: BTreeMap<String, Region>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The `clientToken` it was created with: a retried create answers with this set.
    #[serde(default)]
    pub client_token: Option<String>,
}

/// One region of the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// KMS key (`DefaultKey` when none was given).
    pub sse_kms_key_id: String,
    /// When it joined the set.
    pub added_time: DateTime<Utc>,
}

/// An `UpdateReplicationSetAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Add a region.
    Add {
        /// Region name.
        region: String,
        /// KMS key.
        sse_kms_key_id: Option<String>,
    },
    /// Remove a region.
    Delete {
        /// Region name.
        region: String,
    },
}

/// The set after `action` at `now` by `actor`, or why not.
pub fn update(
    set: &ReplicationSet,
    action: &Action,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<ReplicationSet, AwsError> {
    let mut next = set.clone();
    match action {
        Action::Add {
            region,
            sse_kms_key_id,
        } => {
            if set.regions.contains_key(region) {
                return Err(AwsError::validation(format!(
                    "actions[0].addRegionAction.regionName: {region} is already in the replication set"
                )));
            }
            if set.regions.len() >= MAX_REGIONS {
                return Err(AwsError::validation(format!(
                    "actions[0].addRegionAction: a replication set holds at most {MAX_REGIONS} regions"
                )));
            }
            next.regions.insert(
                region.clone(),
                Region {
                    sse_kms_key_id: sse_kms_key_id
                        .clone()
                        .unwrap_or_else(|| "DefaultKey".into()),
                    added_time: now,
                },
            );
        }
        Action::Delete { region } => {
            let Some(r) = set.regions.get(region) else {
                return Err(AwsError::validation(format!(
                    "actions[0].deleteRegionAction.regionName: {region} is not in the replication set"
                )));
            };
            if set.regions.len() == 1 {
                return Err(AwsError::validation(
                    "actions[0].deleteRegionAction: the last region goes only with the set: use DeleteReplicationSet",
                ));
            }
            if now - r.added_time < MIN_REGION_AGE {
                return Err(AwsError::validation(format!(
                    "actions[0].deleteRegionAction: region {region} was added at {}; a region can be deleted only 24 hours after it was added",
                    r.added_time.to_rfc3339()
                )));
            }
            next.regions.remove(region);
        }
    }
    next.last_modified_by = actor.to_string();
    next.last_modified_time = now;
    Ok(next)
}

/// Whether the set may be deleted now.
pub fn check_delete(set: &ReplicationSet) -> Result<(), AwsError> {
    if set.deletion_protected {
        return Err(AwsError::validation(
            "arn: deletion protection is on; turn it off with UpdateDeletionProtection before deleting the replication set",
        ));
    }
    Ok(())
}

/// `ReplicationSet` on the wire.
pub fn shape(set: &ReplicationSet) -> Value {
    let mut regions = Map::new();
    for (name, r) in &set.regions {
        regions.insert(
            name.clone(),
            json!({
                "sseKmsKeyId": r.sse_kms_key_id,
                "status": "ACTIVE",
                "statusUpdateDateTime": epoch(r.added_time),
            }),
        );
    }
    json!({
        "arn": set.arn,
        "createdBy": set.created_by,
        "createdTime": epoch(set.created_time),
        "deletionProtected": set.deletion_protected,
        "lastModifiedBy": set.last_modified_by,
        "lastModifiedTime": epoch(set.last_modified_time),
        "regionMap": regions,
        "status": "ACTIVE",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn set(now: DateTime<Utc>, regions: &[&str]) -> ReplicationSet {
        ReplicationSet {
            arn: "arn:aws:ssm-incidents::123456789012:replication-set/x".into(),
            created_by: "me".into(),
            created_time: now,
            last_modified_by: "me".into(),
            last_modified_time: now,
            deletion_protected: false,
            regions: regions
                .iter()
                .map(|r| {
                    (
                        r.to_string(),
                        Region {
                            sse_kms_key_id: "DefaultKey".into(),
                            added_time: now,
                        },
                    )
                })
                .collect(),
            tags: BTreeMap::new(),
            client_token: None,
        }
    }

    fn del(region: &str) -> Action {
        Action::Delete {
            region: region.into(),
        }
    }

    #[test]
    fn a_region_leaves_only_after_24_hours_and_never_last() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let s = set(t0, &["us-east-1", "us-west-2"]);
        let early = update(&s, &del("us-west-2"), t0 + Duration::hours(23), "me");
        assert!(early.unwrap_err().message.contains("24 hours"));
        let later = update(&s, &del("us-west-2"), t0 + Duration::hours(24), "me").unwrap();
        assert_eq!(later.regions.keys().collect::<Vec<_>>(), ["us-east-1"]);
        let last = update(&later, &del("us-east-1"), t0 + Duration::days(9), "me");
        assert!(last.unwrap_err().message.contains("DeleteReplicationSet"));
    }

    #[test]
    fn at_most_three_regions_each_once() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let s = set(t0, &["a-1", "b-1", "c-1"]);
        let add = |r: &str| Action::Add {
            region: r.into(),
            sse_kms_key_id: None,
        };
        assert!(update(&s, &add("d-1"), t0, "me").is_err());
        let two = set(t0, &["a-1", "b-1"]);
        assert!(update(&two, &add("a-1"), t0, "me").is_err());
        assert_eq!(
            update(&two, &add("d-1"), t0, "me").unwrap().regions.len(),
            3
        );
    }

    #[test]
    fn protection_blocks_deletion() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let mut s = set(t0, &["us-east-1"]);
        assert!(check_delete(&s).is_ok());
        s.deletion_protected = true;
        assert!(check_delete(&s).is_err());
    }
}
