"""STS through boto3: who am I, and AssumeRole credentials that map back to the role."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

def trust(account="000000000000"):
    """A trust policy that lets the account's own principals assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}],
    }


TRUST = trust()
SERVICE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def test_caller_identity_defaults_to_the_default_account_root(sts):
    ident = sts.get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    assert ident["UserId"] == "000000000000"


def test_a_twelve_digit_access_key_selects_the_account(server):
    other = make_client("sts", aws_access_key_id="123456789012", aws_secret_access_key="test")
    ident = other.get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"


def test_assume_role_round_trip(sts, iam):
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci-session")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert len(creds["AccessKeyId"]) == 20
    assert creds["SecretAccessKey"] and creds["SessionToken"]
    user = out["AssumedRoleUser"]
    assert user["Arn"] == "arn:aws:sts::000000000000:assumed-role/deployer/ci-session"
    assert user["AssumedRoleId"] == f"{role['RoleId']}:ci-session"
    _, clock = server_clock(sts)
    lifetime = creds["Expiration"].timestamp() - clock
    assert lifetime == pytest.approx(3600, abs=2), "DurationSeconds defaults to one hour"

    as_role = make_client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    ident = as_role.get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == user["Arn"]
    assert ident["UserId"] == user["AssumedRoleId"]


def server_clock(client):
    import urllib.request

    with urllib.request.urlopen(client.meta.endpoint_url + "/_emulator/clock") as r:
        return r.status, json.loads(r.read())["now"]


def test_assume_role_duration_is_honoured(sts, iam):
    role = iam.create_role(RoleName="short", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    _, now = server_clock(sts)
    assert creds["Expiration"].timestamp() - now == pytest.approx(900, abs=2)


def test_assume_role_in_another_account(server, iam):
    acct_iam = make_client("iam", aws_access_key_id="111122223333", aws_secret_access_key="test")
    acct_sts = make_client("sts", aws_access_key_id="111122223333", aws_secret_access_key="test")
    role = acct_iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(trust("111122223333")))["Role"]
    assert role["Arn"] == "arn:aws:iam::111122223333:role/ops"
    creds = acct_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="xx")["Credentials"]
    ident = make_client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    assert ident["Account"] == "111122223333"
    assert ident["Arn"] == "arn:aws:sts::111122223333:assumed-role/ops/xx"
    # The role lives in its own account only.
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="ops")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


def test_assume_role_bad_input(unchecked, iam):
    sts = unchecked("sts")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    cases = [
        ({"RoleSessionName": "s"}, "roleArn"),  # RoleArn missing
        ({"RoleArn": role["Arn"]}, "roleSessionName"),  # RoleSessionName missing
        ({"RoleArn": role["Arn"], "RoleSessionName": "has space"}, "roleSessionName"),
        ({"RoleArn": role["Arn"], "RoleSessionName": "s", "DurationSeconds": 899}, "durationSeconds"),
        ({"RoleArn": role["Arn"], "RoleSessionName": "x" * 65}, "roleSessionName"),
    ]
    for params, member in cases:
        with pytest.raises(ClientError) as e:
            sts.assume_role(**params)
        err = e.value.response["Error"]
        assert err["Code"] == "ValidationError", params
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert member in err["Message"], (params, err["Message"])


def test_assume_role_needs_the_trust_policy_to_name_the_caller(sts, iam):
    role = iam.create_role(RoleName="svc-only", AssumeRolePolicyDocument=json.dumps(SERVICE_TRUST))["Role"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci-session")
    err = e.value.response["Error"]
    assert err["Code"] == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Message"] == (
        "User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: "
        + role["Arn"]
    )
