"""Access control through the official clients: every answer carries a request id (the audit
log's `requestID`), a wrong secret is refused with the signature error code botocore knows, and
a read-only key gets `AccessDeniedException` (an error shape of both models) on a write while
its reads pass.

The read-only case needs a read-only key of the same account, from a keys file:

    [keys.AKIDCOMPATREADONLY1]
    account = "123456789012"
    secret = "compat-read-only-secret-0123"
    policy = "read-only"

and `TOCSIN_READONLY_ACCESS_KEY_ID` / `TOCSIN_READONLY_SECRET_ACCESS_KEY` naming it; without
them that case is skipped.
"""

import uuid

import pytest
from botocore.exceptions import ClientError


from live import RO_KEY, RO_SECRET, client, live

pytestmark = live


def test_answers_carry_a_request_id():
    for service, call in [
        ("ssm-incidents", lambda c: c.list_response_plans()),
        ("ssm-contacts", lambda c: c.list_contacts()),
    ]:
        meta = call(client(service))["ResponseMetadata"]
        assert meta["RequestId"], meta


def test_a_wrong_secret_is_refused_without_saying_why():
    c = client("ssm-incidents", secret="not-the-secret-of-this-key-0123")
    with pytest.raises(ClientError) as e:
        c.list_response_plans()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def _denied(call):
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    assert err["Error"]["Code"] == "AccessDeniedException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    return err


@pytest.mark.skipif(not (RO_KEY and RO_SECRET), reason="needs a read-only key (see the module doc)")
def test_a_read_only_key_reads_but_cannot_write():
    incidents = client("ssm-incidents", RO_KEY, RO_SECRET)
    contacts = client("ssm-contacts", RO_KEY, RO_SECRET)
    incidents.list_response_plans()
    incidents.list_incident_records()
    contacts.list_contacts()
    name = f"ro-{uuid.uuid4().hex[:10]}"
    err = _denied(
        lambda: incidents.create_response_plan(
            name=name, incidentTemplate={"title": "t", "impact": 3}
        )
    )
    assert "ssm-incidents:CreateResponsePlan" in err["Error"]["Message"]
    _denied(
        lambda: contacts.create_contact(Alias=name, Type="PERSONAL", Plan={"Stages": []})
    )
    # Nothing was created.
    arns = [p["arn"] for p in client("ssm-incidents").list_response_plans()["responsePlanSummaries"]]
    assert not any(a.endswith("/" + name) for a in arns)
