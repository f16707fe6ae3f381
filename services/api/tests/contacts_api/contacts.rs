//! Contacts, channels, activation, tags, policies, pagination, idempotency and tenancy.

use chrono::Duration;
use serde_json::json;
use tocsin_testkit::Kind;

use crate::{ACCOUNT, REGION, Server, on_both_backends, personal};

on_both_backends!(
    contacts_are_created_read_listed_updated_and_deleted,
    channels_activate_with_the_code_sent_and_only_with_it,
    tags_and_policies_are_kept_per_resource,
    listings_page_with_tokens_that_cannot_be_forged,
    idempotency_tokens_replay_the_first_answer,
    one_account_never_sees_another_accounts_contacts,
);

async fn contacts_are_created_read_listed_updated_and_deleted(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let alice = personal(&s, "alice").await;
    assert_eq!(
        alice,
        format!("arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:contact/alice")
    );
    let got = s
        .call("GetContact", json!({ "ContactId": alice }))
        .await
        .ok();
    assert_eq!(
        got,
        json!({ "ContactArn": alice, "Alias": "alice", "DisplayName": "alice person", "Type": "PERSONAL", "Plan": { "Stages": [] } })
    );
    let again = s
        .call(
            "CreateContact",
            json!({ "Alias": "alice", "Type": "PERSONAL", "Plan": {} }),
        )
        .await
        .err(409, "ConflictException");
    assert_eq!(again["ResourceType"], "CONTACT");

    let esc = s
        .call(
            "CreateContact",
            json!({ "Alias": "oncall-esc", "Type": "ESCALATION", "Plan": { "Stages": [
                { "DurationInMinutes": 5, "Targets": [ { "ContactTargetInfo": { "ContactId": alice, "IsEssential": true } } ] }
            ] } }),
        )
        .await
        .ok()["ContactArn"]
        .as_str()
        .unwrap()
        .to_string();
    let missing = format!("arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:contact/nobody");
    let bad = s
        .call(
            "CreateContact",
            json!({ "Alias": "esc2", "Type": "ESCALATION", "Plan": { "Stages": [
                { "DurationInMinutes": 5, "Targets": [ { "ContactTargetInfo": { "ContactId": missing, "IsEssential": false } } ] }
            ] } }),
        )
        .await
        .err(400, "ValidationException");
    assert_eq!(
        bad["Fields"][0]["Name"],
        "Plan.Stages[0].Targets[0].ContactTargetInfo.ContactId"
    );

    let listed = s
        .call("ListContacts", json!({ "Type": "ESCALATION" }))
        .await
        .ok();
    assert_eq!(
        listed,
        json!({ "Contacts": [ { "ContactArn": esc, "Alias": "oncall-esc", "Type": "ESCALATION" } ] })
    );
    let listed = s
        .call("ListContacts", json!({ "AliasPrefix": "ali" }))
        .await
        .ok();
    assert_eq!(listed["Contacts"].as_array().unwrap().len(), 1);

    s.call(
        "UpdateContact",
        json!({ "ContactId": alice, "DisplayName": "Alice A." }),
    )
    .await
    .ok();
    let got = s
        .call("GetContact", json!({ "ContactId": alice }))
        .await
        .ok();
    assert_eq!(got["DisplayName"], "Alice A.");

    // Alice is engaged by the escalation plan: she cannot go before it.
    let conflict = s
        .call("DeleteContact", json!({ "ContactId": alice }))
        .await
        .err(409, "ConflictException");
    assert_eq!(
        conflict["DependentEntities"][0]["DependentResourceIds"][0],
        esc.as_str()
    );
    s.call("DeleteContact", json!({ "ContactId": esc }))
        .await
        .ok();
    s.call("DeleteContact", json!({ "ContactId": alice }))
        .await
        .ok();
    s.call("GetContact", json!({ "ContactId": alice }))
        .await
        .err(404, "ResourceNotFoundException");
    Ok(())
}

async fn channels_activate_with_the_code_sent_and_only_with_it(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let bob = personal(&s, "bob").await;
    let ch = s
        .call(
            "CreateContactChannel",
            json!({ "ContactId": bob, "Name": "mail", "Type": "EMAIL", "DeliveryAddress": { "SimpleAddress": "bob@example.com" } }),
        )
        .await
        .ok()["ContactChannelArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ch.starts_with(&format!(
        "arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:contact-channel/bob/"
    )));
    let code = s.activation_code(&ch).await?;
    let got = s
        .call("GetContactChannel", json!({ "ContactChannelId": ch }))
        .await
        .ok();
    assert_eq!(got["ActivationStatus"], "NOT_ACTIVATED");
    assert_eq!(
        got["DeliveryAddress"],
        json!({ "SimpleAddress": "bob@example.com" })
    );

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let e = s
        .call(
            "ActivateContactChannel",
            json!({ "ContactChannelId": ch, "ActivationCode": wrong }),
        )
        .await
        .err(400, "ValidationException");
    assert_eq!(e["Fields"][0]["Name"], "ActivationCode");
    // A new code is not sent within the minute.
    s.call("SendActivationCode", json!({ "ContactChannelId": ch }))
        .await
        .err(402, "ServiceQuotaExceededException");
    s.call(
        "ActivateContactChannel",
        json!({ "ContactChannelId": ch, "ActivationCode": code }),
    )
    .await
    .ok();
    let got = s
        .call("GetContactChannel", json!({ "ContactChannelId": ch }))
        .await
        .ok();
    assert_eq!(got["ActivationStatus"], "ACTIVATED");

    // A new address must be activated again; codes expire.
    s.call(
        "UpdateContactChannel",
        json!({ "ContactChannelId": ch, "Name": "work mail", "DeliveryAddress": { "SimpleAddress": "bob@work.example" } }),
    )
    .await
    .ok();
    let got = s
        .call("GetContactChannel", json!({ "ContactChannelId": ch }))
        .await
        .ok();
    assert_eq!(
        (got["Name"].as_str(), got["ActivationStatus"].as_str()),
        (Some("work mail"), Some("NOT_ACTIVATED"))
    );
    s.clock.advance(Duration::minutes(2));
    s.call("SendActivationCode", json!({ "ContactChannelId": ch }))
        .await
        .ok();
    let code = s.activation_code(&ch).await?;
    s.clock.advance(Duration::minutes(16));
    let e = s
        .call(
            "ActivateContactChannel",
            json!({ "ContactChannelId": ch, "ActivationCode": code }),
        )
        .await
        .err(400, "ValidationException");
    assert!(e["Message"].as_str().unwrap().contains("expired"), "{e}");

    let deferred = s
        .call(
            "CreateContactChannel",
            json!({ "ContactId": bob, "Name": "phone", "Type": "VOICE", "DeliveryAddress": { "SimpleAddress": "+15555550100" }, "DeferActivation": true }),
        )
        .await
        .ok()["ContactChannelArn"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = s
        .call("ListContactChannels", json!({ "ContactId": bob }))
        .await
        .ok();
    assert_eq!(listed["ContactChannels"].as_array().unwrap().len(), 2);
    s.call(
        "DeactivateContactChannel",
        json!({ "ContactChannelId": deferred }),
    )
    .await
    .ok();
    s.call(
        "DeleteContactChannel",
        json!({ "ContactChannelId": deferred }),
    )
    .await
    .ok();
    s.call("GetContactChannel", json!({ "ContactChannelId": deferred }))
        .await
        .err(404, "ResourceNotFoundException");
    Ok(())
}

async fn tags_and_policies_are_kept_per_resource(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let carol = personal(&s, "carol").await;
    s.call(
        "TagResource",
        json!({ "ResourceARN": carol, "Tags": [ { "Key": "team", "Value": "db" }, { "Key": "tier", "Value": "1" } ] }),
    )
    .await
    .ok();
    s.call(
        "UntagResource",
        json!({ "ResourceARN": carol, "TagKeys": ["tier"] }),
    )
    .await
    .ok();
    let tags = s
        .call("ListTagsForResource", json!({ "ResourceARN": carol }))
        .await
        .ok();
    assert_eq!(
        tags,
        json!({ "Tags": [ { "Key": "team", "Value": "db" } ] })
    );
    let many: Vec<_> = (0..50)
        .map(|i| json!({ "Key": format!("k{i}"), "Value": "v" }))
        .collect();
    s.call("TagResource", json!({ "ResourceARN": carol, "Tags": many }))
        .await
        .err(402, "ServiceQuotaExceededException");
    s.call(
        "TagResource",
        json!({ "ResourceARN": carol, "Tags": [ { "Key": "bad key!", "Value": "v" } ] }),
    )
    .await
    .err(400, "ValidationException");

    let policy = json!({ "Version": "2012-10-17", "Statement": [] }).to_string();
    s.call(
        "PutContactPolicy",
        json!({ "ContactArn": carol, "Policy": policy }),
    )
    .await
    .ok();
    let got = s
        .call("GetContactPolicy", json!({ "ContactArn": carol }))
        .await
        .ok();
    assert_eq!(got, json!({ "ContactArn": carol, "Policy": policy }));
    s.call(
        "PutContactPolicy",
        json!({ "ContactArn": carol, "Policy": "not json" }),
    )
    .await
    .err(400, "ValidationException");
    Ok(())
}

async fn listings_page_with_tokens_that_cannot_be_forged(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    for alias in ["a1", "a2", "a3", "a4", "a5"] {
        personal(&s, alias).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({ "MaxResults": 2 });
        if let Some(t) = &token {
            req["NextToken"] = json!(t);
        }
        let page = s.call("ListContacts", req).await.ok();
        for c in page["Contacts"].as_array().unwrap() {
            seen.push(c["Alias"].as_str().unwrap().to_string());
        }
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["a1", "a2", "a3", "a4", "a5"]);

    let first = s
        .call("ListContacts", json!({ "MaxResults": 2 }))
        .await
        .ok();
    let t = first["NextToken"].as_str().unwrap().to_string();
    let mut bytes = t.clone().into_bytes();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let e = s
        .call(
            "ListContacts",
            json!({ "MaxResults": 2, "NextToken": tampered }),
        )
        .await
        .err(400, "ValidationException");
    assert_eq!(e["Fields"][0]["Name"], "NextToken");
    // A token is for one listing and one account.
    s.call("ListRotations", json!({ "NextToken": t }))
        .await
        .err(400, "ValidationException");
    s.call_b("ListContacts", json!({ "NextToken": t }))
        .await
        .err(400, "ValidationException");
    Ok(())
}

async fn idempotency_tokens_replay_the_first_answer(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let req = json!({ "Alias": "dave", "Type": "PERSONAL", "Plan": {}, "IdempotencyToken": "create-dave-1" });
    let first = s.call("CreateContact", req.clone()).await.ok();
    let again = s.call("CreateContact", req).await.ok();
    assert_eq!(first, again);
    s.call(
        "CreateContact",
        json!({ "Alias": "dave2", "Type": "PERSONAL", "Plan": {}, "IdempotencyToken": "create-dave-1" }),
    )
    .await
    .err(400, "ValidationException");

    let dave = first["ContactArn"].as_str().unwrap();
    let ch = json!({ "ContactId": dave, "Name": "mail", "Type": "EMAIL", "DeliveryAddress": { "SimpleAddress": "dave@example.com" }, "DeferActivation": true, "IdempotencyToken": "ch-1" });
    let a = s.call("CreateContactChannel", ch.clone()).await.ok();
    let b = s.call("CreateContactChannel", ch).await.ok();
    assert_eq!(a, b);
    let listed = s
        .call("ListContactChannels", json!({ "ContactId": dave }))
        .await
        .ok();
    assert_eq!(listed["ContactChannels"].as_array().unwrap().len(), 1);
    Ok(())
}

async fn one_account_never_sees_another_accounts_contacts(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let erin = personal(&s, "erin").await;
    let e = s
        .call_b("GetContact", json!({ "ContactId": erin }))
        .await
        .err(404, "ResourceNotFoundException");
    assert_eq!(e["ResourceId"], erin.as_str());
    assert_eq!(
        s.call_b("ListContacts", json!({})).await.ok(),
        json!({ "Contacts": [] })
    );
    s.call_b(
        "StartEngagement",
        json!({ "ContactId": erin, "Sender": "b", "Subject": "s", "Content": "c" }),
    )
    .await
    .err(404, "ResourceNotFoundException");
    s.call_b("DeleteContact", json!({ "ContactId": erin }))
        .await
        .err(404, "ResourceNotFoundException");
    s.call_b("ListTagsForResource", json!({ "ResourceARN": erin }))
        .await
        .err(404, "ResourceNotFoundException");
    // B's own contact of the same alias is B's.
    let mine = s
        .call_b(
            "CreateContact",
            json!({ "Alias": "erin", "Type": "PERSONAL", "Plan": {} }),
        )
        .await
        .ok();
    assert!(
        mine["ContactArn"]
            .as_str()
            .unwrap()
            .contains(":210987654321:contact/erin")
    );
    s.call("GetContact", json!({ "ContactId": erin }))
        .await
        .ok();
    Ok(())
}
