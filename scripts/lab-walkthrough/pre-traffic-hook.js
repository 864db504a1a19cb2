// The BeforeAllowTraffic hook of Lab 4 (container-labs lab-3/hooks/pre-traffic-hook.js), rewritten
// without npm packages so that it needs no `npm install`: GET TargetUrl (the test listener, which
// serves the green tasks at this point), then report Succeeded or Failed to CodeDeploy.
//
// Reporting uses the JS SDK v3 when the runtime has it (AWS's nodejs18.x+ runtimes do; cutover's
// does when CUTOVER_LAMBDA_NODE_PATH points at a node_modules with @aws-sdk/client-codedeploy),
// and otherwise one hand-built awsJson request to AWS_ENDPOINT_URL, which cutover hands every
// function. cutover does not check SigV4 signatures; the access key tells it who calls.
'use strict';

async function report(params) {
  let sdk = null;
  try {
    sdk = require('@aws-sdk/client-codedeploy');
  } catch (e) {
    sdk = null;
  }
  if (sdk) {
    const client = new sdk.CodeDeployClient({});
    return client.send(new sdk.PutLifecycleEventHookExecutionStatusCommand(params));
  }
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('no @aws-sdk/client-codedeploy and no AWS_ENDPOINT_URL');
  const headers = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus',
    authorization:
      'AWS4-HMAC-SHA256 Credential=' + process.env.AWS_ACCESS_KEY_ID + '/20250101/' + process.env.AWS_REGION +
      '/codedeploy/aws4_request, SignedHeaders=host, Signature=0',
  };
  if (process.env.AWS_SESSION_TOKEN) headers['x-amz-security-token'] = process.env.AWS_SESSION_TOKEN;
  const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(params) });
  const text = await res.text();
  if (res.status !== 200) throw new Error('PutLifecycleEventHookExecutionStatus answered ' + res.status + ': ' + text);
  return JSON.parse(text);
}

exports.handler = async function (event) {
  console.log('Entering PreTraffic Hook!');
  console.log(JSON.stringify(event));
  const params = {
    deploymentId: event.DeploymentId,
    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
    status: 'Succeeded',
  };
  const url = process.env.TargetUrl;
  try {
    const res = await fetch(url);
    const body = await res.text();
    console.log('GET ' + url + ' -> ' + res.status + ' ' + body);
    if (res.status !== 200) params.status = 'Failed';
  } catch (e) {
    console.log('GET ' + url + ' failed: ' + e);
    params.status = 'Failed';
  }
  try {
    await report(params);
    console.log('reported ' + params.status);
    return 'Successfully reported hook results';
  } catch (e) {
    console.log('Failed to report hook results: ' + e);
    throw new Error('Failed to report hook results');
  }
};
