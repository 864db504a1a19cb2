"""Every error cutover sends is one botocore parses, in the protocol the request spoke: awsQuery
(IAM, STS, ELBv2, CloudWatch), EC2, awsJson (ECS, CodeDeploy, Logs) and restJson (Lambda).

The broken requests no SDK would send (a body that is not the gzip it says, a declared length
over the limit, no Action, an unknown Action, list members numbered other than 1..N) are written
by hand with http.client; their answers go through botocore's own response parsers with the
operation's output shape, as a client would read them. An unknown region goes through real
boto3 clients.
"""

import functools
import gzip
import http.client
import json
import urllib.parse

import botocore.parsers
import botocore.session
import pytest
from botocore.exceptions import ClientError

from conftest import make_client

try:
    from urllib3 import HTTPHeaderDict
except ImportError:  # urllib3 < 2
    from urllib3._collections import HTTPHeaderDict

FORM = "application/x-www-form-urlencoded; charset=utf-8"
SESSION = botocore.session.get_session()


def auth(service, region="us-east-1"):
    return (
        f"AWS4-HMAC-SHA256 Credential=test/20240101/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


def raw(server, method, target, headers, body=b"", declared=None):
    """One request as written; `declared` sends that Content-Length and no body at all."""
    url = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(declared if declared is not None else len(body)))
        conn.endheaders()
        if declared is None and body:
            conn.send(body)
        resp = conn.getresponse()
        hdrs = HTTPHeaderDict()
        for k, v in resp.getheaders():
            hdrs.add(k, v)
        return resp.status, hdrs, resp.read()
    finally:
        conn.close()


def parse_error(protocol, service, operation, answer):
    """The error code botocore's parser for `protocol` reads from the answer."""
    status, headers, body = answer
    model = SESSION.get_service_model(service)
    shape = model.operation_model(operation).output_shape
    parser = botocore.parsers.create_parser(protocol)
    parsed = parser.parse({"status_code": status, "headers": headers, "body": body}, shape)
    return parsed.get("Error", {}).get("Code")


# (botocore service name, signing name, query Version, an operation): the awsQuery family.
QUERY = [
    ("iam", "iam", "2010-05-08", "ListRoles"),
    ("sts", "sts", "2011-06-15", "GetCallerIdentity"),
    ("elbv2", "elasticloadbalancing", "2015-12-01", "DescribeLoadBalancers"),
    ("cloudwatch", "monitoring", "2010-08-01", "DescribeAlarms"),
]
EC2 = ("ec2", "ec2", "2016-11-15", "DescribeVpcs")
# (service, target prefix, content type, an operation): the awsJson family.
JSON = [
    ("ecs", "AmazonEC2ContainerServiceV20141113", "application/x-amz-json-1.1", "ListClusters"),
    ("codedeploy", "CodeDeploy_20141006", "application/x-amz-json-1.1", "ListApplications"),
    ("logs", "Logs_20140328", "application/x-amz-json-1.1", "DescribeLogGroups"),
]
HUGE = 100_000_000  # over cutover's 72 MiB limit


@functools.cache
def gzip_bomb():
    """A small gzip body that inflates past the limit."""
    return gzip.compress(b"a" * (80 * 1024 * 1024), compresslevel=9)


def query_headers(signing, **extra):
    return {"Content-Type": FORM, "Authorization": auth(signing), **extra}


def json_headers(prefix, content_type, operation, **extra):
    return {"Content-Type": content_type, "X-Amz-Target": f"{prefix}.{operation}", **extra}


@pytest.mark.parametrize("service,signing,version,op", QUERY + [EC2], ids=lambda v: str(v))
def test_query_errors_parse(server, service, signing, version, op):
    protocol = "ec2" if service == "ec2" else "query"
    body = f"Action={op}&Version={version}".encode()

    # A body that is not the gzip it says it is.
    answer = raw(server, "POST", "/", query_headers(signing, **{"Content-Encoding": "gzip"}), body)
    assert answer[0] == 400, answer
    want = "InvalidParameterValue" if service == "ec2" else "MalformedInput"
    assert parse_error(protocol, service, op, answer) == want

    # A declared length over the limit: 413 at once, in the protocol's shape.
    answer = raw(server, "POST", "/", query_headers(signing), declared=HUGE)
    assert answer[0] == 413, answer
    assert parse_error(protocol, service, op, answer) == "RequestEntityTooLarge"

    # A gzip body that inflates past the limit.
    answer = raw(server, "POST", "/", query_headers(signing, **{"Content-Encoding": "gzip"}), gzip_bomb())
    assert answer[0] == 413, answer[0]
    assert parse_error(protocol, service, op, answer) == "RequestEntityTooLarge"

    # No Action, signed for the service, and with nothing at all to go by.
    answer = raw(server, "POST", "/", query_headers(signing), f"Version={version}".encode())
    assert answer[0] == 400, answer
    assert parse_error(protocol, service, op, answer) == "MissingAction"
    answer = raw(server, "POST", "/", {"Content-Type": FORM}, b"Foo=bar")
    assert parse_error(protocol, service, op, answer) == "MissingAction"

    # An Action the service does not have.
    answer = raw(server, "POST", "/", query_headers(signing), f"Action=NoSuchAction&Version={version}".encode())
    assert answer[0] == 400, answer
    assert parse_error(protocol, service, op, answer) == "InvalidAction"


@pytest.mark.parametrize(
    "service,signing,body,want",
    [
        ("iam", "iam", "Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys.member.2=b", "MalformedInput"),
        ("iam", "iam", "Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys.member.0=a", "MalformedInput"),
        (
            "elbv2",
            "elasticloadbalancing",
            "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=a&Names.member.3=c",
            "MalformedInput",
        ),
        (
            "cloudwatch",
            "monitoring",
            "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.0=a",
            "MalformedInput",
        ),
        ("ec2", "ec2", "Action=DescribeVpcs&Version=2016-11-15&VpcId.2=vpc-1", "InvalidParameterValue"),
        ("ec2", "ec2", "Action=DescribeVpcs&Version=2016-11-15&Filter.0.Name=vpc-id&Filter.0.Value.1=vpc-1", "InvalidParameterValue"),
    ],
)
def test_list_members_numbered_other_than_1_to_n_are_refused(server, service, signing, body, want):
    protocol = "ec2" if service == "ec2" else "query"
    op = dict(urllib.parse.parse_qsl(body))["Action"]
    answer = raw(server, "POST", "/", query_headers(signing), body.encode())
    assert answer[0] == 400, answer
    assert parse_error(protocol, service, op, answer) == want


def test_list_members_1_to_n_in_any_order_are_read(server):
    iam = make_client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    )
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    body = b"Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys.member.2=b&TagKeys.member.1=a"
    answer = raw(server, "POST", "/", query_headers("iam"), body)
    assert answer[0] == 200, answer
    assert iam.list_role_tags(RoleName="r")["Tags"] == []


@pytest.mark.parametrize("service,prefix,content_type,op", JSON, ids=lambda v: str(v))
def test_json_errors_parse(server, service, prefix, content_type, op):
    headers = json_headers(prefix, content_type, op)

    answer = raw(server, "POST", "/", {**headers, "Content-Encoding": "gzip"}, b"{}")
    assert answer[0] == 400, answer
    assert parse_error("json", service, op, answer) == "SerializationException"

    answer = raw(server, "POST", "/", headers, b"{not json")
    assert answer[0] == 400, answer
    assert parse_error("json", service, op, answer) == "SerializationException"

    answer = raw(server, "POST", "/", headers, declared=HUGE)
    assert answer[0] == 413, answer
    assert parse_error("json", service, op, answer) == "RequestEntityTooLargeException"

    answer = raw(server, "POST", "/", json_headers(prefix, content_type, "NoSuchAction"), b"{}")
    assert answer[0] == 400, answer
    assert parse_error("json", service, op, answer) == "UnknownOperationException"

    # No X-Amz-Target at all, signed for the service.
    signing = SESSION.get_service_model(service).signing_name
    answer = raw(server, "POST", "/", {"Content-Type": content_type, "Authorization": auth(signing)}, b"{}")
    assert answer[0] == 400, answer
    assert parse_error("json", service, op, answer) == "UnknownOperationException"


def test_rest_json_errors_parse(server):
    invoke = "/2015-03-31/functions/f/invocations"

    answer = raw(server, "POST", invoke, {"Content-Encoding": "gzip", "Authorization": auth("lambda")}, b"{}")
    assert answer[0] == 400, answer
    assert parse_error("rest-json", "lambda", "Invoke", answer) == "InvalidRequestContentException"

    answer = raw(server, "POST", invoke, {}, declared=HUGE)
    assert answer[0] == 413, answer
    assert parse_error("rest-json", "lambda", "Invoke", answer) == "RequestTooLargeException"

    answer = raw(
        server,
        "POST",
        "/2015-03-31/functions",
        {"Content-Type": "application/json", "Authorization": auth("lambda")},
        b"{not json",
    )
    assert answer[0] == 400, answer
    assert parse_error("rest-json", "lambda", "CreateFunction", answer) == "InvalidRequestContentException"

    answer = raw(server, "PATCH", "/2015-03-31/nothing-here", {"Authorization": auth("lambda")})
    assert 400 <= answer[0] < 500, answer
    assert parse_error("rest-json", "lambda", "ListFunctions", answer) == "UnknownOperationException"


@pytest.mark.parametrize(
    "service,call,want",
    [
        ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
        ("elbv2", lambda c: c.describe_load_balancers(), "SignatureDoesNotMatch"),
        # botocore 1.43 calls CloudWatch over RPC v2 CBOR: a JSON-family protocol.
        ("cloudwatch", lambda c: c.describe_alarms(), "InvalidSignatureException"),
        ("ec2", lambda c: c.describe_vpcs(), "AuthFailure"),
        ("ecs", lambda c: c.list_clusters(), "InvalidSignatureException"),
        ("codedeploy", lambda c: c.list_applications(), "InvalidSignatureException"),
        ("logs", lambda c: c.describe_log_groups(), "InvalidSignatureException"),
        ("lambda", lambda c: c.list_functions(), "InvalidSignatureException"),
    ],
)
def test_an_unknown_region_is_refused_as_aws_refuses_its_credential_scope(server, service, call, want):
    client = make_client(service, region_name="xx-fake-1")
    with pytest.raises(ClientError) as e:
        call(client)
    err = e.value.response
    assert err["Error"]["Code"] == want, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "xx-fake-1" in err["Error"]["Message"]
    # The same call in a real region works.
    call(make_client(service, region_name="eu-west-1"))
