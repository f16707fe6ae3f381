//! `tocsin incidents`, `tocsin pages ack`, `tocsin shifts preview`: API calls and their
//! printing.

use std::io::Write;

use anyhow::bail;
use serde_json::{Value, json};

use super::client::Client;
use super::table::{id_of, render, text, time};
use super::{IncidentsCommand, Output, PagesCommand, ShiftsCommand};

fn print(
    out: &mut dyn Write,
    output: Output,
    json: &Value,
    human: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    match output {
        Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(json)?)?,
        Output::Table => write!(out, "{}", human())?,
    }
    Ok(())
}

/// Runs `tocsin incidents ...`.
pub async fn run(
    client: &Client,
    output: Output,
    cmd: IncidentsCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match cmd {
        IncidentsCommand::List {
            status,
            impact,
            since,
            created_by,
            limit,
        } => {
            let mut filters = Vec::new();
            if let Some(s) = status {
                filters.push(json!({"key": "status", "condition": {"equals": {"stringValues": [s.to_uppercase()]}}}));
            }
            if !impact.is_empty() {
                filters.push(
                    json!({"key": "impact", "condition": {"equals": {"integerValues": impact}}}),
                );
            }
            if let Some(t) = since {
                filters.push(json!({"key": "creationTime", "condition": {"after": t.timestamp_millis() as f64 / 1000.0}}));
            }
            if let Some(b) = created_by {
                filters.push(
                    json!({"key": "createdBy", "condition": {"equals": {"stringValues": [b]}}}),
                );
            }
            let found = collect(
                client,
                "/listIncidentRecords",
                json!({ "filters": filters }),
                "incidentRecordSummaries",
                limit,
            )
            .await?;
            let json = json!({ "incidentRecordSummaries": found });
            print(out, output, &json, || {
                let rows: Vec<Vec<String>> = found
                    .iter()
                    .map(|r| {
                        vec![
                            id_of(r["arn"].as_str().unwrap_or_default()).to_owned(),
                            text(&r["status"]),
                            text(&r["impact"]),
                            time(&r["creationTime"]),
                            text(&r["title"]),
                        ]
                    })
                    .collect();
                render(&["ID", "STATUS", "IMPACT", "CREATED", "TITLE"], &rows)
            })
        }
        IncidentsCommand::Show { incident } => {
            let arn = find(client, &incident).await?;
            let r = client
                .incidents("GET", "/getIncidentRecord", &[("arn", &arn)], None)
                .await?;
            print(out, output, &r, || {
                let i = &r["incidentRecord"];
                let mut s = String::new();
                for (k, v) in [
                    ("ARN", text(&i["arn"])),
                    ("Title", text(&i["title"])),
                    ("Status", text(&i["status"])),
                    ("Impact", text(&i["impact"])),
                    ("Created", time(&i["creationTime"])),
                    ("Resolved", time(&i["resolvedTime"])),
                    ("Created by", text(&i["incidentRecordSource"]["createdBy"])),
                    ("Source", text(&i["incidentRecordSource"]["source"])),
                    ("Dedupe", text(&i["dedupeString"])),
                    ("Summary", text(&i["summary"])),
                ] {
                    if !v.is_empty() {
                        s.push_str(&format!("{k:<11} {v}\n"));
                    }
                }
                s
            })
        }
        IncidentsCommand::Resolve { incident, summary } => {
            let arn = find(client, &incident).await?;
            let mut body = json!({"arn": arn, "status": "RESOLVED", "clientToken": uuid::Uuid::new_v4().to_string()});
            if let Some(s) = summary {
                body["summary"] = json!(s);
            }
            client
                .incidents("POST", "/updateIncidentRecord", &[], Some(body))
                .await?;
            let json = json!({ "arn": arn, "status": "RESOLVED" });
            print(out, output, &json, || format!("Resolved {arn}\n"))
        }
        IncidentsCommand::Timeline { incident } => {
            let arn = find(client, &incident).await?;
            let events = collect(
                client,
                "/listTimelineEvents",
                json!({"incidentRecordArn": arn, "sortBy": "EVENT_TIME", "sortOrder": "ASCENDING"}),
                "eventSummaries",
                usize::MAX,
            )
            .await?;
            let json = json!({ "eventSummaries": events });
            print(out, output, &json, || {
                let rows: Vec<Vec<String>> = events
                    .iter()
                    .map(|e| {
                        vec![
                            time(&e["eventTime"]),
                            text(&e["eventType"]),
                            text(&e["eventId"]),
                        ]
                    })
                    .collect();
                render(&["TIME", "TYPE", "EVENT ID"], &rows)
            })
        }
    }
}

/// Up to `limit` items of the listing `path` (its `field`), page after page: `body` plus
/// `maxResults` and `nextToken`.
async fn collect(
    client: &Client,
    path: &str,
    body: Value,
    field: &str,
    limit: usize,
) -> anyhow::Result<Vec<Value>> {
    let mut found: Vec<Value> = Vec::new();
    let mut token: Option<String> = None;
    while found.len() < limit {
        let mut page_body = body.clone();
        page_body["maxResults"] = json!((limit - found.len()).min(100));
        if let Some(t) = &token {
            page_body["nextToken"] = json!(t);
        }
        let page = client.incidents("POST", path, &[], Some(page_body)).await?;
        found.extend(page[field].as_array().cloned().unwrap_or_default());
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    found.truncate(limit);
    Ok(found)
}

/// The ARN of an incident given by ARN or by id (looked up in the listing).
async fn find(client: &Client, incident: &str) -> anyhow::Result<String> {
    if incident.starts_with("arn:") {
        return Ok(incident.to_owned());
    }
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"maxResults": 100});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = client
            .incidents("POST", "/listIncidentRecords", &[], Some(body))
            .await?;
        for r in page["incidentRecordSummaries"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let arn = r["arn"].as_str().unwrap_or_default();
            if id_of(arn) == incident {
                return Ok(arn.to_owned());
            }
        }
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => bail!("no incident {incident} in this account"),
        }
    }
}

/// Runs `tocsin pages ...`.
pub async fn run_pages(
    client: &Client,
    output: Output,
    cmd: PagesCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let PagesCommand::Ack { page, code } = cmd;
    if !page.starts_with("arn:") {
        bail!("give the page's ARN (as in the page and on the timeline)");
    }
    let body = json!({
        "PageId": page,
        "AcceptType": "READ",
        "AcceptCode": code.clone().unwrap_or_else(|| "-".into()),
        "AcceptCodeValidation": if code.is_some() { "ENFORCE" } else { "IGNORE" },
    });
    client.contacts("AcceptPage", body).await?;
    let json = json!({ "PageId": page, "AcceptType": "READ" });
    print(out, output, &json, || format!("Acknowledged {page}\n"))
}

/// Runs `tocsin shifts ...`.
pub async fn run_shifts(
    client: &Client,
    output: Output,
    cmd: ShiftsCommand,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let ShiftsCommand::Preview {
        rotation,
        from,
        days,
    } = cmd;
    let start = from.unwrap_or(now);
    let end = start + chrono::Duration::days(days.clamp(1, 366));
    let secs = |t: chrono::DateTime<chrono::Utc>| t.timestamp() as f64;
    let mut shifts: Vec<Value> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"RotationId": rotation, "StartTime": secs(start), "EndTime": secs(end), "MaxResults": 1024});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = client.contacts("ListRotationShifts", body).await?;
        shifts.extend(
            page["RotationShifts"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let json = json!({ "RotationShifts": shifts });
    print(out, output, &json, || {
        let rows: Vec<Vec<String>> = shifts
            .iter()
            .map(|s| {
                let who: Vec<&str> = s["ContactIds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(id_of))
                    .collect();
                vec![
                    time(&s["StartTime"]),
                    time(&s["EndTime"]),
                    text(&s["Type"]),
                    who.join(", "),
                ]
            })
            .collect();
        render(&["START", "END", "TYPE", "ON CALL"], &rows)
    })
}
