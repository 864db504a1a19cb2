// cutover's Lambda runtime client for Node.js functions. Written for cutover; it speaks the Lambda
// Runtime API (AWS_LAMBDA_RUNTIME_API) and runs the handler named by _HANDLER from LAMBDA_TASK_ROOT.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const url = require('url');
const util = require('util');

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const BASE = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentId = undefined;
// Written to stdout and stderr after each invocation, before its result is posted: when cutover has
// read it from both pipes, it has all the invocation's output (no waiting for the pipes to go quiet).
const LOG_MARK = process.env._CUTOVER_LOG_MARK || '';
delete process.env._CUTOVER_LOG_MARK;

function markEnd(id) {
  if (!LOG_MARK) return;
  const line = `${LOG_MARK} ${id}\n`;
  try {
    process.stdout.write(line);
    process.stderr.write(line);
  } catch (e) {
    // cutover falls back to waiting for the pipes to go quiet
  }
}

function call(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: Number(PORT), path: BASE + p, method, headers: headers || {}, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// One log event per call; several lines stay one event (the emulator turns \r back into \n).
function logLine(level, args) {
  const text = util.format.apply(util, args);
  const line = `${new Date().toISOString()}\t${currentId}\t${level}\t${text}`;
  process.stdout.write(line.replace(/\r?\n/g, '\r') + '\n');
}
console.log = (...a) => logLine('INFO', a);
console.info = (...a) => logLine('INFO', a);
console.warn = (...a) => logLine('WARN', a);
console.error = (...a) => logLine('ERROR', a);
console.debug = (...a) => logLine('DEBUG', a);
console.trace = (...a) => logLine('TRACE', a);

function errorBody(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: String(err.stack || '').split('\n'),
    };
  }
  return { errorType: typeof err === 'string' ? 'string' : 'Error', errorMessage: String(err), trace: [] };
}

async function initError(err, type) {
  const body = errorBody(err);
  if (type) body.errorType = type;
  logLine('ERROR', [`Uncaught Exception \t${JSON.stringify(body)}`]);
  await call('POST', '/init/error', JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
  process.exit(1);
}

async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = spec.lastIndexOf('.');
  if (dot < 1) {
    return initError(new Error(`Bad handler ${spec}`), 'Runtime.MalformedHandlerName');
  }
  const modPath = spec.slice(0, dot);
  const fnPath = spec.slice(dot + 1);
  const base = path.resolve(root, modPath);
  let mod;
  try {
    if (fs.existsSync(base + '.mjs')) {
      mod = await import(url.pathToFileURL(base + '.mjs').href);
    } else if (fs.existsSync(base + '.cjs')) {
      mod = require(base + '.cjs');
    } else {
      try {
        mod = require(base);
      } catch (e) {
        if (e && e.code === 'ERR_REQUIRE_ESM') {
          mod = await import(url.pathToFileURL(base + '.js').href);
        } else {
          throw e;
        }
      }
    }
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(base)) {
      const err = new Error(`Cannot find module '${modPath}'`);
      err.name = 'Runtime.ImportModuleError';
      return initError(err, 'Runtime.ImportModuleError');
    }
    if (e instanceof SyntaxError) return initError(e, 'Runtime.UserCodeSyntaxError');
    return initError(e);
  }
  let fn = mod;
  for (const part of fnPath.split('.')) fn = fn == null ? undefined : fn[part];
  if (typeof fn !== 'function' && mod && mod.default) {
    fn = mod.default;
    for (const part of fnPath.split('.')) fn = fn == null ? undefined : fn[part];
  }
  if (typeof fn !== 'function') {
    const err = new Error(`${spec} is undefined or not exported`);
    err.name = 'Runtime.HandlerNotFound';
    return initError(err, 'Runtime.HandlerNotFound');
  }
  return fn;
}

function runHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    let done = false;
    const callback = (err, result) => {
      if (done) return;
      done = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e || new Error('handled'));
    try {
      const r = fn(event, context, callback);
      if (r && typeof r.then === 'function') r.then((v) => callback(null, v), (e) => callback(e === undefined ? new Error('undefined') : e));
      else if (fn.length < 3) callback(null, r);
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  const fn = await loadHandler();
  for (;;) {
    const next = await call('GET', '/invocation/next');
    const h = next.headers;
    const id = h['lambda-runtime-aws-request-id'];
    currentId = id;
    if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    const deadline = Number(h['lambda-runtime-deadline-ms'] || 0);
    const context = {
      awsRequestId: id,
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    };
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
    } catch (e) {
      event = next.body.toString('utf8');
    }
    try {
      const result = await runHandler(fn, event, context);
      const out = result === undefined ? 'null' : JSON.stringify(result);
      markEnd(id);
      await call('POST', `/invocation/${id}/response`, out === undefined ? 'null' : out);
    } catch (err) {
      const body = errorBody(err);
      logLine('ERROR', [`Invoke Error \t${JSON.stringify(body)}`]);
      markEnd(id);
      await call('POST', `/invocation/${id}/error`, JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
    }
    currentId = undefined;
  }
}

process.on('uncaughtException', async (err) => {
  const body = errorBody(err);
  logLine('ERROR', [`Uncaught Exception \t${JSON.stringify(body)}`]);
  try {
    if (currentId) markEnd(currentId);
    if (currentId) await call('POST', `/invocation/${currentId}/error`, JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
  } finally {
    process.exit(129);
  }
});
process.on('unhandledRejection', (reason) => {
  throw reason instanceof Error ? reason : new Error(String(reason));
});

main().catch((e) => {
  logLine('ERROR', [String(e && e.stack ? e.stack : e)]);
  process.exit(1);
});
