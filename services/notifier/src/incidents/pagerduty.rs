//! PagerDuty per response plan (`integrations[].pagerDutyConfiguration`: `name`, `secretId`,
//! `pagerDutyIncidentConfiguration.serviceId`), through the PagerDuty REST API v2 at
//! `TOCSIN_PAGERDUTY_URL`:
//!
//! | Tocsin | PagerDuty |
//! |---|---|
//! | incident opened | `POST /incidents` on the service, `incident_key` = the incident id (PagerDuty refuses a second open incident with that key, so a lost answer cannot make two) |
//! | each timeline event | `POST /incidents/{id}/notes`, at most 2,000 per incident (AWS's limit) |
//! | incident resolved | `PUT /incidents/{id}` with `status: resolved` |
//!
//! Credentials come from the secret the plan names ([`crate::secrets`]): the JSON
//! `{pagerDutyToken, pagerDutyServiceRegion, pagerDutyFromEmail}` AWS documents; the token goes
//! in `Authorization: Token token=…` and the email in `From`. Neither is logged.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_proto::records::{IncidentRecord, TimelineEvent};
use tocsin_runtime::Records;
use tocsin_store::Expect;

use super::format::Change;
use super::{Again, Incidents, Peer};
use crate::drivers::{SendError, http_failure, transport_failure, truncate};
use crate::secrets::Secrets;

/// Most notes per PagerDuty incident.
pub const MAX_NOTES: u32 = 2000;
/// Record kind counting the notes of an incident.
pub const NOTES_KIND: &str = "notifier-pagerduty-notes";
const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";

/// A plan's `pagerDutyConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Its name.
    pub name: String,
    /// The secret holding the credentials.
    pub secret_id: String,
    /// The PagerDuty service incidents are created on.
    pub service_id: String,
}

/// The PagerDuty configuration among a plan's integrations, if any.
pub fn config(integrations: &[Value]) -> Option<Config> {
    integrations.iter().find_map(|i| {
        let c = i.get("pagerDutyConfiguration")?;
        Some(Config {
            name: c.get("name")?.as_str()?.to_string(),
            secret_id: c.get("secretId")?.as_str()?.to_string(),
            service_id: c
                .get("pagerDutyIncidentConfiguration")?
                .get("serviceId")?
                .as_str()?
                .to_string(),
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credentials {
    pager_duty_token: SecretString,
    pager_duty_from_email: String,
}

/// Notes posted so far.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
struct Notes {
    count: u32,
}

/// A PagerDuty REST API client.
pub struct Client {
    http: reqwest::Client,
    base: String,
    secrets: Secrets,
}

impl Client {
    /// A client of `base` with credentials from `secrets`.
    pub fn new(http: reqwest::Client, base: String, secrets: Secrets) -> Self {
        Self {
            http,
            base,
            secrets,
        }
    }

    async fn credentials(&self, secret_id: &str) -> Result<Credentials, SendError> {
        let secret = self
            .secrets
            .get(secret_id)
            .await
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        serde_json::from_str(secret.expose_secret()).map_err(|_| {
            SendError::Permanent(format!(
                "secret {secret_id:?} is not the PagerDuty JSON {{pagerDutyToken, pagerDutyServiceRegion, pagerDutyFromEmail}}"
            ))
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        secret_id: &str,
        body: Option<Value>,
    ) -> Result<Value, SendError> {
        let c = self.credentials(secret_id).await?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Token token={}", c.pager_duty_token.expose_secret()),
            )
            .header(reqwest::header::ACCEPT, ACCEPT)
            .header("From", c.pager_duty_from_email);
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request
            .send()
            .await
            .map_err(|e| transport_failure("PagerDuty", &e))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        let detail = answer["error"]["message"].as_str().unwrap_or_default();
        let errors = answer["error"]["errors"].to_string();
        Err(http_failure(
            "PagerDuty",
            status,
            &truncate(&format!("{detail} {errors}"), 200),
        ))
    }

    /// Creates the PagerDuty incident of `incident` (or finds the open one with its key).
    async fn create(
        &self,
        cfg: &Config,
        id: &str,
        incident: &IncidentRecord,
    ) -> Result<String, SendError> {
        let urgency = if incident.impact <= 2 { "high" } else { "low" };
        let body = json!({"incident": {
            "type": "incident",
            "title": truncate(&incident.title, 255),
            "service": {"id": cfg.service_id, "type": "service_reference"},
            "urgency": urgency,
            "incident_key": id,
            "body": {"type": "incident_body", "details": format!(
                "Tocsin incident {}\nImpact: {}\n{}",
                incident.arn,
                super::format::impact(incident.impact),
                incident.summary.as_deref().unwrap_or_default()
            )},
        }});
        match self
            .call(
                reqwest::Method::POST,
                "/incidents",
                &cfg.secret_id,
                Some(body),
            )
            .await
        {
            Ok(v) => v["incident"]["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| {
                    SendError::Transient("PagerDuty answered without an incident id".into())
                }),
            // An open incident already has this key: an earlier create went through.
            Err(SendError::Permanent(e)) if e.contains("HTTP 400") => {
                let path = format!("/incidents?incident_key={id}");
                let found = self
                    .call(reqwest::Method::GET, &path, &cfg.secret_id, None)
                    .await?;
                found["incidents"][0]["id"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or(SendError::Permanent(e))
            }
            Err(e) => Err(e),
        }
    }
}

impl Incidents {
    /// Mirrors the incident to PagerDuty when its plan says so.
    pub(super) async fn pagerduty(
        &self,
        records: &Records,
        id: &str,
        incident: &IncidentRecord,
        change: &Change,
    ) -> Result<(), Again> {
        let plan = match records.response_plan(&incident.response_plan_arn).await {
            Ok(p) => p,
            Err(e) => return Err(Again(tocsin_runtime::Outcome::retry(super::RETRY_AFTER, e))),
        };
        let Some(cfg) = plan.and_then(|p| config(&p.integrations)) else {
            return Ok(());
        };
        let pd = &self.inner.pagerduty;
        let account = records.account();
        let created = self
            .once(
                account,
                &format!("pd-incident:{id}"),
                Peer::PagerDuty,
                || pd.create(&cfg, id, incident),
            )
            .await?;
        let Ok(pd_id) = created else {
            return Ok(());
        };
        self.notes(records, id, &cfg, &pd_id).await?;
        if *change == Change::Resolved {
            let body = json!({"incident": {"type": "incident_reference", "status": "resolved"}});
            let path = format!("/incidents/{pd_id}");
            let _resolved = self
                .once(
                    account,
                    &format!("pd-resolve:{id}"),
                    Peer::PagerDuty,
                    || async {
                        pd.call(reqwest::Method::PUT, &path, &cfg.secret_id, Some(body))
                            .await
                            .map(|_| "resolved in PagerDuty".to_string())
                    },
                )
                .await?;
        }
        Ok(())
    }

    /// Posts the timeline events not yet noted, oldest first, up to [`MAX_NOTES`].
    async fn notes(
        &self,
        records: &Records,
        id: &str,
        cfg: &Config,
        pd_id: &str,
    ) -> Result<(), Again> {
        let timeline = records
            .timeline(id)
            .await
            .map_err(|e| Again(tocsin_runtime::Outcome::retry(super::RETRY_AFTER, e)))?;
        let pd = &self.inner.pagerduty;
        let path = format!("/incidents/{pd_id}/notes");
        for event in timeline {
            let key = format!("pd-note:{id}:{}", event.event_id);
            let body = json!({"note": {"content": note(&event)}});
            let step = || async {
                // The slot is taken before the call: at most 2,000 notes, even with retries.
                match self.take_note_slot(records, id).await {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(SendError::Permanent(format!(
                            "PagerDuty note limit reached ({MAX_NOTES} per incident)"
                        )));
                    }
                    Err(e) => return Err(SendError::Transient(e.to_string())),
                }
                pd.call(reqwest::Method::POST, &path, &cfg.secret_id, Some(body))
                    .await
                    .map(|_| "noted".to_string())
            };
            // A refused note (limit reached, bad request) is recorded and the next one tried.
            let _noted = self
                .once(records.account(), &key, Peer::PagerDuty, step)
                .await?;
        }
        Ok(())
    }

    /// Counts one more note; false once [`MAX_NOTES`] are taken.
    async fn take_note_slot(
        &self,
        records: &Records,
        id: &str,
    ) -> Result<bool, tocsin_runtime::records::RecordsError> {
        for _ in 0..8 {
            let (n, expect) = match records.get::<Notes>(NOTES_KIND, id).await? {
                Some((n, v)) => (n, Expect::Version(v)),
                None => (Notes::default(), Expect::Absent),
            };
            if n.count >= MAX_NOTES {
                return Ok(false);
            }
            let next = Notes { count: n.count + 1 };
            match records.put(NOTES_KIND, id, &next, expect).await {
                Ok(_) => return Ok(true),
                Err(tocsin_runtime::records::RecordsError::Store(
                    tocsin_store::StoreError::Conflict { .. },
                )) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }
}

/// A timeline event as note text.
fn note(e: &TimelineEvent) -> String {
    // Event data is JSON text; a JSON string reads better unquoted.
    let data =
        serde_json::from_str::<String>(&e.event_data).unwrap_or_else(|_| e.event_data.clone());
    truncate(
        &format!("[{}] {}: {}", e.event_time.to_rfc3339(), e.event_type, data),
        25_000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_aws_configuration_shape() {
        let integrations = vec![json!({"pagerDutyConfiguration": {
            "name": "pd", "secretId": "pd-secret",
            "pagerDutyIncidentConfiguration": {"serviceId": "PSVC1"}}})];
        assert_eq!(
            config(&integrations),
            Some(Config {
                name: "pd".into(),
                secret_id: "pd-secret".into(),
                service_id: "PSVC1".into()
            })
        );
        assert_eq!(config(&[json!({"other": {}})]), None);
    }
}
