"""What every conformance suite shares: where the live Tocsin is, the keys to sign with, a client
factory, and the marker that skips a suite when no live Tocsin is configured.

The Rust test `services/tocsin/tests/it/compat.rs` sets the variables; by hand:

    TOCSIN_ENDPOINT=http://127.0.0.1:8080 TOCSIN_ACCESS_KEY_ID=... TOCSIN_SECRET_ACCESS_KEY=... \\
        python -m pytest compat/
"""

import os
import uuid

import boto3
import pytest


def _env(*names, default=None):
    for n in names:
        if os.environ.get(n):
            return os.environ[n]
    return default


ENDPOINT = _env("TOCSIN_ENDPOINT", "TOCSIN_COMPAT_ENDPOINT", "AWS_ENDPOINT_URL")
REGION = _env("TOCSIN_REGION", "AWS_DEFAULT_REGION", "AWS_REGION", default="us-east-1")
KEY = _env("TOCSIN_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")
SECRET = _env("TOCSIN_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")
# A key of a second account (tenancy cases) and a read-only key of the first (access control).
OTHER_KEY = _env("TOCSIN_OTHER_ACCESS_KEY_ID")
OTHER_SECRET = _env("TOCSIN_OTHER_SECRET_ACCESS_KEY")
RO_KEY = _env("TOCSIN_READONLY_ACCESS_KEY_ID")
RO_SECRET = _env("TOCSIN_READONLY_SECRET_ACCESS_KEY")

# Put `pytestmark = live` in a suite: it is skipped unless a live Tocsin is configured.
live = pytest.mark.skipif(
    not (ENDPOINT and KEY and SECRET),
    reason="set TOCSIN_ENDPOINT and the access key to run against a live tocsin",
)


def client(service, key=None, secret=None):
    """A boto3 client of `service` on the live Tocsin, signing with `key` (default KEY)."""
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key or KEY,
        aws_secret_access_key=secret or SECRET,
    )


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
