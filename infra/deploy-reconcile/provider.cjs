'use strict';
/*
 * The deploy-time reconcile: a CloudFormation custom resource provider, inlined into the template
 * (no bundle, no asset). On Create and Update it invokes the guard synchronously with a sweep and
 * answers CloudFormation from the outcome: SUCCESS when the support role is compliant (or was
 * repaired, or drift was only reported in detect mode), FAILED with the reason otherwise, so a
 * configuration that cannot be applied fails `cdk deploy` and names why. Delete does nothing: the
 * support role is kept. Plain CommonJS on purpose (inline code); the AWS SDK is the runtime's.
 */
const https = require('node:https');

/** CloudFormation shows a short reason; the full one is in this function's log. */
const REASON_LIMIT = 1000;

/**
 * The sweep this deployment sends: the template's event, stamped with the time now and this
 * request. The guard's idempotency key of a sweep is its time and detail.configuration
 * (functions/adapters/idempotency.ts), so each deployment reconciles, even one that returns to an
 * earlier configuration, while a retried delivery of the same request is still handled once.
 */
function sweepEvent(properties, requestId, now) {
  const base = JSON.parse(properties.Event);
  const configuration = `${base.detail?.configuration ?? ''}:${requestId}`;
  return {
    ...base,
    id: `${base.id}-${requestId}`,
    time: now.toISOString(),
    detail: { ...base.detail, configuration },
  };
}

function decode(payload) {
  if (payload === undefined || payload === null) return '';
  return typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
}

function shorten(text) {
  return text.length <= REASON_LIMIT ? text : `${text.slice(0, REASON_LIMIT - 1)}…`;
}

/**
 * The verdict on one invocation of the guard: { ok, reason }. In organization mode
 * (`maxFailedPercent` set) a sweep that completed (no function error: the accounts were listed and
 * the summary, if any, published) passes unless more than that share of the accounts failed: one
 * broken or not-enrolled member account must not block every central deployment. The share is
 * read from the sweep's counts (`sweep.total`, `sweep.counts.failed`), which cover every account.
 */
function verdict(invocation, mode, maxFailedPercent) {
  const text = decode(invocation.Payload);
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (invocation.FunctionError) {
    const what =
      body && typeof body === 'object' ? `${body.errorType ?? 'Error'}: ${body.errorMessage ?? text}` : text;
    return {
      ok: false,
      reason: shorten(
        `the guard could not reconcile the support role at deploy time (${invocation.FunctionError}): ${what}`,
      ),
    };
  }
  const outcome = body && typeof body === 'object' ? body.outcome : undefined;
  const detail = body && typeof body.reason === 'string' ? `: ${body.reason}` : '';
  const max = Number(maxFailedPercent);
  // The sweep's counts cover every account (`accounts` names at most 100 of them).
  const tally = body && typeof body === 'object' ? body.sweep : undefined;
  if (
    maxFailedPercent !== undefined &&
    tally &&
    Number.isInteger(tally.total) &&
    Number.isInteger(tally.counts?.failed)
  ) {
    const total = tally.total;
    const failed = tally.counts.failed;
    const share = `${failed} of ${total} accounts failed`;
    if (failed * 100 > total * max)
      return {
        ok: false,
        reason: shorten(`the deploy-time sweep ended ${outcome}: ${share}, more than ${max} %`),
      };
    const published = body.notified ? '; the summary was published' : '';
    return { ok: true, reason: shorten(`${outcome}: ${share} (at most ${max} % may)${published}`) };
  }
  if (
    outcome === 'compliant' ||
    outcome === 'remediated' ||
    (outcome === 'drift-detected' && mode === 'detect')
  )
    return { ok: true, reason: shorten(`${outcome}${detail}`) };
  return {
    ok: false,
    reason: shorten(
      `the deploy-time reconcile ended ${outcome === undefined ? `with ${JSON.stringify(text)}` : outcome}${detail}`,
    ),
  };
}

function put(url, body) {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode >= 200 && response.statusCode < 300
            ? resolve()
            : reject(new Error(`CloudFormation response refused: HTTP ${response.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function invokeGuard(params) {
  const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
  return new LambdaClient({}).send(new InvokeCommand(params));
}

/** The handler; `deps` replaces the Lambda call, the response PUT and the clock (tests). */
async function handler(event, _context, deps = {}) {
  const invoke = deps.invoke ?? invokeGuard;
  const respond = deps.respond ?? put;
  const now = deps.now ?? (() => new Date());
  const properties = event.ResourceProperties;
  let status = 'SUCCESS';
  let reason = 'nothing to do on delete: the support role is kept (docs/deploy.md)';
  let outcome;
  if (event.RequestType !== 'Delete') {
    try {
      const sweep = sweepEvent(properties, event.RequestId, now());
      const invocation = await invoke({
        FunctionName: properties.FunctionName,
        InvocationType: 'RequestResponse',
        Payload: JSON.stringify(sweep),
      });
      const result = verdict(invocation, properties.Mode, properties.MaxFailedPercent);
      status = result.ok ? 'SUCCESS' : 'FAILED';
      reason = result.reason;
      outcome = result.ok ? reason.split(':')[0] : 'failed';
    } catch (error) {
      status = 'FAILED';
      reason = shorten(
        `could not invoke the guard ${properties.FunctionName}: ${error?.name}: ${error?.message}`,
      );
      outcome = 'failed';
    }
  }
  const physicalResourceId =
    event.RequestType === 'Delete'
      ? event.PhysicalResourceId
      : `support-role-guard-deploy-reconcile-${properties.ConfigurationHash}`;
  console.log(JSON.stringify({ requestType: event.RequestType, status, reason }));
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: outcome ? { Outcome: outcome } : {},
  });
  await respond(event.ResponseURL, body);
  return { status, reason };
}

module.exports = { handler, sweepEvent, verdict, REASON_LIMIT };
