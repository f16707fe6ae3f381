//! One executor (or several) on one set of backends, with the HTTP routes and helpers to make
//! incidents and plans.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tocsin_proto::messages::{Event, IncidentOpenedV1, IncidentResolvedV1};
use tocsin_proto::records::{
    IncidentRecord, IncidentTemplate, ResponsePlan, RunbookExecution, RunbookStatus, TimelineEvent,
    kinds, runbook_kinds,
};
use tocsin_runbook::RunbookConfig;
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::{Context, Records};
use tocsin_store::Expect;
use tocsin_testkit::{Kind, ManualClock, TestBackends, wait_until};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct H {
    pub clock: ManualClock,
    pub ctx: Context,
    pub records: Records,
    app: axum::Router,
    _backends: TestBackends,
}

/// A running executor; dropping the handle's task kills it (mid-step included).
pub struct Executor {
    pub task: JoinHandle<anyhow::Result<()>>,
    pub token: CancellationToken,
}

impl Executor {
    /// Kills it at once (no graceful shutdown): its running step dies with it.
    pub async fn kill(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.token.cancel();
        self.task.abort();
    }
}

impl H {
    pub async fn new(kind: Kind) -> anyhow::Result<Self> {
        let backends = TestBackends::new(kind).await?;
        let clock = ManualClock::default();
        let ctx = backends.context(Arc::new(clock.clone()));
        ctx.bus.declare(&tocsin_runbook::topology()).await?;
        let app = tocsin_runbook::router::<()>(&ctx);
        Ok(Self {
            records: ctx.records(),
            clock,
            ctx,
            app,
            _backends: backends,
        })
    }

    pub fn config() -> RunbookConfig {
        RunbookConfig {
            http_allowlist: vec!["127.0.0.1".into()],
            tick: Duration::from_millis(20),
            ..RunbookConfig::default()
        }
    }

    pub fn start(&self) -> Executor {
        self.start_with(Self::config())
    }

    pub fn start_with(&self, config: RunbookConfig) -> Executor {
        let token = CancellationToken::new();
        let task = tokio::spawn(tocsin_runbook::run_with(
            self.ctx.clone(),
            config,
            token.clone(),
        ));
        Executor { task, token }
    }

    /// Waits until the `runbook` timer set is empty: every execution ended and its timer gone.
    pub async fn no_timers_left(&self) -> anyhow::Result<()> {
        wait_until("no runbook timer left", DEADLINE, || async {
            let n = self.ctx.store.timer_count(tocsin_runbook::TIMER_SET).await;
            matches!(n, Ok(0)).then_some(())
        })
        .await
    }

    pub async fn call(&self, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn register(&self, name: &str, content: &str) -> anyhow::Result<()> {
        let (status, body) = self
            .call(
                "POST",
                "/v1/runbooks/documents",
                json!({"name": name, "content": content}),
            )
            .await;
        anyhow::ensure!(status == StatusCode::CREATED, "{status}: {body}");
        Ok(())
    }

    /// A plan named `plan` with `actions`, and an OPEN incident `id` of it.
    pub async fn incident(&self, id: &str, actions: Vec<Value>) -> anyhow::Result<IncidentRecord> {
        let account = self.records.account().to_string();
        let plan = ResponsePlan {
            arn: format!("arn:aws:ssm-incidents::{account}:response-plan/web"),
            name: "web".into(),
            display_name: None,
            incident_template: IncidentTemplate {
                title: "Web down".into(),
                impact: 1,
                summary: None,
                dedupe_string: None,
                incident_tags: Default::default(),
                notification_targets: vec![],
            },
            engagements: vec![],
            chat_channel: None,
            actions,
            integrations: vec![],
            tags: Default::default(),
            auto_resolve: false,
        };
        self.records
            .put(kinds::RESPONSE_PLAN, "web", &plan, Expect::Any)
            .await?;
        let now = self.ctx.clock.now();
        let incident: IncidentRecord = serde_json::from_value(json!({
            "arn": format!("arn:aws:ssm-incidents::{account}:incident-record/web/{id}"),
            "title": "Web down",
            "status": "OPEN",
            "impact": 1,
            "creationTime": now,
            "lastModifiedTime": now,
            "lastModifiedBy": "test",
            "dedupeString": "",
            "incidentRecordSource": {"createdBy": "test", "source": "aws.cloudwatch"},
            "responsePlanArn": plan.arn,
        }))?;
        self.records
            .put(kinds::INCIDENT, id, &incident, Expect::Any)
            .await?;
        Ok(incident)
    }

    pub async fn publish(&self, event: Event) -> anyhow::Result<()> {
        let key = format!("test:{}", uuid::Uuid::new_v4());
        let meta = Meta {
            account: self.records.account(),
            idempotency_key: &key,
            now: self.ctx.clock.now(),
        };
        publish::event(&self.ctx.bus, &meta, event).await?;
        Ok(())
    }

    pub async fn open(&self, incident: &IncidentRecord) -> anyhow::Result<()> {
        let id = incident.arn.rsplit('/').next().unwrap().to_string();
        self.publish(Event::IncidentOpened(IncidentOpenedV1 {
            incident_arn: incident.arn.clone(),
            incident_id: id,
            response_plan_arn: incident.response_plan_arn.clone(),
            title: incident.title.clone(),
            impact: 1,
            engagements: vec![],
        }))
        .await
    }

    pub async fn resolve(&self, incident: &IncidentRecord) -> anyhow::Result<()> {
        self.publish(Event::IncidentResolved(IncidentResolvedV1 {
            incident_arn: incident.arn.clone(),
            incident_id: incident.arn.rsplit('/').next().unwrap().to_string(),
            resolved_by: "test".into(),
        }))
        .await
    }

    pub async fn executions(&self) -> Vec<RunbookExecution> {
        self.records
            .list(runbook_kinds::EXECUTION)
            .await
            .unwrap_or_default()
    }

    pub async fn execution(&self, id: &str) -> Option<RunbookExecution> {
        self.records
            .get::<RunbookExecution>(runbook_kinds::EXECUTION, id)
            .await
            .ok()
            .flatten()
            .map(|(e, _)| e)
    }

    /// Waits until execution `id` satisfies `pred`.
    pub async fn wait(
        &self,
        what: &str,
        id: &str,
        pred: impl Fn(&RunbookExecution) -> bool,
    ) -> anyhow::Result<RunbookExecution> {
        wait_until(what, DEADLINE, || async {
            self.execution(id).await.filter(|e| pred(e))
        })
        .await
    }

    /// Waits until the execution ends.
    pub async fn ended(&self, id: &str) -> anyhow::Result<RunbookExecution> {
        self.wait("the execution to end", id, |e| {
            e.automation_execution_status.is_terminal() && e.outbox.is_empty()
        })
        .await
    }

    /// Starts `doc` by hand; returns the execution id.
    pub async fn start_doc(
        &self,
        doc: &str,
        params: Value,
        incident: Option<&str>,
    ) -> anyhow::Result<String> {
        let (status, body) = self
            .call(
                "POST",
                "/v1/runbooks/executions",
                json!({"documentName": doc, "parameters": params, "incidentId": incident}),
            )
            .await;
        anyhow::ensure!(status == StatusCode::CREATED, "{status}: {body}");
        Ok(body["automationExecutionId"].as_str().unwrap().to_string())
    }

    pub async fn timeline(&self, incident: &str) -> Vec<TimelineEvent> {
        self.records.timeline(incident).await.unwrap_or_default()
    }
}

/// The status and step statuses of an execution, for compact assertions.
pub fn shape(e: &RunbookExecution) -> (RunbookStatus, Vec<(String, RunbookStatus)>) {
    (
        e.automation_execution_status,
        e.step_executions
            .iter()
            .map(|s| (s.step_name.clone(), s.step_status))
            .collect(),
    )
}

/// Waits until exactly one execution exists; returns its id.
pub async fn wait_one(h: &H) -> anyhow::Result<String> {
    wait_until("one execution", DEADLINE, || async {
        let all: Vec<_> = h
            .executions()
            .await
            .into_iter()
            .filter(|e| e.parent.is_none())
            .collect();
        (all.len() == 1).then(|| all[0].automation_execution_id.clone())
    })
    .await
}
