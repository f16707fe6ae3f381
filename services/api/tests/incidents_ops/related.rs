//! Related items: add, list with generated ids and sealed page tokens, conflicts, removal,
//! client-token retries.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tocsin_testkit::Kind;

use crate::{Api, on_both_backends, plan, start};

on_both_backends!(related_items_are_added_listed_and_removed);

fn url_item(url: &str) -> Value {
    json!({ "identifier": { "type": "OTHER", "value": { "url": url } }, "title": "runbook" })
}

async fn related_items_are_added_listed_and_removed(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", None).await;
    let incident = start(&api, &p, "inc-1").await;
    let add = |item: Value, token: &str| {
        json!({ "incidentRecordArn": incident, "clientToken": token,
                "relatedItemsUpdate": { "itemToAdd": item } })
    };
    for (i, url) in ["https://wiki/a", "https://wiki/b", "https://wiki/c"]
        .iter()
        .enumerate()
    {
        api.post("/updateRelatedItems", add(url_item(url), &format!("t-{i}")))
            .await
            .ok(StatusCode::NO_CONTENT);
    }
    // The same identifier again is a conflict, unless it is a retry of the call that added it.
    api.post(
        "/updateRelatedItems",
        add(url_item("https://wiki/a"), "t-other"),
    )
    .await
    .err(StatusCode::CONFLICT, "ConflictException");
    api.post(
        "/updateRelatedItems",
        add(url_item("https://wiki/a"), "t-0"),
    )
    .await
    .ok(StatusCode::NO_CONTENT);

    let page1 = api
        .post(
            "/listRelatedItems",
            json!({ "incidentRecordArn": incident, "maxResults": 2 }),
        )
        .await
        .ok(StatusCode::OK);
    let items = page1["relatedItems"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page1}");
    assert_eq!(items[0]["identifier"]["value"]["url"], "https://wiki/a");
    let generated = items[0]["generatedId"].as_str().unwrap();
    assert!(
        generated.starts_with("related-item/OTHER/") && generated.len() == 51,
        "{generated}"
    );
    let token = page1["nextToken"].as_str().unwrap();
    let page2 = api
        .post(
            "/listRelatedItems",
            json!({ "incidentRecordArn": incident, "maxResults": 2, "nextToken": token }),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        page2["relatedItems"][0]["identifier"]["value"]["url"],
        "https://wiki/c"
    );
    assert!(page2.get("nextToken").is_none(), "{page2}");
    // A token edited by hand is refused, not trusted as a position.
    let forged = format!("{}0", &token[..token.len() - 1]);
    let forged = if forged == token {
        format!("{}1", &token[..token.len() - 1])
    } else {
        forged
    };
    api.post(
        "/listRelatedItems",
        json!({ "incidentRecordArn": incident, "nextToken": forged }),
    )
    .await
    .err(StatusCode::BAD_REQUEST, "ValidationException");

    let remove = json!({ "incidentRecordArn": incident, "relatedItemsUpdate": {
        "itemToRemove": { "type": "OTHER", "value": { "url": "https://wiki/b" } } } });
    api.post("/updateRelatedItems", remove.clone())
        .await
        .ok(StatusCode::NO_CONTENT);
    api.post("/updateRelatedItems", remove)
        .await
        .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    let all = api
        .post(
            "/listRelatedItems",
            json!({ "incidentRecordArn": incident }),
        )
        .await
        .ok(StatusCode::OK);
    let urls: Vec<&str> = all["relatedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["identifier"]["value"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, ["https://wiki/a", "https://wiki/c"]);

    let both = json!({ "incidentRecordArn": incident, "relatedItemsUpdate": {
        "itemToAdd": url_item("https://x"),
        "itemToRemove": { "type": "OTHER", "value": { "url": "https://x" } } } });
    api.post("/updateRelatedItems", both)
        .await
        .err(StatusCode::BAD_REQUEST, "ValidationException");
    let bad_type = json!({ "identifier": { "type": "WIDGET", "value": { "url": "https://x" } } });
    api.post("/updateRelatedItems", add(bad_type, "t-9"))
        .await
        .err(StatusCode::BAD_REQUEST, "ValidationException");
}
