"""Conformance of Tocsin's ssm-incidents API with boto3 and the aws CLI: every operation of
the model at least once through the official clients (botocore checks each answer against the
model while parsing it), the incident part of the seed 002 walkthrough with the aws CLI,
pagination, idempotency tokens, and error codes that the model lists for the operation.

Run against a live `tocsin dev` (the Rust test `services/tocsin/tests/it/compat.rs` starts one
and runs every `compat/*_test.py`):

    TOCSIN_ENDPOINT=http://127.0.0.1:8080 TOCSIN_ACCESS_KEY_ID=... TOCSIN_SECRET_ACCESS_KEY=... \
        python -m pytest compat/incidents_test.py

The replication set test runs last: deleting the set deletes the account's incident data.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError


from live import ENDPOINT, KEY, REGION, SECRET, OTHER_KEY, OTHER_SECRET, live, unique
from live import client as live_client

pytestmark = live


def client(key=None, secret=None):
    return live_client("ssm-incidents", key, secret)


@pytest.fixture(scope="module")
def c():
    return client()


def fails(c, operation, code, **params):
    """Calls `operation`, expects error `code`, and checks the model lists it for the call."""
    method = getattr(c, operation)
    with pytest.raises(ClientError) as e:
        method(**params)
    got = e.value.response["Error"]["Code"]
    assert got == code, e.value.response
    op_name = c.meta.method_to_api_mapping[operation]
    listed = [s.name for s in c.meta.service_model.operation_model(op_name).error_shapes]
    assert got in listed, f"{got} is not an error of {op_name}: {listed}"
    return e.value.response


def plan(c, name=None, **extra):
    name = name or unique("plan")
    return c.create_response_plan(
        name=name,
        incidentTemplate={"title": f"{name} trouble", "impact": 3},
        clientToken=unique("tok"),
        **extra,
    )["arn"]


def incident(c, plan_arn, title="compat"):
    return c.start_incident(responsePlanArn=plan_arn, title=title, clientToken=unique("inc"))[
        "incidentRecordArn"
    ]


def test_response_plan_lifecycle_tags_and_policies(c):
    name = unique("db")
    arn = plan(c, name, displayName="Database", tags={"team": "sre"})
    assert arn.endswith(f":response-plan/{name}")
    got = c.get_response_plan(arn=arn)
    assert got["name"] == name and got["incidentTemplate"]["impact"] == 3
    c.update_response_plan(
        arn=arn,
        displayName="Database (prod)",
        incidentTemplateImpact=1,
        incidentTemplateTags={"service": "db"},
        chatChannel={"empty": {}},
    )
    got = c.get_response_plan(arn=arn)
    assert got["displayName"] == "Database (prod)"
    assert got["incidentTemplate"]["impact"] == 1
    assert got["incidentTemplate"]["incidentTags"] == {"service": "db"}

    c.tag_resource(resourceArn=arn, tags={"env": "prod", "cost center": "42"})
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "team": "sre",
        "env": "prod",
        "cost center": "42",
    }
    c.untag_resource(resourceArn=arn, tagKeys=["cost center", "team"])
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod"}
    fails(c, "tag_resource", "ValidationException", resourceArn=arn, tags={"aws:x": "y"})
    too_many = {f"k{i}": "v" for i in range(50)}
    fails(c, "tag_resource", "ServiceQuotaExceededException", resourceArn=arn, tags=too_many)

    account = arn.split(":")[4]
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                    "Action": ["ssm-incidents:GetResponsePlan", "ssm-incidents:StartIncident"],
                    "Resource": [arn, f"arn:aws:ssm-incidents::{account}:incident-record/{name}/*"],
                }
            ],
        }
    )
    policy_id = c.put_resource_policy(resourceArn=arn, policy=doc)["policyId"]
    policies = c.get_resource_policies(resourceArn=arn)["resourcePolicies"]
    assert [(p["policyId"], json.loads(p["policyDocument"])) for p in policies] == [
        (policy_id, json.loads(doc))
    ]
    fails(
        c,
        "put_resource_policy",
        "ValidationException",
        resourceArn=arn,
        policy=doc.replace('"Allow"', '"Deny"'),
    )
    c.delete_resource_policy(resourceArn=arn, policyId=policy_id)
    fails(c, "delete_resource_policy", "ResourceNotFoundException", resourceArn=arn, policyId=policy_id)

    c.delete_response_plan(arn=arn)
    fails(c, "get_response_plan", "ResourceNotFoundException", arn=arn)


def test_response_plans_page_with_sealed_tokens(c):
    prefix = unique("page")
    for i in range(3):
        plan(c, f"{prefix}-{i}")
    names, token, pages = [], None, 0
    while True:
        kw = {"maxResults": 2}
        if token:
            kw["nextToken"] = token
        out = c.list_response_plans(**kw)
        pages += 1
        names += [s["name"] for s in out["responsePlanSummaries"]]
        token = out.get("nextToken")
        if not token:
            break
    assert [n for n in names if n.startswith(prefix)] == [f"{prefix}-{i}" for i in range(3)]
    assert pages >= 2
    # The paginator walks the same pages.
    paged = [
        s["name"]
        for page in c.get_paginator("list_response_plans").paginate(PaginationConfig={"PageSize": 2})
        for s in page["responsePlanSummaries"]
    ]
    assert paged == names
    first = c.list_response_plans(maxResults=1)["nextToken"]
    forged = first[:-1] + ("0" if first[-1] != "0" else "1")
    fails(c, "list_response_plans", "ValidationException", maxResults=1, nextToken=forged)


def test_incident_lifecycle(c):
    name = unique("api")
    p = plan(c, name)
    token = unique("inc")
    trigger = {"source": "compat.test", "timestamp": datetime.now(timezone.utc)}
    first = c.start_incident(
        responsePlanArn=p, title="API errors", impact=2, clientToken=token, triggerDetails=trigger
    )["incidentRecordArn"]
    again = c.start_incident(
        responsePlanArn=p, title="API errors", impact=2, clientToken=token, triggerDetails=trigger
    )["incidentRecordArn"]
    assert again == first, "a retried StartIncident answers the same incident"
    record = c.get_incident_record(arn=first)["incidentRecord"]
    assert record["status"] == "OPEN" and record["impact"] == 2 and record["title"] == "API errors"
    assert isinstance(record["creationTime"], datetime)

    c.update_incident_record(arn=first, impact=3, summary="investigating", clientToken=unique("u"))
    assert c.get_incident_record(arn=first)["incidentRecord"]["impact"] == 3

    # ListIncidentRecords with filters, newest first, paged.
    second = incident(c, p, "second")
    since = datetime.now(timezone.utc) - timedelta(minutes=5)
    listed = c.list_incident_records(
        filters=[
            {"key": "creationTime", "condition": {"after": since}},
            {"key": "status", "condition": {"equals": {"stringValues": ["OPEN"]}}},
        ]
    )["incidentRecordSummaries"]
    arns = [s["arn"] for s in listed]
    assert first in arns and second in arns
    impact3 = c.list_incident_records(
        filters=[{"key": "impact", "condition": {"equals": {"integerValues": [3]}}}]
    )["incidentRecordSummaries"]
    assert first in [s["arn"] for s in impact3]
    page = c.list_incident_records(maxResults=1)
    assert len(page["incidentRecordSummaries"]) == 1 and page["nextToken"]
    fails(
        c,
        "list_incident_records",
        "ValidationException",
        filters=[{"key": "colour", "condition": {"equals": {"stringValues": ["red"]}}}],
    )

    # Timeline events.
    ev_token = unique("ev")
    event = dict(
        incidentRecordArn=first,
        eventTime=datetime(2026, 4, 26, 10, 30, tzinfo=timezone.utc),
        eventType="Custom Event",
        eventData='"Root cause identified"',
        eventReferences=[{"resource": "arn:aws:rds:us-east-1:123456789012:db:primary"}],
        clientToken=ev_token,
    )
    ev = c.create_timeline_event(**event)
    assert c.create_timeline_event(**event)["eventId"] == ev["eventId"]
    got = c.get_timeline_event(incidentRecordArn=first, eventId=ev["eventId"])["event"]
    assert got["eventData"] == '"Root cause identified"' and got["eventType"] == "Custom Event"
    c.update_timeline_event(
        incidentRecordArn=first, eventId=ev["eventId"], eventData='"Root cause: pool exhausted"'
    )
    got = c.get_timeline_event(incidentRecordArn=first, eventId=ev["eventId"])["event"]
    assert got["eventData"] == '"Root cause: pool exhausted"'
    events = c.list_timeline_events(incidentRecordArn=first, sortOrder="DESCENDING")["eventSummaries"]
    types = [e["eventType"] for e in events]
    assert types.count("Custom Event") == 1 and "Incident Created" in types
    created = next(e for e in events if e["eventType"] == "Incident Created")
    fails(
        c,
        "update_timeline_event",
        "ValidationException",
        incidentRecordArn=first,
        eventId=created["eventId"],
        eventData="{}",
    )
    fails(
        c,
        "create_timeline_event",
        "ValidationException",
        incidentRecordArn=first,
        eventTime=datetime.now(timezone.utc),
        eventType="Bogus",
        eventData="{}",
    )
    c.delete_timeline_event(incidentRecordArn=first, eventId=ev["eventId"])
    fails(c, "get_timeline_event", "ResourceNotFoundException", incidentRecordArn=first, eventId=ev["eventId"])

    # Related items.
    item = {"identifier": {"type": "OTHER", "value": {"url": "https://wiki.example/runbook"}}, "title": "Runbook"}
    rel_token = unique("rel")
    c.update_related_items(incidentRecordArn=first, relatedItemsUpdate={"itemToAdd": item}, clientToken=rel_token)
    c.update_related_items(incidentRecordArn=first, relatedItemsUpdate={"itemToAdd": item}, clientToken=rel_token)
    fails(
        c,
        "update_related_items",
        "ConflictException",
        incidentRecordArn=first,
        relatedItemsUpdate={"itemToAdd": item},
        clientToken=unique("rel"),
    )
    c.update_related_items(
        incidentRecordArn=first,
        relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "METRIC", "value": {"metricDefinition": "{}"}}}},
    )
    items = c.list_related_items(incidentRecordArn=first)["relatedItems"]
    assert [i["identifier"]["type"] for i in items] == ["OTHER", "METRIC"]
    assert all(i["generatedId"].startswith("related-item/") for i in items)
    c.update_related_items(incidentRecordArn=first, relatedItemsUpdate={"itemToRemove": item["identifier"]})
    assert len(c.list_related_items(incidentRecordArn=first, maxResults=10)["relatedItems"]) == 1

    # Findings: none (Tocsin has no deployment source), well formed.
    assert c.list_incident_findings(incidentRecordArn=first, maxResults=5)["findings"] == []
    batch = c.batch_get_incident_findings(incidentRecordArn=first, findingIds=["f-1"])
    assert batch["findings"] == [] and batch["errors"][0]["findingId"] == "f-1"

    # Tags on the incident record.
    c.tag_resource(resourceArn=first, tags={"severity": "high"})
    assert c.list_tags_for_resource(resourceArn=first)["tags"]["severity"] == "high"

    # Resolve, then delete.
    c.update_incident_record(arn=first, status="RESOLVED")
    resolved = c.get_incident_record(arn=first)["incidentRecord"]
    assert resolved["status"] == "RESOLVED" and "resolvedTime" in resolved
    c.delete_incident_record(arn=first)
    fails(c, "get_incident_record", "ResourceNotFoundException", arn=first)
    fails(c, "list_incident_findings", "ResourceNotFoundException", incidentRecordArn=first)
    c.delete_incident_record(arn=second)


def test_errors_match_the_model(c):
    p = plan(c)
    account = p.split(":")[4]
    fails(c, "start_incident", "ValidationException", responsePlanArn=p, impact=9)
    fails(
        c,
        "start_incident",
        "ResourceNotFoundException",
        responsePlanArn=f"arn:aws:ssm-incidents::{account}:response-plan/{unique('none')}",
    )
    missing = f"arn:aws:ssm-incidents::{account}:incident-record/x/{uuid.uuid4()}"
    fails(c, "get_incident_record", "ResourceNotFoundException", arn=missing)
    fails(c, "update_incident_record", "ResourceNotFoundException", arn=missing, title="x")
    fails(c, "list_timeline_events", "ValidationException", incidentRecordArn="not-an-arn")
    real = incident(c, p)
    fails(c, "list_related_items", "ValidationException", incidentRecordArn=real, nextToken="forged")
    # The model has no not-found answer for ListRelatedItems: a missing incident has no items.
    assert c.list_related_items(incidentRecordArn=missing)["relatedItems"] == []
    fails(
        c,
        "create_response_plan",
        "ConflictException",
        name=p.split("/")[-1],
        incidentTemplate={"title": "other", "impact": 1},
    )
    bad = boto3.client(
        "ssm-incidents",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET + "x",
    )
    with pytest.raises(ClientError) as e:
        bad.list_response_plans()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.skipif(not OTHER_KEY, reason="set TOCSIN_OTHER_ACCESS_KEY_ID for the tenancy check")
def test_another_account_sees_nothing(c):
    p = plan(c)
    first = incident(c, p)
    other = client(OTHER_KEY, OTHER_SECRET)
    fails(other, "get_incident_record", "ResourceNotFoundException", arn=first)
    fails(other, "get_response_plan", "ResourceNotFoundException", arn=p)
    assert first not in [s["arn"] for s in other.list_incident_records()["incidentRecordSummaries"]]


def aws_cli(*args):
    """Runs `aws ssm-incidents ...` from the venv against the endpoint, returns parsed JSON."""
    exe = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    assert exe, "the aws CLI is not installed (compat/requirements.txt installs it)"
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    out = subprocess.run(
        [exe, "ssm-incidents", *args, "--endpoint-url", ENDPOINT, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, f"aws {' '.join(args)}: {out.stderr}"
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_seed_002_walkthrough_with_the_aws_cli(c):
    # Seed 002, steps 3 and 6-8. The seed writes the template in PascalCase and the plan ARN
    # as `responseplan/`; the ssm-incidents model (and so the CLI) says camelCase and
    # `response-plan/`, which is what is used here.
    name = unique("prod-api-incident-plan")
    account = plan(c).split(":")[4]
    created = aws_cli(
        "create-response-plan",
        "--name", name,
        "--incident-template", json.dumps({
            "title": "Production API Incident",
            "impact": 1,
            "summary": "Critical production API incident requiring immediate response",
            "notificationTargets": [{"snsTopicArn": f"arn:aws:sns:{REGION}:{account}:prod-incidents"}],
        }),
        "--engagements", json.dumps([f"arn:aws:ssm-contacts:{REGION}:{account}:contact/web-team-escalation"]),
        "--actions", json.dumps([{
            "ssmAutomation": {
                "roleArn": f"arn:aws:iam::{account}:role/IncidentManagerAutomationRole",
                "documentName": "AWS-DiagnoseECS",
                "documentVersion": "$DEFAULT",
                "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
                "parameters": {"ClusterArn": [f"arn:aws:ecs:{REGION}:{account}:cluster/prod-cluster"]},
            }
        }]),
    )
    plan_arn = created["arn"]
    assert plan_arn == f"arn:aws:ssm-incidents::{account}:response-plan/{name}"
    started = aws_cli(
        "start-incident",
        "--response-plan-arn", plan_arn,
        "--title", "Production API Manual Incident",
        "--impact", "1",
        "--client-token", f"manual-incident-{int(time.time())}-{uuid.uuid4().hex[:6]}",
    )
    arn = started["incidentRecordArn"]
    aws_cli(
        "create-timeline-event",
        "--incident-record-arn", arn,
        "--event-time", "2026-04-26T10:30:00Z",
        "--event-type", "Custom Event",
        "--event-data", '"Root cause identified: Database connection pool exhausted"',
    )
    aws_cli(
        "update-incident-record",
        "--arn", arn,
        "--status", "RESOLVED",
        "--summary", "Database connection pool increased. Service restored.",
    )
    record = aws_cli("get-incident-record", "--arn", arn)["incidentRecord"]
    assert record["status"] == "RESOLVED"
    assert record["summary"] == "Database connection pool increased. Service restored."
    events = aws_cli("list-timeline-events", "--incident-record-arn", arn)["eventSummaries"]
    types = [e["eventType"] for e in events]
    assert "Custom Event" in types and "Incident Resolved" in types, types


def test_zz_replication_set_lifecycle(c):
    # Last: deleting the set deletes the account's incident data, as in AWS.
    for arn in c.list_replication_sets()["replicationSetArns"]:
        c.update_deletion_protection(arn=arn, deletionProtected=False)
        c.delete_replication_set(arn=arn)
    assert c.list_replication_sets()["replicationSetArns"] == []
    token = unique("rs")
    arn = c.create_replication_set(regions={REGION: {}}, clientToken=token, tags={"team": "sre"})["arn"]
    assert c.create_replication_set(regions={REGION: {}}, clientToken=token)["arn"] == arn
    fails(c, "create_replication_set", "ConflictException", regions={"eu-west-1": {}})
    assert c.list_replication_sets()["replicationSetArns"] == [arn]
    c.update_replication_set(arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}])
    got = c.get_replication_set(arn=arn)["replicationSet"]
    assert set(got["regionMap"]) == {REGION, "eu-west-1"} and got["status"] == "ACTIVE"
    assert got["regionMap"]["eu-west-1"]["status"] == "ACTIVE"
    # A region leaves only once it is 24 hours old.
    fails(
        c,
        "update_replication_set",
        "ValidationException",
        arn=arn,
        actions=[{"deleteRegionAction": {"regionName": "eu-west-1"}}],
    )
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "sre"}
    c.update_deletion_protection(arn=arn, deletionProtected=True, clientToken=unique("dp"))
    assert c.get_replication_set(arn=arn)["replicationSet"]["deletionProtected"] is True
    fails(c, "delete_replication_set", "ValidationException", arn=arn)
    c.update_deletion_protection(arn=arn, deletionProtected=False)
    c.delete_replication_set(arn=arn)
    fails(c, "get_replication_set", "ResourceNotFoundException", arn=arn)
