"""The lab's IAM and network steps with the real AWS CLI (the pinned awscli from .venv), run the
way the lab writes them, against the spawned server."""

import json
import subprocess

import pytest

CODEDEPLOY_TRUST = """    {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": {
                "Service": [
                    "codedeploy.amazonaws.com"
                ]
            },
            "Action": "sts:AssumeRole"
        }
    ]
}
"""

LAMBDA_TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
  ]
}
"""

HOOK_POLICY = """    {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "codedeploy:PutLifecycleEventHookExecutionStatus"
            ],
            "Resource": "arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:*",
            "Effect": "Allow"
        }
    ]
}
"""


def run(args, cwd):
    return subprocess.run(["aws", *args, "--output", "json"], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def aws(server, tmp_path):
    def call(*args):
        r = run(args, tmp_path)
        assert r.returncode == 0, f"aws {' '.join(args)} exited {r.returncode}\n{r.stderr}"
        return json.loads(r.stdout) if r.stdout.strip() else None

    call.cwd = tmp_path
    return call


@pytest.fixture
def aws_fails(server, tmp_path):
    def call(code, *args):
        r = run(args, tmp_path)
        assert r.returncode != 0, f"aws {' '.join(args)} succeeded: {r.stdout}"
        assert f"({code})" in r.stderr, r.stderr
        return r.stderr

    return call


def test_the_pinned_cli_is_used(server):
    r = subprocess.run(["aws", "--version"], capture_output=True, text=True)
    assert r.returncode == 0
    version = (r.stdout + r.stderr).strip()
    assert version.startswith("aws-cli/1.45.11 "), version
    assert "botocore/1.43.11" in version, version


def test_get_caller_identity(aws):
    ident = aws("sts", "get-caller-identity")
    assert ident == {"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}


def test_lab_step_1_codedeploy_service_role(aws, aws_fails):
    (aws.cwd / "CodeDeploy-iam-trust-policy.json").write_text(CODEDEPLOY_TRUST)
    role = aws(
        "iam", "create-role",
        "--role-name", "ecsCodeDeployServiceRole",
        "--assume-role-policy-document", "file://CodeDeploy-iam-trust-policy.json",
    )["Role"]
    assert role["RoleName"] == "ecsCodeDeployServiceRole"
    assert role["Arn"] == "arn:aws:iam::000000000000:role/ecsCodeDeployServiceRole"
    assert role["AssumeRolePolicyDocument"] == json.loads(CODEDEPLOY_TRUST)

    out = aws(
        "iam", "attach-role-policy",
        "--role-name", "ecsCodeDeployServiceRole",
        "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS",
    )
    assert out is None, "attach-role-policy prints nothing"
    attached = aws("iam", "list-attached-role-policies", "--role-name", "ecsCodeDeployServiceRole")
    assert attached["AttachedPolicies"] == [
        # Recorded under the policy's real ARN (no service-role/ path), whichever spelling attached it.
        {"PolicyName": "AWSCodeDeployRoleForECS", "PolicyArn": "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"}
    ]
    # Running step 1 a second time fails the way AWS does.
    aws_fails(
        "EntityAlreadyExists",
        "iam", "create-role",
        "--role-name", "ecsCodeDeployServiceRole",
        "--assume-role-policy-document", "file://CodeDeploy-iam-trust-policy.json",
    )


def test_lab_lambda_hook_role(aws, aws_fails):
    (aws.cwd / "lambda-trust.json").write_text(LAMBDA_TRUST)
    (aws.cwd / "hook-policy.json").write_text(HOOK_POLICY)
    role = aws(
        "iam", "create-role",
        "--role-name", "CodeDeployHookRole",
        "--assume-role-policy-document", "file://lambda-trust.json",
    )["Role"]
    aws(
        "iam", "attach-role-policy",
        "--role-name", "CodeDeployHookRole",
        "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )
    aws(
        "iam", "put-role-policy",
        "--role-name", "CodeDeployHookRole",
        "--policy-name", "PutLifecycleEventHookExecutionStatus",
        "--policy-document", "file://hook-policy.json",
    )
    got = aws("iam", "get-role", "--role-name", "CodeDeployHookRole")["Role"]
    assert got["Arn"] == role["Arn"]
    assert aws("iam", "list-role-policies", "--role-name", "CodeDeployHookRole")["PolicyNames"] == [
        "PutLifecycleEventHookExecutionStatus"
    ]
    inline = aws(
        "iam", "get-role-policy", "--role-name", "CodeDeployHookRole", "--policy-name", "PutLifecycleEventHookExecutionStatus"
    )
    assert inline["PolicyDocument"] == json.loads(HOOK_POLICY)
    names = [p["PolicyName"] for p in aws("iam", "list-attached-role-policies", "--role-name", "CodeDeployHookRole")["AttachedPolicies"]]
    assert names == ["AWSLambdaBasicExecutionRole"]
    aws_fails("DeleteConflict", "iam", "delete-role", "--role-name", "CodeDeployHookRole")
    aws_fails("NoSuchEntity", "iam", "get-role", "--role-name", "NoSuchRole")


def test_network_lookups(aws):
    vpcs = aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true")["Vpcs"]
    assert len(vpcs) == 1
    vpc_id = vpcs[0]["VpcId"]
    assert vpcs[0]["CidrBlock"] == "172.31.0.0/16"
    assert aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true", "--query", "Vpcs[0].VpcId") == vpc_id

    subnets = aws(
        "ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc_id}", "Name=default-for-az,Values=true"
    )["Subnets"]
    assert len(subnets) >= 2
    assert all(s["VpcId"] == vpc_id and s["DefaultForAz"] for s in subnets)
    ids = aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc_id}", "--query", "Subnets[].SubnetId")
    assert sorted(ids) == sorted(s["SubnetId"] for s in subnets)

    groups = aws(
        "ec2", "describe-security-groups", "--filters", f"Name=vpc-id,Values={vpc_id}", "Name=group-name,Values=default"
    )["SecurityGroups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    assert groups[0]["GroupId"].startswith("sg-")
