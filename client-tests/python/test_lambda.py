"""Lambda through boto3: functions that really run (python3 and node processes speaking the
Runtime API), seen the way a user sees them: Invoke's status, payload, FunctionError and
LogResult, the function's output in CloudWatch Logs, versions and aliases, and the errors AWS
gives for bad input.

Functions become Active 2 simulated seconds after CreateFunction; the server runs a manual
clock, so each test advances it (function timeouts and the processes run in wall time).
"""

import base64
import io
import json
import re
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from conftest import make_client
from labkit import ACCOUNT, LAMBDA_TRUST, REGION, advance, wait_wall

ROLE = "lambda-basic"

PY_CODE = """
import json, os, time

def handler(event, context):
    print("python says hello to " + str(event.get("name")))
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("handled"):
        try:
            {}["missing"]
        except KeyError as e:
            return {"statusCode": 400, "error": "missing key " + str(e)}
    return {
        "echo": event,
        "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
        "requestId": context.aws_request_id,
        "tag": os.environ.get("TAG", "none"),
        "mark_visible": "_CUTOVER_LOG_MARK" in os.environ,
    }
"""

NODE_CODE = """
export const handler = async (event, context) => {
  console.log(`node says hello to ${event.name}`);
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep * 1000));
  if (event.raise) throw new TypeError(event.raise);
  const markVisible = "_CUTOVER_LOG_MARK" in process.env;
  return { echo: event, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, requestId: context.awsRequestId, mark_visible: markVisible };
};
"""


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def lam(server):
    return make_client("lambda")


@pytest.fixture
def logs(server):
    return make_client("logs")


@pytest.fixture
def role(iam):
    return iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]


def create(lam, server, name, runtime="python3.12", timeout=3, code=None, **extra):
    if code is None:
        files = {"app.py": PY_CODE} if runtime.startswith("python") else {"index.mjs": NODE_CODE}
    else:
        files = code
    handler = "app.handler" if runtime.startswith("python") else "index.handler"
    out = lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=f"arn:aws:iam::{ACCOUNT}:role/{ROLE}",
        Handler=handler,
        Code={"ZipFile": zip_of(files)},
        Timeout=timeout,
        **extra,
    )
    assert out["State"] == "Pending"
    advance(server, 5)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    return out


def invoke(lam, name, event, **kw):
    out = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
    out["body"] = json.loads(out["Payload"].read())
    return out


def log_messages(logs, name, needle, timeout=15.0):
    """Every message of /aws/lambda/<name>, once one of them contains `needle`."""

    def read():
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except ClientError:
            return None
        messages = [e["message"] for e in events]
        return messages if any(needle in m for m in messages) else None

    return wait_wall(read, timeout=timeout, what=f"{needle!r} in /aws/lambda/{name}")


@pytest.mark.parametrize("runtime,greeting", [("python3.12", "python says"), ("nodejs20.x", "node says")])
def test_request_response_round_trip_with_log_tail(lam, logs, server, role, runtime, greeting):
    name = "echo-" + runtime.replace(".", "")
    created = create(lam, server, name, runtime=runtime)
    assert created["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active"

    event = {"name": "Ada", "nested": {"list": [1, 2.5, "three", None, True]}, "unicode": "żółw 🐢"}
    out = invoke(lam, name, event, LogType="Tail")
    assert out["StatusCode"] == 200
    assert "FunctionError" not in out
    assert out["ExecutedVersion"] == "$LATEST"
    assert out["body"]["echo"] == event
    assert out["body"]["version"] == "$LATEST"
    # The request id the function saw is the one the response carries.
    assert out["body"]["requestId"] == out["ResponseMetadata"]["RequestId"]

    tail = base64.b64decode(out["LogResult"]).decode()
    rid = out["body"]["requestId"]
    assert f"{greeting} hello to Ada" in tail
    assert f"START RequestId: {rid} Version: $LATEST" in tail
    assert f"END RequestId: {rid}" in tail
    assert f"REPORT RequestId: {rid}\tDuration: " in tail
    # The first call started the process: Init Duration is its start-up (spawn to the runtime's
    # first /next), which no interpreter does in under a millisecond.
    init = re.search(r"\tInit Duration: ([0-9.]+) ms", tail)
    assert init and float(init.group(1)) > 1.0, tail
    # The runtime client's end-of-output mark stays out of the function's environment.
    assert out["body"]["mark_visible"] is False

    # Warm: the same process answers, no init this time; no LogResult unless asked for.
    again = invoke(lam, name, {"name": "Grace"})
    assert again["body"]["echo"] == {"name": "Grace"}
    assert "LogResult" not in again

    # The output reached CloudWatch Logs.
    messages = log_messages(logs, name, "hello to Grace")
    assert any(f"{greeting} hello to Ada" in m for m in messages)
    assert sum(m.startswith("REPORT RequestId: ") for m in messages) == 2
    # The runtime client's end-of-output marks are read by cutover, never logged.
    assert not any("cutover_log_mark" in m for m in messages)


def test_log_group_and_streams_through_cloudwatch_logs(lam, logs, server, role):
    create(lam, server, "logged")
    out = invoke(lam, "logged", {"name": "logs"})
    rid = out["body"]["requestId"]
    group = "/aws/lambda/logged"
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [group]
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1
    assert "[$LATEST]" in streams[0]["logStreamName"]
    events = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"], startFromHead=True)[
        "events"
    ]
    messages = [e["message"].rstrip("\n") for e in events]
    start = messages.index(f"START RequestId: {rid} Version: $LATEST")
    hello = next(i for i, m in enumerate(messages) if "python says hello to logs" in m)
    end = messages.index(f"END RequestId: {rid}")
    assert start < hello < end
    assert messages[end + 1].startswith(f"REPORT RequestId: {rid}")
    filtered = logs.filter_log_events(logGroupName=group, filterPattern='"hello to logs"')["events"]
    assert len(filtered) == 1


def test_qualifiers_run_the_published_version(lam, server, role):
    create(lam, server, "versioned", Environment={"Variables": {"TAG": "one"}})
    v1 = lam.publish_version(FunctionName="versioned")
    assert v1["Version"] == "1"
    lam.create_alias(FunctionName="versioned", Name="live", FunctionVersion="1")
    lam.update_function_configuration(FunctionName="versioned", Environment={"Variables": {"TAG": "two"}})
    advance(server, 5)
    lam.get_waiter("function_updated_v2").wait(FunctionName="versioned", WaiterConfig={"Delay": 1, "MaxAttempts": 5})

    latest = invoke(lam, "versioned", {})
    assert (latest["ExecutedVersion"], latest["body"]["tag"], latest["body"]["version"]) == ("$LATEST", "two", "$LATEST")
    by_version = invoke(lam, "versioned", {}, Qualifier="1")
    assert (by_version["ExecutedVersion"], by_version["body"]["tag"], by_version["body"]["version"]) == ("1", "one", "1")
    by_alias = invoke(lam, "versioned", {}, Qualifier="live")
    assert (by_alias["ExecutedVersion"], by_alias["body"]["tag"]) == ("1", "one")
    # A qualified ARN as FunctionName works the same.
    by_arn = invoke(lam, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:versioned:live", {})
    assert by_arn["ExecutedVersion"] == "1"

    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="versioned", Qualifier="7", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_event_and_dry_run(lam, logs, server, role):
    create(lam, server, "async-fn")
    dry = lam.invoke(FunctionName="async-fn", InvocationType="DryRun", Payload=b"{}")
    assert dry["StatusCode"] == 204
    assert dry["Payload"].read() == b""

    queued = lam.invoke(FunctionName="async-fn", InvocationType="Event", Payload=json.dumps({"name": "later"}))
    assert queued["StatusCode"] == 202
    assert queued["Payload"].read() == b""
    assert "FunctionError" not in queued
    messages = log_messages(logs, "async-fn", "python says hello to later")
    assert any(m.startswith("REPORT RequestId: ") for m in messages)
    # The DryRun ran nothing: one START only.
    assert sum(m.startswith("START RequestId: ") for m in messages) == 1


def test_handled_and_unhandled_errors(lam, server, role):
    create(lam, server, "py-errors")
    handled = invoke(lam, "py-errors", {"handled": True})
    assert handled["StatusCode"] == 200
    assert "FunctionError" not in handled
    assert handled["body"] == {"statusCode": 400, "error": "missing key 'missing'"}

    out = invoke(lam, "py-errors", {"raise": "no such thing", "name": "err"}, LogType="Tail")
    assert out["StatusCode"] == 200
    assert out["FunctionError"] == "Unhandled"
    body = out["body"]
    assert set(body) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "no such thing"
    assert body["requestId"] == out["ResponseMetadata"]["RequestId"]
    assert any('app.py", line' in frame and "in handler" in frame for frame in body["stackTrace"])
    tail = base64.b64decode(out["LogResult"]).decode()
    assert "[ERROR] ValueError: no such thing" in tail
    # The process survived its handler's exception: the next call is warm and succeeds.
    ok = invoke(lam, "py-errors", {"name": "after"}, LogType="Tail")
    assert "FunctionError" not in ok
    assert "Init Duration" not in base64.b64decode(ok["LogResult"]).decode()

    create(lam, server, "node-errors", runtime="nodejs20.x")
    out = invoke(lam, "node-errors", {"raise": "wrong type"})
    assert out["FunctionError"] == "Unhandled"
    assert out["body"]["errorType"] == "TypeError"
    assert out["body"]["errorMessage"] == "wrong type"
    assert out["body"]["trace"][0] == "TypeError: wrong type"


@pytest.mark.parametrize("runtime", ["python3.12", "nodejs20.x"])
def test_timeout(lam, server, role, runtime):
    name = "slow-" + runtime.replace(".", "")
    create(lam, server, name, runtime=runtime, timeout=1)
    started = time.monotonic()
    out = invoke(lam, name, {"sleep": 3}, LogType="Tail")
    took = time.monotonic() - started
    assert 0.9 < took < 2.9, f"the invocation took {took:.2f}s; the function's timeout is 1 s"
    assert out["StatusCode"] == 200
    assert out["FunctionError"] == "Unhandled"
    rid = out["ResponseMetadata"]["RequestId"]
    assert out["body"] == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds",
    }
    tail = base64.b64decode(out["LogResult"]).decode()
    assert f"{rid} Task timed out after 1.00 seconds" in tail
    assert "Status: timeout" in tail
    # The timed-out process is gone; the next call starts a new one and succeeds.
    again = invoke(lam, name, {"name": "again"}, LogType="Tail")
    assert "FunctionError" not in again
    assert "Init Duration" in base64.b64decode(again["LogResult"]).decode()


def test_bad_roles_and_unknown_functions(lam, iam, server, role):
    def create_error(role_arn):
        with pytest.raises(ClientError) as e:
            lam.create_function(
                FunctionName="nope",
                Runtime="python3.12",
                Role=role_arn,
                Handler="app.handler",
                Code={"ZipFile": zip_of({"app.py": PY_CODE})},
            )
        return e.value.response

    missing = create_error(f"arn:aws:iam::{ACCOUNT}:role/does-not-exist")
    assert missing["Error"]["Code"] == "InvalidParameterValueException"
    assert missing["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 400

    ecs_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    other = iam.create_role(RoleName="ecs-only", AssumeRolePolicyDocument=json.dumps(ecs_trust))["Role"]["Arn"]
    untrusted = create_error(other)
    assert untrusted["Error"]["Code"] == "InvalidParameterValueException"
    assert untrusted["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."

    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.invoke(FunctionName="nope", Payload=b"{}")
    err = e.value.response
    assert err["Error"]["Message"] == f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:nope"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 404

    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="nope", Payload=b"{not json")


def test_invoke_while_pending_is_a_conflict(lam, server, role):
    lam.create_function(
        FunctionName="fresh",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": PY_CODE})},
    )
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        lam.invoke(FunctionName="fresh", Payload=b"{}")
    assert "Pending" in e.value.response["Error"]["Message"]


def test_parallel_invocations_all_succeed(lam, logs, server, role):
    create(lam, server, "parallel")
    n = 6
    with ThreadPoolExecutor(n) as pool:
        outs = list(pool.map(lambda i: invoke(lam, "parallel", {"name": f"p{i}", "sleep": 0.5}), range(n)))
    assert [o["StatusCode"] for o in outs] == [200] * n
    assert all("FunctionError" not in o for o in outs)
    assert sorted(o["body"]["echo"]["name"] for o in outs) == sorted(f"p{i}" for i in range(n))
    assert len({o["body"]["requestId"] for o in outs}) == n
    # Overlapping calls ran in separate processes, each with its own log stream.
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/parallel")["logStreams"]
    assert len(streams) >= 2
