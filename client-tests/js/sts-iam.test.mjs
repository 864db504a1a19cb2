// The JS SDK v3 (pinned in package.json) against a spawned cutover.

import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { IAMClient, CreateRoleCommand, GetRoleCommand, NoSuchEntityException, EntityAlreadyExistsException } from "@aws-sdk/client-iam";
import { startServer } from "./harness.mjs";

const TRUST = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "codedeploy.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

let server;

before(async () => {
  server = await startServer();
});

beforeEach(async () => {
  await server.reset();
});

after(async () => {
  const { code, stderr } = await server.stop();
  assert.equal(code, 0, `cutover must exit 0 on SIGTERM; stderr:\n${stderr}`);
});

test("the control API answers", async () => {
  const { status, body } = await server.control("GET", "health");
  assert.equal(status, 200);
  assert.equal(body.status, "ok");
});

test("GetCallerIdentity", async () => {
  const sts = new STSClient({});
  const out = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(out.Account, "000000000000");
  assert.equal(out.Arn, "arn:aws:iam::000000000000:root");
  assert.equal(out.UserId, "000000000000");
});

test("GetCallerIdentity with a 12-digit access key", async () => {
  const sts = new STSClient({ credentials: { accessKeyId: "210987654321", secretAccessKey: "test" } });
  const out = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(out.Account, "210987654321");
});

test("CreateRole then GetRole", async () => {
  const iam = new IAMClient({});
  const created = await iam.send(
    new CreateRoleCommand({ RoleName: "ecsCodeDeployServiceRole", AssumeRolePolicyDocument: JSON.stringify(TRUST) }),
  );
  assert.equal(created.Role.Arn, "arn:aws:iam::000000000000:role/ecsCodeDeployServiceRole");
  assert.match(created.Role.RoleId, /^AROA[A-Z0-9]{17}$/);
  assert.ok(created.Role.CreateDate instanceof Date);

  const got = await iam.send(new GetRoleCommand({ RoleName: "ecsCodeDeployServiceRole" }));
  assert.equal(got.Role.RoleId, created.Role.RoleId);
  assert.equal(got.Role.Path, "/");
  // The JS SDK hands the document back URL-encoded, as IAM sends it.
  assert.deepEqual(JSON.parse(decodeURIComponent(got.Role.AssumeRolePolicyDocument)), TRUST);

  await assert.rejects(
    iam.send(new CreateRoleCommand({ RoleName: "ecsCodeDeployServiceRole", AssumeRolePolicyDocument: JSON.stringify(TRUST) })),
    (e) => e instanceof EntityAlreadyExistsException && e.$metadata.httpStatusCode === 409,
  );
});

test("GetRole of a missing role is NoSuchEntity", async () => {
  const iam = new IAMClient({});
  await assert.rejects(iam.send(new GetRoleCommand({ RoleName: "ghost" })), (e) => {
    assert.ok(e instanceof NoSuchEntityException, `${e.name}: ${e.message}`);
    assert.equal(e.name, "NoSuchEntityException");
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
});
