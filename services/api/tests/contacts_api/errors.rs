//! Error shapes and codes of the model, and the JSON 1.1 protocol's edges.

use serde_json::json;
use tocsin_testkit::Kind;

use crate::signer::Signer;
use crate::{KEY_ID, SECRET, Server, on_both_backends};

on_both_backends!(errors_carry_the_models_shapes);

async fn errors_carry_the_models_shapes(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind).await?;
    let e = s
        .call("MakeCoffee", json!({}))
        .await
        .err(400, "ValidationException");
    assert_eq!(e["Reason"], "UNKNOWN_OPERATION");

    let e = s
        .call("CreateContact", json!({ "Alias": "UPPER", "Type": "BOSS" }))
        .await
        .err(400, "ValidationException");
    assert_eq!(e["Reason"], "FIELD_VALIDATION_FAILED");
    let names: Vec<&str> = e["Fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Plan", "Alias", "Type"], "{e}");
    assert!(e["Message"].as_str().unwrap().contains("Alias"));

    let e = s
        .call("GetContact", json!({ "ContactId": 42 }))
        .await
        .err(400, "ValidationException");
    assert_eq!(e["Reason"], "CANNOT_PARSE");
    let e = s
        .call(
            "GetContact",
            json!({ "ContactId": "arn:aws:ssm-contacts:us-east-1:123456789012:contact/ghost" }),
        )
        .await
        .err(404, "ResourceNotFoundException");
    assert_eq!(
        (&e["ResourceType"], &e["ResourceId"]),
        (
            &json!("CONTACT"),
            &json!("arn:aws:ssm-contacts:us-east-1:123456789012:contact/ghost")
        )
    );
    let e = s
        .call(
            "DescribePage",
            json!({ "PageId": "arn:aws:ssm-contacts:us-east-1:123456789012:page/x/y" }),
        )
        .await
        .err(404, "ResourceNotFoundException");
    assert_eq!(e["ResourceType"], "PAGE");

    // A JSON 1.1 call must be signed for ssm-contacts; errors answer with __type.
    let wrong_scope = Signer::new(KEY_ID, SECRET);
    let a = s
        .send(&wrong_scope, "SSMContacts.ListContacts", json!({}))
        .await;
    assert_eq!(
        (a.status, a.error.as_deref()),
        (403, Some("InvalidSignatureException")),
        "{a:?}"
    );
    let mut stranger = Signer::new("AKIDNOBODY", "nope");
    stranger.service = "ssm-contacts".into();
    let a = s
        .send(&stranger, "SSMContacts.ListContacts", json!({}))
        .await;
    assert_eq!(
        (a.status, a.error.as_deref()),
        (403, Some("UnrecognizedClientException")),
        "{a:?}"
    );
    Ok(())
}
