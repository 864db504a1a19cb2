"""IAM roles and policies through boto3, as the lab uses them."""

import json

import pytest
from botocore.exceptions import ClientError

# The lab attaches AWSCodeDeployRoleForECS under service-role/; the policy's real ARN has no path.
ECS_CODEDEPLOY_LAB = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS"
ECS_CODEDEPLOY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "", "Effect": "Allow", "Principal": {"Service": ["codedeploy.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ],
}
HOOK_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": ["codedeploy:PutLifecycleEventHookExecutionStatus"],
            "Resource": "arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:*",
            "Effect": "Allow",
        }
    ],
}


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_get_list_role(iam):
    created = iam.create_role(
        RoleName="ecsCodeDeployServiceRole", AssumeRolePolicyDocument=json.dumps(TRUST), Description="blue/green"
    )["Role"]
    assert created["RoleName"] == "ecsCodeDeployServiceRole"
    assert created["Path"] == "/"
    assert created["Arn"] == "arn:aws:iam::000000000000:role/ecsCodeDeployServiceRole"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["AssumeRolePolicyDocument"] == TRUST  # botocore decodes the URL-encoded JSON

    got = iam.get_role(RoleName="ecsCodeDeployServiceRole")["Role"]
    for k in ("RoleName", "RoleId", "Arn", "Path", "CreateDate"):
        assert got[k] == created[k], k
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert got["Description"] == "blue/green"
    assert got["MaxSessionDuration"] == 3600

    iam.create_role(RoleName="other", Path="/service-role/", AssumeRolePolicyDocument=json.dumps(TRUST))
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert {"ecsCodeDeployServiceRole", "other"} <= set(names)
    scoped = iam.list_roles(PathPrefix="/service-role/")["Roles"]
    assert [r["RoleName"] for r in scoped] == ["other"]
    assert scoped[0]["Arn"] == "arn:aws:iam::000000000000:role/service-role/other"


def test_role_names_are_unique_ignoring_case(iam):
    iam.create_role(RoleName="Dup", AssumeRolePolicyDocument=json.dumps(TRUST))
    for name in ("Dup", "dup"):
        with pytest.raises(ClientError) as e:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
        assert error_of(e) == ("EntityAlreadyExists", 409)


def test_missing_role_is_no_such_entity(iam):
    with pytest.raises(iam.exceptions.NoSuchEntityException) as e:
        iam.get_role(RoleName="ghost")
    assert error_of(e) == ("NoSuchEntity", 404)
    assert "ghost" in e.value.response["Error"]["Message"]
    for call in (
        lambda: iam.delete_role(RoleName="ghost"),
        lambda: iam.attach_role_policy(RoleName="ghost", PolicyArn=ECS_CODEDEPLOY),
        lambda: iam.list_attached_role_policies(RoleName="ghost"),
        lambda: iam.put_role_policy(RoleName="ghost", PolicyName="p", PolicyDocument=json.dumps(HOOK_POLICY)),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == ("NoSuchEntity", 404)


def test_attach_the_seeded_aws_managed_policies(iam):
    iam.create_role(RoleName="ecsCodeDeployServiceRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="ecsCodeDeployServiceRole", PolicyArn=ECS_CODEDEPLOY_LAB)
    attached = iam.list_attached_role_policies(RoleName="ecsCodeDeployServiceRole")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSCodeDeployRoleForECS", "PolicyArn": ECS_CODEDEPLOY}]
    # Attaching again is not an error and does not duplicate.
    iam.attach_role_policy(RoleName="ecsCodeDeployServiceRole", PolicyArn=ECS_CODEDEPLOY)
    assert len(iam.list_attached_role_policies(RoleName="ecsCodeDeployServiceRole")["AttachedPolicies"]) == 1

    policy = iam.get_policy(PolicyArn=ECS_CODEDEPLOY)["Policy"]
    assert policy["PolicyName"] == "AWSCodeDeployRoleForECS"
    assert policy["Path"] == "/"
    assert policy["AttachmentCount"] == 1

    iam.create_role(RoleName="hook", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="hook", PolicyArn=LAMBDA_BASIC)
    assert iam.list_attached_role_policies(RoleName="hook")["AttachedPolicies"][0]["PolicyName"] == (
        "AWSLambdaBasicExecutionRole"
    )


def test_attach_unknown_policy(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")
    assert error_of(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName="r", PolicyArn="this-is-not-a-valid-policy-arn")
    assert error_of(e) == ("InvalidInput", 400)


def test_inline_policy_round_trip(iam):
    iam.create_role(RoleName="hook", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="hook", PolicyName="hook-status", PolicyDocument=json.dumps(HOOK_POLICY))
    assert iam.list_role_policies(RoleName="hook")["PolicyNames"] == ["hook-status"]
    got = iam.get_role_policy(RoleName="hook", PolicyName="hook-status")
    assert got["RoleName"] == "hook"
    assert got["PolicyName"] == "hook-status"
    assert got["PolicyDocument"] == HOOK_POLICY
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName="hook", PolicyName="nope")
    assert error_of(e) == ("NoSuchEntity", 404)


def test_delete_role_conflicts_until_policies_are_gone(iam):
    iam.create_role(RoleName="busy", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="busy", PolicyArn=ECS_CODEDEPLOY)
    iam.put_role_policy(RoleName="busy", PolicyName="inline", PolicyDocument=json.dumps(HOOK_POLICY))

    with pytest.raises(iam.exceptions.DeleteConflictException) as e:
        iam.delete_role(RoleName="busy")
    assert error_of(e) == ("DeleteConflict", 409)
    iam.detach_role_policy(RoleName="busy", PolicyArn=ECS_CODEDEPLOY)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="busy")
    assert error_of(e) == ("DeleteConflict", 409)
    iam.delete_role_policy(RoleName="busy", PolicyName="inline")
    iam.delete_role(RoleName="busy")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="busy")
    assert error_of(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName="busy", PolicyArn=ECS_CODEDEPLOY)
    assert error_of(e) == ("NoSuchEntity", 404)


def test_detach_policy_that_is_not_attached(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName="r", PolicyArn=ECS_CODEDEPLOY)
    assert error_of(e) == ("NoSuchEntity", 404)


def test_iam_bad_input(unchecked):
    raw = unchecked("iam")
    validation = [
        (raw.create_role, {"RoleName": "r"}, "assumeRolePolicyDocument"),  # required member missing
        (raw.create_role, {"AssumeRolePolicyDocument": json.dumps(TRUST)}, "roleName"),
        (raw.create_role, {"RoleName": "x" * 65, "AssumeRolePolicyDocument": json.dumps(TRUST)}, "roleName"),
        (raw.create_role, {"RoleName": "bad name", "AssumeRolePolicyDocument": json.dumps(TRUST)}, "roleName"),
        (raw.list_policies, {"Scope": "Everything"}, "scope"),  # not in the enum
        (raw.list_roles, {"MaxItems": 0}, "maxItems"),
        (raw.get_role, {}, "roleName"),
    ]
    for call, params, member in validation:
        with pytest.raises(ClientError) as e:
            call(**params)
        assert error_of(e) == ("ValidationError", 400), params
        assert member in e.value.response["Error"]["Message"], (params, e.value.response["Error"])

    with pytest.raises(ClientError) as e:
        raw.create_role(RoleName="r", AssumeRolePolicyDocument="{not json")
    assert error_of(e) == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as e:
        raw.get_role(RoleName="r")
    assert error_of(e) == ("NoSuchEntity", 404), "nothing was created by the rejected calls"
