"""Conformance of Tocsin's ssm-contacts API with boto3: every operation through the official
client (botocore checks our answers against its model while parsing), the contacts part of the
seed 002 walkthrough, pagination, idempotency tokens and error codes.

Run against a live `tocsin dev` (or `tocsin run --role api`):

    TOCSIN_ENDPOINT=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
        python -m pytest compat/contacts_test.py

Activation and accept codes travel to people, not to API callers, so activating a channel is
checked on its refusal path here (a wrong code); the positive path is covered by the Rust suite
(`services/api/tests/contacts_api`), which reads the codes off the notifier's queue.
"""

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError


from live import OTHER_KEY, OTHER_SECRET, live, unique
from live import client as live_client

pytestmark = live


def client(key=None, secret=None):
    return live_client("ssm-contacts", key, secret)


@pytest.fixture(scope="module")
def c():
    return client()


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def personal(c, alias=None):
    return c.create_contact(
        Alias=alias or unique("p"), DisplayName="Compat Person", Type="PERSONAL", Plan={"Stages": []}
    )["ContactArn"]


def test_contact_lifecycle_and_listing(c):
    alias = unique("alice")
    arn = personal(c, alias)
    assert arn.endswith(f":contact/{alias}")
    got = c.get_contact(ContactId=arn)
    assert got["Alias"] == alias and got["Type"] == "PERSONAL" and got["Plan"]["Stages"] == []
    c.update_contact(ContactId=arn, DisplayName="Alice Compat")
    assert c.get_contact(ContactId=arn)["DisplayName"] == "Alice Compat"
    listed = c.list_contacts(AliasPrefix=alias)["Contacts"]
    assert [x["ContactArn"] for x in listed] == [arn]
    with pytest.raises(ClientError) as e:
        c.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})
    assert error_code(e) == "ConflictException"
    c.delete_contact(ContactId=arn)
    with pytest.raises(ClientError) as e:
        c.get_contact(ContactId=arn)
    assert error_code(e) == "ResourceNotFoundException"


def test_channels_activation_refusals_and_updates(c):
    arn = personal(c)
    ch = c.create_contact_channel(
        ContactId=arn,
        Name="mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": "compat@example.com"},
        DeferActivation=True,
    )["ContactChannelArn"]
    got = c.get_contact_channel(ContactChannelId=ch)
    assert got["ActivationStatus"] == "NOT_ACTIVATED" and got["Type"] == "EMAIL"
    c.send_activation_code(ContactChannelId=ch)
    with pytest.raises(ClientError) as e:
        c.activate_contact_channel(ContactChannelId=ch, ActivationCode="0000000")
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        c.send_activation_code(ContactChannelId=ch)
    assert error_code(e) == "ServiceQuotaExceededException"
    c.update_contact_channel(ContactChannelId=ch, Name="work mail")
    assert c.get_contact_channel(ContactChannelId=ch)["Name"] == "work mail"
    assert len(c.list_contact_channels(ContactId=arn)["ContactChannels"]) == 1
    c.deactivate_contact_channel(ContactChannelId=ch)
    c.delete_contact_channel(ContactChannelId=ch)
    assert c.list_contact_channels(ContactId=arn)["ContactChannels"] == []


def test_escalation_plan_and_engagements(c):
    alice = personal(c)
    ch = c.create_contact_channel(
        ContactId=alice,
        Name="phone",
        Type="SMS",
        DeliveryAddress={"SimpleAddress": "+15555550123"},
        DeferActivation=True,
    )["ContactChannelArn"]
    c.update_contact(
        ContactId=alice,
        Plan={"Stages": [{"DurationInMinutes": 0, "Targets": [{"ChannelTargetInfo": {"ContactChannelId": ch}}]}]},
    )
    esc = c.create_contact(
        Alias=unique("esc"),
        Type="ESCALATION",
        Plan={
            "Stages": [
                {
                    "DurationInMinutes": 5,
                    "Targets": [{"ContactTargetInfo": {"ContactId": alice, "IsEssential": True}}],
                }
            ]
        },
    )["ContactArn"]
    token = unique("tok")
    first = c.start_engagement(
        ContactId=esc, Sender="compat", Subject="Database down", Content="Primary unreachable",
        PublicSubject="Page", PublicContent="You are paged", IncidentId="compat-incident",
        IdempotencyToken=token,
    )["EngagementArn"]
    again = c.start_engagement(
        ContactId=esc, Sender="compat", Subject="Database down", Content="Primary unreachable",
        PublicSubject="Page", PublicContent="You are paged", IncidentId="compat-incident",
        IdempotencyToken=token,
    )["EngagementArn"]
    assert first == again
    d = c.describe_engagement(EngagementId=first)
    assert d["ContactArn"] == esc and d["Subject"] == "Database down" and "StartTime" in d
    listed = c.list_engagements(IncidentId="compat-incident")["Engagements"]
    assert first in [e["EngagementArn"] for e in listed]
    # The SMS channel is not activated: nobody is paged, and the listings say so well-formed.
    assert c.list_pages_by_engagement(EngagementId=first)["Pages"] == []
    assert c.list_pages_by_contact(ContactId=alice)["Pages"] == []
    c.stop_engagement(EngagementId=first, Reason="compat done")
    assert "StopTime" in c.describe_engagement(EngagementId=first)


def test_pages_operations(c):
    # Pages of this account, if any (the demo creates some); else the not-found paths.
    pages = []
    for contact in c.list_contacts()["Contacts"]:
        pages += c.list_pages_by_contact(ContactId=contact["ContactArn"])["Pages"]
    if pages:
        page = pages[0]["PageArn"]
        d = c.describe_page(PageId=page)
        assert d["PageArn"] == page
        c.list_page_receipts(PageId=page)
        c.list_page_resolutions(PageId=page)
        c.accept_page(PageId=page, AcceptType="DELIVERED", AcceptCode="000000", AcceptCodeValidation="IGNORE")
        with pytest.raises(ClientError) as e:
            c.accept_page(PageId=page, AcceptType="READ", AcceptCode="00000000", AcceptCodeValidation="ENFORCE")
        assert error_code(e) == "ValidationException"
        return
    arn = c.get_contact(ContactId=personal(c))["ContactArn"]
    fake = arn.replace(":contact/", ":page/") + "/00000000-0000-0000-0000-000000000000"
    for call in (
        lambda: c.describe_page(PageId=fake),
        lambda: c.list_page_receipts(PageId=fake),
        lambda: c.list_page_resolutions(PageId=fake),
        lambda: c.accept_page(PageId=fake, AcceptType="READ", AcceptCode="123456"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == "ResourceNotFoundException"


def test_rotations_overrides_and_shifts(c):
    a, b = personal(c), personal(c)
    now = int(time.time())
    recurrence = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}
    name = unique("rot")
    rot = c.create_rotation(
        Name=name, ContactIds=[a, b], StartTime=now, TimeZoneId="UTC", Recurrence=recurrence,
        Tags=[{"Key": "team", "Value": "db"}],
    )["RotationArn"]
    got = c.get_rotation(RotationId=rot)
    assert got["Name"] == name and got["ContactIds"] == [a, b]
    assert name in [r["Name"] for r in c.list_rotations(RotationNamePrefix=name)["Rotations"]]
    c.update_rotation(RotationId=rot, ContactIds=[b, a], Recurrence=recurrence)
    shifts = c.list_rotation_shifts(RotationId=rot, StartTime=now, EndTime=now + 3 * 86400)["RotationShifts"]
    assert shifts and shifts[0]["Type"] == "REGULAR"
    o = c.create_rotation_override(
        RotationId=rot, NewContactIds=[a], StartTime=now + 3600, EndTime=now + 7200
    )["RotationOverrideId"]
    assert c.get_rotation_override(RotationId=rot, RotationOverrideId=o)["NewContactIds"] == [a]
    overrides = c.list_rotation_overrides(RotationId=rot, StartTime=now, EndTime=now + 86400)["RotationOverrides"]
    assert [x["RotationOverrideId"] for x in overrides] == [o]
    c.delete_rotation_override(RotationId=rot, RotationOverrideId=o)
    preview = c.list_preview_rotation_shifts(
        RotationStartTime=now, StartTime=now, EndTime=now + 2 * 86400, Members=["x", "y"],
        TimeZoneId="UTC", Recurrence=recurrence,
        Overrides=[{"NewMembers": ["y"], "StartTime": now + 3600, "EndTime": now + 7200}],
    )["RotationShifts"]
    assert preview
    sched = c.create_contact(Alias=unique("sched"), Type="ONCALL_SCHEDULE", Plan={"RotationIds": [rot]})["ContactArn"]
    with pytest.raises(ClientError) as e:
        c.delete_rotation(RotationId=rot)
    assert error_code(e) == "ConflictException"
    c.delete_contact(ContactId=sched)
    c.delete_rotation(RotationId=rot)


def test_tags_and_contact_policy(c):
    arn = personal(c)
    c.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "db"}, {"Key": "tier", "Value": "1"}])
    c.untag_resource(ResourceARN=arn, TagKeys=["tier"])
    assert c.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "db"}]
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    c.put_contact_policy(ContactArn=arn, Policy=policy)
    assert c.get_contact_policy(ContactArn=arn)["Policy"] == policy


def test_pagination_with_the_paginator_and_a_tampered_token(c):
    prefix = unique("pg")
    made = sorted(personal(c, f"{prefix}-{i}") for i in range(5))
    pages = c.get_paginator("list_contacts").paginate(AliasPrefix=prefix, PaginationConfig={"PageSize": 2})
    seen = [x["ContactArn"] for page in pages for x in page["Contacts"]]
    assert seen == made
    token = c.list_contacts(AliasPrefix=prefix, MaxResults=2)["NextToken"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(ClientError) as e:
        c.list_contacts(AliasPrefix=prefix, MaxResults=2, NextToken=tampered)
    assert error_code(e) == "ValidationException"


def test_idempotency_tokens(c):
    alias = unique("idem")
    token = unique("t")
    a = c.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []}, IdempotencyToken=token)
    b = c.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []}, IdempotencyToken=token)
    assert a["ContactArn"] == b["ContactArn"]
    with pytest.raises(ClientError) as e:
        c.create_contact(Alias=alias + "x", Type="PERSONAL", Plan={"Stages": []}, IdempotencyToken=token)
    assert error_code(e) == "ValidationException"


def test_error_codes_match_the_model(c):
    missing = personal(c).rsplit("/", 1)[0] + "/ghost-" + uuid.uuid4().hex[:6]
    with pytest.raises(ClientError) as e:
        c.get_contact(ContactId=missing)
    assert error_code(e) == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        c.create_contact(
            Alias=unique("bad"), Type="PERSONAL",
            Plan={"Stages": [{"DurationInMinutes": 0, "Targets": [{"ChannelTargetInfo": {"ContactChannelId": missing.replace(":contact/", ":contact-channel/") + "/x"}}]}]},
        )
    assert error_code(e) == "ValidationException"
    bad_key = client(key="AKIDUNKNOWN000", secret="nope")
    with pytest.raises(ClientError) as e:
        bad_key.list_contacts()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.skipif(not (OTHER_KEY and OTHER_SECRET), reason="needs a second account's key")
def test_another_account_sees_nothing(c):
    arn = personal(c)
    other = client(OTHER_KEY, OTHER_SECRET)
    with pytest.raises(ClientError) as e:
        other.get_contact(ContactId=arn)
    assert error_code(e) == "ResourceNotFoundException"
