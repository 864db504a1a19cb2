// The timeline page (`GET /_emulator/timeline`) in a real headless Chromium: a blue/green
// deployment runs through the JS SDK v3 against a spawned cutover (manual clock, a linear 10%
// per minute traffic shift, a BeforeAllowTraffic hook that runs as a real Node process and
// reports Succeeded), then the page must show it: the weight steps of the production listener,
// every lifecycle event Succeeded, the hook's invocation and answer, the two task sets, the
// markers, one table row per timeline entry, no script from a resource's name run, and a
// screenshot of the chart that is not blank (decoded here with node:zlib; saved under the test's
// temp dir, whose path the test prints).
//
// Chromium comes from Debian (`/usr/bin/chromium`; CHROMIUM overrides). When it is missing and
// the test runs as root it installs it (`apt-get install -y chromium`); when it cannot, the test
// is skipped with a loud message, never passed.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { EC2Client, CreateVpcCommand, CreateSubnetCommand, CreateSecurityGroupCommand, DescribeAvailabilityZonesCommand } from "@aws-sdk/client-ec2";
import {
  ElasticLoadBalancingV2Client,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  CreateListenerCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ECSClient, CreateClusterCommand, RegisterTaskDefinitionCommand, CreateServiceCommand, DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { IAMClient, CreateRoleCommand, AttachRolePolicyCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { LambdaClient, CreateFunctionCommand } from "@aws-sdk/client-lambda";
import {
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentGroupCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
} from "@aws-sdk/client-codedeploy";
import { ACCOUNT, blueGreenGroupInput, startServer, targetGroupInput, taskDefinitionInput, waitWall, zipOf } from "./harness.mjs";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
// A string that would run script if the page wrote it unescaped (it reaches the timeline as the
// task definition of an injected fault).
const INJECTION = `x"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'`;

// ---- Chromium -----------------------------------------------------------------------------------

function ensureChromium() {
  if (existsSync(CHROMIUM)) return { ok: true };
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    return { ok: false, why: `${CHROMIUM} is missing and this test is not running as root, so it cannot apt-get install chromium` };
  }
  console.error(`timeline test: ${CHROMIUM} is missing; running apt-get install -y chromium`);
  const opts = { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 900_000 };
  let r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], opts);
  if (r.status !== 0) {
    spawnSync("apt-get", ["update"], opts);
    r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], opts);
  }
  if (existsSync(CHROMIUM)) return { ok: true };
  return { ok: false, why: `apt-get install chromium exited ${r.status} and ${CHROMIUM} is still missing` };
}

// ---- a hook function -----------------------------------------------------------------------------

// The hook of Lab 4 without npm packages (client-tests/labkit.py HOOK_JS): it reports Succeeded
// with a hand-built awsJson request to AWS_ENDPOINT_URL, which the emulator gives every function.
const HOOK_JS = `
exports.handler = async function (event) {
  const params = { deploymentId: event.DeploymentId, lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId, status: "Succeeded" };
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus",
    authorization: "AWS4-HMAC-SHA256 Credential=" + process.env.AWS_ACCESS_KEY_ID + "/20250101/" + process.env.AWS_REGION +
      "/codedeploy/aws4_request, SignedHeaders=host, Signature=0",
  };
  if (process.env.AWS_SESSION_TOKEN) headers["x-amz-security-token"] = process.env.AWS_SESSION_TOKEN;
  const res = await fetch(process.env.AWS_ENDPOINT_URL, { method: "POST", headers, body: JSON.stringify(params) });
  const text = await res.text();
  if (res.status !== 200) throw new Error("PutLifecycleEventHookExecutionStatus answered " + res.status + ": " + text);
  return "reported";
};
`;

// ---- PNG decoding (8-bit RGB/RGBA, non-interlaced, as Chromium writes screenshots) -------------

function decodePng(buf) {
  assert.equal(buf.subarray(0, 8).toString("hex"), "89504e470d0a1a0a", "not a PNG");
  let pos = 8;
  let width, height, bitDepth, colorType, interlace;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  assert.equal(bitDepth, 8, "8-bit PNG expected");
  assert.equal(interlace, 0, "non-interlaced PNG expected");
  const channels = { 2: 3, 6: 4 }[colorType];
  assert.ok(channels, `PNG color type ${colorType} not handled`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

// ---- the deployment -------------------------------------------------------------------------------

const taskDefinition = (tag) => taskDefinitionInput("web", "web", `web:${tag}`);

/** Builds the blue/green topology, deploys web:2 and runs the clock to the end; returns what the
 * page should show. */
async function runDeployment(server) {
  const ec2 = new EC2Client({});
  const elb = new ElasticLoadBalancingV2Client({});
  const ecs = new ECSClient({});
  const iam = new IAMClient({});
  const lambda = new LambdaClient({});
  const cd = new CodeDeployClient({});

  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc.VpcId;
  const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones.map((z) => z.ZoneName).slice(0, 2);
  const subnets = [];
  for (const [i, z] of zones.entries()) {
    subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: z }))).Subnet.SubnetId);
  }
  const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web", VpcId: vpc }))).GroupId;
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "shop-alb", Subnets: subnets, SecurityGroups: [sg] }))).LoadBalancers[0].LoadBalancerArn;
  const blue = (await elb.send(new CreateTargetGroupCommand(targetGroupInput("web-blue", vpc)))).TargetGroups[0].TargetGroupArn;
  const green = (await elb.send(new CreateTargetGroupCommand(targetGroupInput("web-green", vpc)))).TargetGroups[0].TargetGroupArn;
  const prod = (
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "forward", TargetGroupArn: blue }] }))
  ).Listeners[0].ListenerArn;
  const testListener = (
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: "HTTP", Port: 8080, DefaultActions: [{ Type: "forward", TargetGroupArn: green }] }))
  ).Listeners[0].ListenerArn;

  await iam.send(
    new CreateRoleCommand({
      RoleName: "ecsCodeDeployServiceRole",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "codedeploy.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: "ecsCodeDeployServiceRole", PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS" }));
  const hookRole = (
    await iam.send(
      new CreateRoleCommand({
        RoleName: "CodeDeployHookRole",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
    )
  ).Role.Arn;
  await iam.send(new AttachRolePolicyCommand({ RoleName: "CodeDeployHookRole", PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: "CodeDeployHookRole",
      PolicyName: "hook",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["codedeploy:PutLifecycleEventHookExecutionStatus"], Resource: "*" }],
      }),
    }),
  );
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: "CodeDeployHook_web-check",
      Runtime: "nodejs20.x",
      Role: hookRole,
      Handler: "hook.handler",
      Code: { ZipFile: zipOf({ "hook.js": HOOK_JS }) },
      Timeout: 30,
    }),
  );

  await ecs.send(new CreateClusterCommand({ clusterName: "shop" }));
  await ecs.send(new RegisterTaskDefinitionCommand(taskDefinition("1")));
  await ecs.send(
    new CreateServiceCommand({
      cluster: "shop",
      serviceName: "web",
      taskDefinition: "web:1",
      loadBalancers: [{ targetGroupArn: blue, containerName: "web", containerPort: 3000 }],
      desiredCount: 2,
      launchType: "FARGATE",
      schedulingStrategy: "REPLICA",
      deploymentController: { type: "CODE_DEPLOY" },
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [sg], assignPublicIp: "DISABLED" } },
    }),
  );
  await server.advanceUntil(
    async () => {
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster: "shop", services: ["web"] }))).services[0];
      const health = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: blue }))).TargetHealthDescriptions;
      return (
        (svc.taskSets || []).map((t) => t.stabilityStatus).join() === "STEADY_STATE" &&
        health.length === 2 &&
        health.every((h) => h.TargetHealth.State === "healthy")
      );
    },
    "web steady behind web-blue",
    10,
    600,
  );

  // A fault whose task definition carries markup, cleared at once: only its text must show.
  assert.equal((await server.control("POST", "faults", { targetHealth: "unhealthy", taskDefinition: INJECTION })).status, 200);
  assert.equal((await server.control("DELETE", "faults")).status, 200);

  await ecs.send(new RegisterTaskDefinitionCommand(taskDefinition("2")));
  await cd.send(new CreateApplicationCommand({ applicationName: "shop", computePlatform: "ECS" }));
  await cd.send(
    new CreateDeploymentGroupCommand({
      applicationName: "shop",
      deploymentGroupName: "web",
      deploymentConfigName: "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
      serviceRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsCodeDeployServiceRole`,
      ecsServices: [{ serviceName: "web", clusterName: "shop" }],
      ...blueGreenGroupInput("web-blue", "web-green", prod, testListener),
    }),
  );
  const appspec = JSON.stringify({
    version: 0.0,
    Resources: [
      {
        TargetService: {
          Type: "AWS::ECS::Service",
          Properties: {
            TaskDefinition: "web:2",
            LoadBalancerInfo: { ContainerName: "web", ContainerPort: 3000 },
            NetworkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [sg], assignPublicIp: "DISABLED" } },
          },
        },
      },
    ],
    Hooks: [{ BeforeAllowTraffic: "CodeDeployHook_web-check" }],
  });
  const deploymentId = (
    await cd.send(
      new CreateDeploymentCommand({
        applicationName: "shop",
        deploymentGroupName: "web",
        revision: { revisionType: "AppSpecContent", appSpecContent: { content: appspec } },
      }),
    )
  ).deploymentId;

  const hookStatus = async () => {
    try {
      const t = await cd.send(new GetDeploymentTargetCommand({ deploymentId, targetId: "shop:web" }));
      return t.deploymentTarget.ecsTarget.lifecycleEvents.find((e) => e.lifecycleEventName === "BeforeAllowTraffic")?.status;
    } catch (e) {
      if (e.name === "DeploymentNotStartedException") return "Pending";
      throw e;
    }
  };
  for (let spent = 0; ; spent += 15) {
    const status = (await cd.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo.status;
    if (["Succeeded", "Failed", "Stopped"].includes(status)) {
      assert.equal(status, "Succeeded", `the deployment ended ${status}`);
      break;
    }
    assert.ok(spent < 7200, "the deployment did not end within two simulated hours");
    if ((await hookStatus()) === "InProgress") {
      // The hook runs as a real process on the wall clock; the simulated clock waits for it.
      await waitWall(async () => (await hookStatus()) !== "InProgress", "the hook's answer", 60_000);
      continue;
    }
    await server.advance(15);
  }
  // Let the original task set drain so the picture has its end.
  await server.advance(120);
  return { deploymentId, prod, testListener, blue, green };
}

// ---- the test ------------------------------------------------------------------------------------

let server;
let chromium;
const chrome = ensureChromium();

before(async () => {
  server = await startServer();
  if (chrome.ok) ({ chromium } = await import("playwright-core"));
});

after(async () => {
  const { code, stderr } = await server.stop();
  assert.equal(code, 0, `cutover must exit 0 on SIGTERM; stderr:\n${stderr}`);
});

test("the timeline page answers HTML, rejects a bad since and filters with a good one", async () => {
  await server.reset();
  const page = await fetch(`${server.url}/_emulator/timeline`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  const html = await page.text();
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(!/\b(src|href)="(https?:)?\/\//.test(html), "the page must load nothing from elsewhere");
  const bad = await fetch(`${server.url}/_emulator/timeline?since=x`);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).field, "since");
});

test("a blue/green deployment, pictured in Chromium", { timeout: 600_000 }, async (t) => {
  if (!chrome.ok) {
    const banner = "!".repeat(100);
    console.error(`${banner}\nSKIPPED: the timeline page's browser test did not run: ${chrome.why}\n${banner}`);
    t.skip(`chromium unavailable: ${chrome.why}`);
    return;
  }
  await server.reset();
  const { deploymentId, prod, testListener } = await runDeployment(server);
  const events = (await server.control("GET", "events")).body.events;

  // CodeDeploy's entries carry structured fields the page reads.
  const cdSteps = events.filter((e) => e.source === "codedeploy" && e.deploymentId === deploymentId && e.step);
  assert.ok(
    cdSteps.some((e) => e.step === "lifecycle" && e.lifecycleEvent === "AllowTraffic" && e.status === "Succeeded"),
    "no structured AllowTraffic Succeeded entry",
  );
  assert.ok(cdSteps.some((e) => e.step === "hook" && e.lifecycleEvent === "BeforeAllowTraffic" && e.status === "Invoked"));
  assert.ok(cdSteps.some((e) => e.step === "status" && e.status === "Succeeded"));
  assert.ok(cdSteps.some((e) => e.step === "status" && e.status === "InProgress" && e.productionListeners?.[0] === prod));

  const out = mkdtempSync(join(tmpdir(), "cutover-timeline-"));
  const html = await (await fetch(`${server.url}/_emulator/timeline`)).text();
  writeFileSync(join(out, "timeline.html"), html);
  writeFileSync(join(out, "events.json"), JSON.stringify(events, null, 1));

  const profile = mkdtempSync(join(tmpdir(), "cutover-chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1320, height: 900 },
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${server.url}/_emulator/timeline`, { waitUntil: "load" });

    // Nothing from the timeline ran as markup or script; the fault's text is shown as text.
    assert.equal(await page.evaluate(() => window.__pwned), undefined, "markup in a timeline entry ran");
    assert.equal(await page.locator("#events img").count(), 0);
    const faultRow = page.locator("#events tr", { hasText: "targetHealth unhealthy for task definition" });
    assert.equal(await faultRow.count(), 1);
    assert.ok((await faultRow.locator("td").nth(4).textContent()).includes(INJECTION));
    // Only the page itself (and the live poll of the events) was requested.
    for (const u of requests) assert.ok(u.startsWith(server.url), `the page fetched ${u}`);
    assert.deepEqual(errors, [], "script errors on the page");

    // The chart is there with a panel per listener whose weights changed.
    const svg = page.locator("svg.chart");
    assert.equal(await svg.count(), 1);
    const panelArns = await page.locator("g.weights").evaluateAll((gs) => gs.map((g) => g.getAttribute("data-arn")));
    assert.ok(panelArns.includes(prod), `no panel for the production listener in ${panelArns}`);
    const prodPanel = page.locator(`g.weights[data-arn="${prod}"]`);
    assert.match(await prodPanel.getAttribute("data-label"), /^production listener shop-alb /);

    // The production listener's weight steps: the replacement's share 10% a minute up to 100%,
    // the original's the rest, one step a minute apart.
    const steps = await prodPanel.locator("rect.w-seg").evaluateAll((rs) =>
      rs.map((r) => ({ tg: r.dataset.tg, pct: +r.dataset.percent, t: +r.dataset.t })),
    );
    const greenSteps = steps.filter((s) => s.tg === "web-green");
    const blueSteps = steps.filter((s) => s.tg === "web-blue");
    const shares = greenSteps.map((s) => s.pct);
    const shift = shares.slice(shares.indexOf(10));
    assert.deepEqual(shift, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], `green's steps: ${shares}`);
    const shiftTimes = greenSteps.slice(shares.indexOf(10)).map((s) => s.t);
    for (let i = 1; i < shiftTimes.length; i++) assert.equal(shiftTimes[i] - shiftTimes[i - 1], 60, `step times ${shiftTimes}`);
    assert.deepEqual(
      blueSteps.slice(blueSteps.length - 10).map((s) => s.pct),
      [90, 80, 70, 60, 50, 40, 30, 20, 10, 0],
    );
    // Blue and green keep their colors: the original blue, the replacement green.
    const fill = async (tg) => prodPanel.locator(`rect.w-seg[data-tg="${tg}"]`).first().getAttribute("fill");
    assert.equal(await fill("web-blue"), "#2f6fde");
    assert.equal(await fill("web-green"), "#1e9e5a");
    // Labels are target group names, not ARNs.
    assert.deepEqual(await page.locator(".legend .key.tg").evaluateAll((ks) => ks.map((k) => k.dataset.tg)), ["web-blue", "web-green"]);
    if (panelArns.includes(testListener)) {
      assert.match(await page.locator(`g.weights[data-arn="${testListener}"]`).getAttribute("data-label"), /^test listener/);
    }

    // Every lifecycle event of the deployment, Succeeded; the hook invoked and answered.
    const dep = page.locator(`g.deployment[data-id="${deploymentId}"]`);
    const lifecycle = await dep.locator("rect.lifecycle").evaluateAll((rs) => rs.map((r) => [r.dataset.event, r.dataset.status]));
    assert.deepEqual(lifecycle, [
      ["BeforeInstall", "Succeeded"],
      ["Install", "Succeeded"],
      ["AfterInstall", "Succeeded"],
      ["AllowTestTraffic", "Succeeded"],
      ["AfterAllowTestTraffic", "Succeeded"],
      ["BeforeAllowTraffic", "Succeeded"],
      ["AllowTraffic", "Succeeded"],
      ["AfterAllowTraffic", "Succeeded"],
    ]);
    assert.deepEqual(
      await dep.locator("circle.hook").evaluateAll((cs) => cs.map((c) => [c.dataset.event, c.dataset.status])),
      [
        ["BeforeAllowTraffic", "Invoked"],
        ["BeforeAllowTraffic", "Succeeded"],
      ],
    );
    assert.equal(await dep.locator("rect.dep-bar").getAttribute("data-status"), "Succeeded");
    const markers = await page.locator("g.marker text").allTextContents();
    assert.ok(markers.some((m) => m.includes(`${deploymentId} started`)), `markers: ${markers}`);
    assert.ok(markers.some((m) => m.includes(`${deploymentId} Succeeded`)), `markers: ${markers}`);

    // The task sets: the original deleted, the replacement steady and PRIMARY.
    const taskSets = await page.locator("g.task-set").evaluateAll((gs) =>
      gs.map((g) => ({ role: g.dataset.role, marks: [...g.querySelectorAll(".ts-mark")].map((m) => m.dataset.kind) })),
    );
    const original = taskSets.find((s) => s.role === "original");
    const replacement = taskSets.find((s) => s.role === "replacement");
    assert.ok(original && original.marks.includes("deleted"), JSON.stringify(taskSets));
    assert.ok(replacement && replacement.marks.includes("steady") && replacement.marks.includes("PRIMARY"), JSON.stringify(taskSets));

    // The table has every entry, with relative and absolute times.
    assert.equal(await page.locator("#events tbody tr").count(), events.length);
    const firstRow = await page.locator("#events tbody tr").first().locator("td").allTextContents();
    assert.equal(firstRow[1], "+0:00:00");
    assert.match(firstRow[2], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);

    // Hovering a weight step shows its tooltip.
    const lastGreen = prodPanel.locator('rect.w-seg[data-tg="web-green"]').last();
    await lastGreen.hover();
    assert.match(await page.locator("#tip").textContent(), /web-green: weight 100 \(100%\)/);
    await page.mouse.move(0, 0);

    // The screenshot: the chart is drawn, blue and green both present.
    const png = await svg.screenshot({ path: join(out, "timeline-chart.png") });
    await page.screenshot({ path: join(out, "timeline-page.png") });
    const img = decodePng(png);
    const box = await svg.boundingBox();
    assert.ok(img.width >= box.width - 2 && img.height >= box.height - 2, "the screenshot covers the chart");
    let inked = 0, blueish = 0, greenish = 0;
    for (let i = 0; i < img.width * img.height; i++) {
      const [r, g, b] = img.pixels.subarray(i * img.channels, i * img.channels + 3);
      if (Math.min(r, g, b) < 235) inked++;
      if (b > 150 && b - r > 80 && b - g > 40) blueish++;
      if (g > 110 && g - r > 60 && g - b > 30) greenish++;
    }
    const total = img.width * img.height;
    console.log(`timeline test: screenshots in ${out} (chart ${img.width}x${img.height}, ${((inked / total) * 100).toFixed(1)}% inked, ${blueish} blue and ${greenish} green pixels)`);
    assert.ok(inked / total > 0.05, `the chart is nearly blank: ${inked} of ${total} pixels inked`);
    assert.ok(blueish / total > 0.01, `too little blue in the chart: ${blueish} pixels`);
    assert.ok(greenish / total > 0.01, `too little green in the chart: ${greenish} pixels`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
