"""A CodeDeploy lifecycle hook for the client matrix (client-tests/README.md): reports the status in
its HOOK_STATUS variable (default Succeeded) with PutLifecycleEventHookExecutionStatus.

The emulator's Python runtime runs functions with the host's python3, without boto3, so this builds
the awsJson request with urllib and sends it to AWS_ENDPOINT_URL, which the emulator hands every
function (it does not check signatures: the access key in the Authorization header names the
caller, the function's role session). Handler `hook.handler`. Used by labkit (boto3) and by
client-tests/rust (include_str!)."""
import json
import os
import urllib.request


def handler(event, context):
    print("Entering hook", json.dumps(event))
    params = {
        "deploymentId": event["DeploymentId"],
        "lifecycleEventHookExecutionId": event["LifecycleEventHookExecutionId"],
        "status": os.environ.get("HOOK_STATUS", "Succeeded"),
    }
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus",
        "authorization": "AWS4-HMAC-SHA256 Credential=%s/20250101/%s/codedeploy/aws4_request, "
        "SignedHeaders=host, Signature=0" % (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_REGION"]),
    }
    if os.environ.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = os.environ["AWS_SESSION_TOKEN"]
    req = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"], data=json.dumps(params).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        print("reported", params["status"], r.status, r.read().decode())
    return "Successfully reported hook results"
