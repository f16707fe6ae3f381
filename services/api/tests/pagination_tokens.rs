//! `ssm-incidents` pagination tokens are sealed with the deployment's secret kept in the
//! store: another deployment (another namespace) refuses them, and a replica on the same store
//! accepts them whatever access keys it is configured with (only keys-file keys here).

mod auth_support;

use tocsin_testkit::on_both_backends;

use std::sync::Arc;

use axum::body::to_bytes;
use serde_json::{Value, json};
use tocsin_core::clock::Clock;
use tocsin_testkit::Kind;
use tower::ServiceExt;

use auth_support::{ADMIN_A, READER_A, Server};

on_both_backends!(
    a_token_of_one_deployment_is_refused_by_another,
    a_replica_with_only_keys_file_keys_accepts_the_token,
);

/// The first page of `listResponsePlans` (one per page) on `s`, which holds plans one and two.
async fn first_token(s: &Server) -> String {
    let page = s
        .post(ADMIN_A, "/listResponsePlans", json!({ "maxResults": 1 }))
        .await
        .ok();
    page["nextToken"].as_str().expect("a next page").to_owned()
}

async fn a_token_of_one_deployment_is_refused_by_another(kind: Kind) -> anyhow::Result<()> {
    let (a, b) = (
        Server::start(kind, None).await?,
        Server::start(kind, None).await?,
    );
    // Real: two namespaces. Memory: two stores under the same namespace and the same keys,
    // which a key derived from the configuration alone could not tell apart.
    if kind == Kind::Real {
        assert_ne!(a.ctx.settings.namespace, b.ctx.settings.namespace);
    }
    for s in [&a, &b] {
        s.plan("one").await;
        s.plan("two").await;
    }
    let token = first_token(&a).await;
    let next = json!({ "maxResults": 1, "nextToken": token });
    let page = a
        .post(ADMIN_A, "/listResponsePlans", next.clone())
        .await
        .ok();
    assert_eq!(page["responsePlanSummaries"][0]["name"], "two", "{page}");
    // Same access keys, same account, same listing: only the deployment differs.
    let refused = b
        .post(ADMIN_A, "/listResponsePlans", next)
        .await
        .err(400, "ValidationException");
    assert!(
        refused["message"].as_str().unwrap().contains("nextToken"),
        "{refused}"
    );
    Ok(())
}

async fn a_replica_with_only_keys_file_keys_accepts_the_token(kind: Kind) -> anyhow::Result<()> {
    let a = Server::start(kind, None).await?;
    a.plan("one").await;
    a.plan("two").await;
    let token = first_token(&a).await;
    // A second replica on the same store, without TOCSIN_AWS_CREDENTIALS.
    let mut ctx = a.ctx.clone();
    let mut settings = (*ctx.settings).clone();
    settings.aws_credentials.clear();
    ctx.settings = Arc::new(settings);
    let keys = tocsin_api::auth::keys::Keys::load(&ctx.settings)?;
    let replica = tocsin_api::router_with_keys(&ctx, tocsin_api::auth::keys::KeyRing::new(keys));
    let req = auth_support::signer::Signer::new(READER_A.id, READER_A.secret).post(
        "/listResponsePlans",
        &json!({ "maxResults": 1, "nextToken": token }),
        a.clock.now(),
    );
    let res = replica.oneshot(req).await?;
    let status = res.status();
    let body: Value = serde_json::from_slice(&to_bytes(res.into_body(), usize::MAX).await?)?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["responsePlanSummaries"][0]["name"], "two", "{body}");
    Ok(())
}
