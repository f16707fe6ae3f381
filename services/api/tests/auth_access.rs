//! Authorisation over both protocols, on both backends: tenants are apart, each built-in policy
//! grants what it says and no more, an explicit Deny wins; and the keys file's rules.

mod auth_support;

use tocsin_testkit::on_both_backends;

use serde_json::json;
use tocsin_testkit::Kind;

use auth_support::{ADMIN_A, ADMIN_B, NO_DELETE_A, READER_A, RESOLVER_A, Server};

on_both_backends!(
    account_b_cannot_read_account_a_incidents,
    a_resolver_starts_and_updates_incidents_but_cannot_delete_a_plan,
    a_read_only_key_gets_and_lists_only,
    an_explicit_deny_beats_an_allow,
);

async fn account_b_cannot_read_account_a_incidents(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let plan = s.plan("db").await;
    let incident = s.start_incident(ADMIN_A, &plan, "t-1").await;
    s.get(ADMIN_B, "/getIncidentRecord", &[("arn", &incident)])
        .await
        .err(404, "ResourceNotFoundException");
    let list = s
        .post(ADMIN_B, "/listIncidentRecords", json!({}))
        .await
        .ok();
    assert_eq!(list, json!({ "incidentRecordSummaries": [] }));
    let events = s
        .post(
            ADMIN_B,
            "/listTimelineEvents",
            json!({ "incidentRecordArn": incident }),
        )
        .await
        .ok();
    assert_eq!(events, json!({ "eventSummaries": [] }));
    s.post(
        ADMIN_B,
        "/updateIncidentRecord",
        json!({ "arn": incident, "status": "RESOLVED" }),
    )
    .await
    .err(404, "ResourceNotFoundException");
    // Still open, as A sees it.
    let a = s
        .get(ADMIN_A, "/getIncidentRecord", &[("arn", &incident)])
        .await
        .ok();
    assert_eq!(a["incidentRecord"]["status"], "OPEN");
    Ok(())
}

async fn a_resolver_starts_and_updates_incidents_but_cannot_delete_a_plan(
    kind: Kind,
) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let plan = s.plan("web").await;
    let incident = s.start_incident(RESOLVER_A, &plan, "r-1").await;
    s.post(
        RESOLVER_A,
        "/updateIncidentRecord",
        json!({ "arn": incident, "impact": 2 }),
    )
    .await
    .ok();
    s.post(
        RESOLVER_A,
        "/createTimelineEvent",
        json!({ "incidentRecordArn": incident, "eventTime": 1772528400, "eventType": "Custom Event", "eventData": "\"looking\"" }),
    )
    .await
    .ok();
    s.get(RESOLVER_A, "/getResponsePlan", &[("arn", &plan)])
        .await
        .ok();
    let refused = s
        .post(RESOLVER_A, "/deleteResponsePlan", json!({ "arn": plan }))
        .await
        .err(403, "AccessDeniedException");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("ssm-incidents:DeleteResponsePlan") && message.contains(&plan),
        "{message}"
    );
    s.post(
        RESOLVER_A,
        "/createResponsePlan",
        json!({ "name": "mine", "incidentTemplate": { "title": "t", "impact": 3 } }),
    )
    .await
    .err(403, "AccessDeniedException");
    // The policy has no ssm-contacts action: refused in the JSON 1.1 shape.
    let c = s
        .contacts(
            RESOLVER_A,
            "CreateContact",
            json!({ "Alias": "eve", "Type": "PERSONAL", "Plan": { "Stages": [] } }),
        )
        .await
        .err(403, "AccessDeniedException");
    assert!(
        c["Message"]
            .as_str()
            .unwrap()
            .contains("ssm-contacts:CreateContact")
    );
    // The plan is still there.
    s.get(ADMIN_A, "/getResponsePlan", &[("arn", &plan)])
        .await
        .ok();
    Ok(())
}

async fn a_read_only_key_gets_and_lists_only(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let plan = s.plan("api").await;
    let incident = s.start_incident(ADMIN_A, &plan, "ro-1").await;
    s.get(READER_A, "/getIncidentRecord", &[("arn", &incident)])
        .await
        .ok();
    let list = s.post(READER_A, "/listResponsePlans", json!({})).await.ok();
    assert_eq!(list["responsePlanSummaries"].as_array().unwrap().len(), 1);
    s.post(
        READER_A,
        "/listTimelineEvents",
        json!({ "incidentRecordArn": incident }),
    )
    .await
    .ok();
    s.contacts(READER_A, "ListContacts", json!({})).await.ok();
    for (path, body) in [
        ("/startIncident", json!({ "responsePlanArn": plan })),
        (
            "/updateIncidentRecord",
            json!({ "arn": incident, "status": "RESOLVED" }),
        ),
        ("/deleteIncidentRecord", json!({ "arn": incident })),
    ] {
        s.post(READER_A, path, body)
            .await
            .err(403, "AccessDeniedException");
    }
    s.contacts(
        READER_A,
        "CreateContact",
        json!({ "Alias": "ro", "Type": "PERSONAL", "Plan": { "Stages": [] } }),
    )
    .await
    .err(403, "AccessDeniedException");
    let a = s
        .get(ADMIN_A, "/getIncidentRecord", &[("arn", &incident)])
        .await
        .ok();
    assert_eq!(a["incidentRecord"]["status"], "OPEN", "nothing was written");
    Ok(())
}

async fn an_explicit_deny_beats_an_allow(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let plan = s.plan("cache").await;
    let incident = s.start_incident(NO_DELETE_A, &plan, "nd-1").await;
    s.get(NO_DELETE_A, "/getResponsePlan", &[("arn", &plan)])
        .await
        .ok();
    let m = s
        .post(
            NO_DELETE_A,
            "/deleteIncidentRecord",
            json!({ "arn": incident }),
        )
        .await
        .err(403, "AccessDeniedException");
    assert!(
        m["message"].as_str().unwrap().contains("explicit deny"),
        "{m}"
    );
    s.post(NO_DELETE_A, "/deleteResponsePlan", json!({ "arn": plan }))
        .await
        .err(403, "AccessDeniedException");
    let alice = s.contact(NO_DELETE_A, "alice").await;
    s.contacts(NO_DELETE_A, "DeleteContact", json!({ "ContactId": alice }))
        .await
        .err(403, "AccessDeniedException");
    // The administrator without the Deny may.
    s.post(ADMIN_A, "/deleteIncidentRecord", json!({ "arn": incident }))
        .await
        .ok();
    Ok(())
}

mod keys_file {
    use std::path::Path;

    use tocsin_api::auth::keys::{KeyRing, Keys, KeysError};
    use tocsin_runtime::Settings;
    use tocsin_testkit::wait_until;

    fn load(dir: &Path, text: &str) -> Result<Keys, KeysError> {
        let f = dir.join("keys.toml");
        std::fs::write(&f, text).unwrap();
        let settings = Settings {
            keys_file: Some(f),
            ..Settings::default()
        };
        Keys::load_with(&settings, &|var| {
            (var == "TEAM_SECRET").then(|| "from-the-environment-0123".to_string())
        })
    }

    #[test]
    fn entries_are_validated_naming_the_key_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let ok = load(
            dir.path(),
            "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret_env = \"TEAM_SECRET\"\npolicy = [\"resolver\", \"read-only\"]\n",
        )
        .unwrap();
        let key = ok.get("AKIDKEYSFILETEST001").unwrap();
        assert_eq!(key.org, None);
        let in_org = load(
            dir.path(),
            "[accounts.111122223333]\norganization = \"o-abcdefghij\"\norg_path = \"o-abcdefghij/r-ab12/ou-ab12-11111111/\"\n\n[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret_env = \"TEAM_SECRET\"\npolicy = \"admin\"\n",
        )
        .unwrap();
        let org = in_org
            .get("AKIDKEYSFILETEST001")
            .unwrap()
            .org
            .clone()
            .unwrap();
        assert_eq!(
            (org.id.as_str(), org.path.as_deref()),
            (
                "o-abcdefghij",
                Some("o-abcdefghij/r-ab12/ou-ab12-11111111/")
            )
        );
        assert_eq!(
            (key.account.as_str(), key.policies.len()),
            ("111122223333", 2)
        );
        for (text, field) in [
            (
                "[keys.AKIDKEYSFILETEST001]\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\npolicy = \"admin\"\n",
                "account",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"1\"\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\npolicy = \"admin\"\n",
                "account",
            ),
            (
                "[keys.short]\naccount = \"111122223333\"\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\npolicy = \"admin\"\n",
                "access key id",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret = \"tiny\"\npolicy = \"admin\"\n",
                "secret",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret_env = \"NOT_SET_ANYWHERE\"\npolicy = \"admin\"\n",
                "secret_env",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret_file = \"missing\"\npolicy = \"admin\"\n",
                "secret_file",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\nsecret_env = \"TEAM_SECRET\"\npolicy = \"admin\"\n",
                "secret",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\n",
                "policy",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\npolicy = \"superuser\"\n",
                "policy",
            ),
            (
                "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\npolicy = [\"admin\", { Statement = [{ Effect = \"Allow\", Action = \"*\" }] }]\n",
                "policy[1]",
            ),
            (
                "[accounts.111122223333]\norganization = \"org-1\"\n",
                "organization",
            ),
            (
                "[accounts.111122223333]\norganization = \"o-abcdefghij\"\norg_path = \"o-other00000/r-ab12/\"\n",
                "org_path",
            ),
            (
                "[accounts.12]\norganization = \"o-abcdefghij\"\n",
                "account",
            ),
        ] {
            match load(dir.path(), text) {
                Err(KeysError::Entry {
                    field: f,
                    rule,
                    key,
                    ..
                }) => {
                    assert_eq!(f, field, "{text}: {rule}");
                    assert!(
                        !rule.contains("s3cr3t") && !key.contains("s3cr3t"),
                        "{rule}"
                    );
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let e = load(
            dir.path(),
            "[keys.AKIDKEYSFILETEST001]\naccount = 5\nunknown = 1\n",
        )
        .unwrap_err();
        assert!(matches!(e, KeysError::File { .. }), "{e}");
        let e = load(
            dir.path(),
            "[keys.AKIDKEYSFILETEST001]\naccount = \"111122223333\"\nsecret = \"s3cr3t-s3cr3t-s3cr3t\"\npolicy = { Statement = { Effect = \"Allow\", Action = \"ssm-incidents:*\", Resource = \"*\", Condition = { DateLessThan = { \"aws:CurrentTime\" = \"2030\" } } } }\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("Condition.DateLessThan"), "{e}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_file_is_reloaded_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let one = "[keys.AKIDRELOADTEST0001]\naccount = \"111122223333\"\nsecret = \"reload-secret-0123456\"\npolicy = \"read-only\"\n";
        let keys = load(dir.path(), one).unwrap();
        let settings = std::sync::Arc::new(Settings {
            keys_file: Some(dir.path().join("keys.toml")),
            ..Settings::default()
        });
        let ring = KeyRing::new(keys);
        let stop = tokio_util::sync::CancellationToken::new();
        tocsin_api::auth::reload::spawn(ring.clone(), settings, stop.clone());
        let two = format!(
            "{one}\n[keys.AKIDRELOADTEST0002]\naccount = \"111122223333\"\nsecret = \"reload-secret-6543210\"\npolicy = \"admin\"\n"
        );
        std::fs::write(dir.path().join("keys.toml"), two).unwrap();
        wait_until("the second key", std::time::Duration::from_secs(20), || {
            let ring = ring.clone();
            async move { ring.keys().get("AKIDRELOADTEST0002").map(|_| ()) }
        })
        .await
        .unwrap();
        assert_eq!(ring.keys().len(), 2);
        stop.cancel();
    }
}
