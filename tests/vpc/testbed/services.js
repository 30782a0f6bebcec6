'use strict';
/*
 * services.js - the application side of the emulated "AWS" services (tests/vpc).
 *
 * Runs inside the test bed's service namespace, on loopback only; nginx in the same namespace
 * terminates TLS on each service's own address and proxies here.
 *
 *   127.0.0.1:S3_PORT   the regional S3 front: s3rver (the real data plane, virtual-hosted and
 *                       path style) behind a thin layer that plays what s3rver cannot: the VPC
 *                       endpoint policy (repo buckets denied, optional deny of one bucket), a
 *                       region redirect, clock skew (skewed Date + RequestTimeTooSkewed) and
 *                       signature mismatch; and, for writes (PutObject, DeleteObject) per bucket
 *                       (faults.writes[BUCKET]): an endpoint policy that allows reads but not
 *                       s3:PutObject, a bucket policy that denies uploads without SSE-KMS, a role
 *                       that may not use a KMS key, a role that may not delete, and Object Lock
 *                       with a default retention (versioned: PutObject needs Content-MD5 or an
 *                       x-amz-checksum header, a version under retention cannot be deleted).
 *                       Successful writes answer with S3's encryption and version headers; every
 *                       write is logged to WRITES_LOG (one JSON line: method, key, headers, status).
 *                       Every answer carries S3's x-amz-request-id/x-amz-id-2.
 *   127.0.0.1:AWS_PORT  sts, logs, monitoring, api.ecr, api.sagemaker, chosen by Host.
 *
 * Faults are read from FAULTS_FILE (JSON) on every request, so lib.sh toggles them by rewriting
 * the file, without a restart. Environment: NC_S3_DIR, NC_S3_PORT, NC_AWS_PORT, NC_FAULTS_FILE,
 * NC_ACCESS_KEY_ID, NC_SECRET_ACCESS_KEY (the test keys s3rver accepts), NC_BUCKETS (comma list),
 * NC_WRITES_LOG (where writes are logged). s3rver gets writes and listings one at a time.
 */

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

const env = name => {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`services.js: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
};

const S3_DIR = env('NC_S3_DIR');
const S3_PORT = Number(env('NC_S3_PORT'));
const AWS_PORT = Number(env('NC_AWS_PORT'));
const FAULTS_FILE = env('NC_FAULTS_FILE');
const BUCKETS = env('NC_BUCKETS').split(',').filter(Boolean);
const WRITES_LOG = env('NC_WRITES_LOG');
const ACCOUNT = '123456789012';
const ROLE_SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerRole/SageMaker`;
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_BODY = 64 * 1024;

// s3rver checks access key IDs against its registry: accept the test bed's keys.
AWSAccount.DUMMY_ACCOUNT.createKeyPair(env('NC_ACCESS_KEY_ID'), env('NC_SECRET_ACCESS_KEY'));

// Buckets of the Amazon Linux repositories (AL2, AL2023) and the AL1 repo host names.
const REPO_BUCKET = /^(amazonlinux-2-repos-[a-z0-9-]+|al2023-repos-[a-z0-9-]+-de612dc2)$/;
const REPO_HOST = /^(repo|packages|amazonlinux)\.[a-z0-9-]+\.amazonaws\.com$/;
const VHOST = /^(.+)\.s3(?:\.dualstack)?\.[a-z0-9-]+\.amazonaws\.com$/;

function readFaults() {
  try {
    return JSON.parse(fs.readFileSync(FAULTS_FILE, 'utf8'));
  } catch (err) {
    return {};
  }
}

const hex = n => crypto.randomBytes(n).toString('hex').toUpperCase();
const xmlEscape = s => String(s).replace(/[<>&]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);

function hostOf(req) {
  return String(req.headers.host || '').replace(/:\d+$/, '').toLowerCase();
}

/* Bucket and key of an S3 request, virtual-hosted or path style. */
function s3Target(req) {
  const host = hostOf(req);
  const path = decodeURIComponent(String(req.url).split('?')[0]);
  const m = VHOST.exec(host);
  if (m) return { host, bucket: m[1], key: path.replace(/^\/+/, '') };
  const parts = path.replace(/^\/+/, '').split('/');
  return { host, bucket: parts.shift() || '', key: parts.join('/') };
}

function amzDate(req) {
  const q = new URL(req.url, 'http://x').searchParams;
  const v = req.headers['x-amz-date'] || q.get('X-Amz-Date') || req.headers.date;
  if (!v) return NaN;
  const iso = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (iso) return Date.UTC(+iso[1], iso[2] - 1, +iso[3], +iso[4], +iso[5], +iso[6]);
  return Date.parse(v);
}

const isSigned = req =>
  /^AWS4-HMAC-SHA256 /.test(String(req.headers.authorization || '')) ||
  /X-Amz-Algorithm=/.test(String(req.url));

function sendS3Error(req, res, status, code, message, extra = {}, headers = {}) {
  const requestId = res.getHeader('x-amz-request-id');
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}` +
    `<RequestId>${requestId}</RequestId><HostId>${res.getHeader('x-amz-id-2')}</HostId></Error>`;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/xml');
  if (req.method === 'HEAD') {
    res.end(); // S3 answers HEAD errors with headers only
  } else {
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }
}

/* ---- writes: PutObject and DeleteObject, with the faults of faults.writes[BUCKET] ---- */

// The key S3 uses when a request asks for SSE-KMS without naming one: the account's aws/s3 key.
const AWS_S3_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-00000000a3a3`;

function logWrite(req, res, t) {
  res.on('finish', () => {
    const h = req.headers;
    const line = {
      method: req.method,
      bucket: t.bucket,
      key: t.key,
      versionId: new URL(req.url, 'http://x').searchParams.get('versionId'),
      sse: h['x-amz-server-side-encryption'] || null,
      kmsKeyId: h['x-amz-server-side-encryption-aws-kms-key-id'] || null,
      contentMd5: h['content-md5'] || null,
      contentLength: h['content-length'] || null,
      status: res.statusCode,
    };
    fs.appendFileSync(WRITES_LOG, JSON.stringify(line) + '\n');
  });
}

const hasDigest = h =>
  Boolean(h['content-md5']) || Object.keys(h).some(k => k.startsWith('x-amz-checksum-'));

/* Answers a write itself (a refusal) and returns true, or sets the headers S3 sends with a
 * successful one and returns false (s3rver then stores or deletes the object). */
function writeFault(req, res, t, w) {
  const principal = isSigned(req) ? ROLE_SESSION_ARN : 'anonymous';
  const resource = `arn:aws:s3:::${t.bucket}/${t.key}`;
  const q = new URL(req.url, 'http://x').searchParams;
  const h = req.headers;
  const denied = (action, why) =>
    sendS3Error(req, res, 403, 'AccessDenied',
      `User: ${principal} is not authorized to perform: ${action} on resource: "${resource}" ${why}`);
  if (req.method === 'PUT') {
    const sse = h['x-amz-server-side-encryption'];
    const kmsKey = h['x-amz-server-side-encryption-aws-kms-key-id'] || (sse === 'aws:kms' ? AWS_S3_KEY : '');
    if (w.endpoint_deny_put) {
      denied('s3:PutObject', 'because no VPC endpoint policy allows the s3:PutObject action');
      return true;
    }
    if (w.require_kms && sse !== 'aws:kms') {
      denied('s3:PutObject', 'with an explicit deny in a resource-based policy');
      return true;
    }
    // S3 asks KMS for a data key as the caller: KMS's own refusal, without quotes.
    if (sse === 'aws:kms' && w.kms_denied && (w.kms_denied === '*' || w.kms_denied === kmsKey)) {
      sendS3Error(req, res, 403, 'AccessDenied',
        `User: ${principal} is not authorized to perform: kms:GenerateDataKey on resource: ${kmsKey} ` +
          'because no identity-based policy allows the kms:GenerateDataKey action');
      return true;
    }
    if (w.object_lock && !hasDigest(h)) {
      sendS3Error(req, res, 400, 'InvalidRequest',
        'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters');
      return true;
    }
    res.successHeaders = { 'x-amz-server-side-encryption': sse === 'aws:kms' ? 'aws:kms' : 'AES256' };
    if (sse === 'aws:kms') res.successHeaders['x-amz-server-side-encryption-aws-kms-key-id'] = kmsKey;
    if (w.object_lock) res.successHeaders['x-amz-version-id'] = crypto.randomBytes(24).toString('base64url');
    return false;
  }
  if (req.method === 'DELETE') {
    const version = q.get('versionId');
    if (w.delete_denied) {
      denied(version ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
        `because no identity-based policy allows the ${version ? 's3:DeleteObjectVersion' : 's3:DeleteObject'} action`);
      return true;
    }
    if (w.object_lock && version) {
      sendS3Error(req, res, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
      return true;
    }
    if (w.object_lock) {
      // A versioned bucket keeps the version and answers with the delete marker it added; this
      // stand-in keeps no versions: the object leaves the listing either way.
      res.successHeaders = {
        'x-amz-delete-marker': 'true',
        'x-amz-version-id': crypto.randomBytes(24).toString('base64url'),
      };
    }
    return false;
  }
  return false;
}

/* s3rver's file store is not safe for concurrent requests on one prefix: a delete removes a
 * key's empty parent directories and fails (500) when another write of the directory runs at
 * the same moment, and a listing fails (500) on a key deleted while it reads it. S3 has no such
 * races: writes and listings reach s3rver one at a time. */
let writeChain = Promise.resolve();
function serialized(s3app, req, res) {
  writeChain = writeChain.then(
    () =>
      new Promise(resolve => {
        res.on('close', resolve);
        s3app(req, res);
      }),
  );
}

function mirrorList(t) {
  const base = t.bucket ? `https://${t.bucket}.s3.dualstack.us-east-1.amazonaws.com` : `http://${t.host}`;
  return `${base}/2/core/2.0/x86_64/6b0225ccc542f3834c95733dcf321ab9f1e77e6ca6817469771a8af7c49efe6c\n`;
}

function s3Request(s3app, req, res) {
  const faults = readFaults();
  const skewMs = Number(faults.clock_skew_s || 0) * 1000;
  const now = Date.now() + skewMs;
  res.setHeader('x-amz-request-id', hex(8));
  res.setHeader('x-amz-id-2', crypto.randomBytes(48).toString('base64'));
  // s3rver's error path drops non-x-amz headers: set Date and Server at the last moment.
  const writeHead = res.writeHead;
  res.writeHead = function patchedWriteHead(...args) {
    this.setHeader('Date', new Date(now).toUTCString());
    this.setHeader('Server', 'AmazonS3');
    // what S3 sends with a successful write only (writeFault)
    const status = typeof args[0] === 'number' ? args[0] : this.statusCode;
    if (status < 300) for (const [k, v] of Object.entries(this.successHeaders || {})) this.setHeader(k, v);
    return writeHead.apply(this, args);
  };

  const t = s3Target(req);
  const isRepo = REPO_HOST.test(t.host) || REPO_BUCKET.test(t.bucket);
  if (isRepo) {
    // The endpoint policy of a healthy private VPC does not allow the repo buckets.
    if (faults.repos === 'open') {
      const body = mirrorList(t);
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/plain');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    sendS3Error(req, res, 403, 'AccessDenied', 'Access Denied');
    return;
  }

  if (isSigned(req)) {
    const requestTime = amzDate(req);
    if (Number.isFinite(requestTime) && Math.abs(now - requestTime) > MAX_SKEW_MS) {
      sendS3Error(req, res, 403, 'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.', {
          RequestTime: new Date(requestTime).toISOString().replace(/\.\d+Z$/, 'Z'),
          ServerTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'),
          MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
        });
      return;
    }
    if (faults.signature_mismatch) {
      sendS3Error(req, res, 403, 'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. ' +
          'Check your key and signing method.');
      return;
    }
  }

  if (t.bucket && t.bucket === faults.policy_deny_bucket) {
    const principal = isSigned(req) ? ROLE_SESSION_ARN : 'anonymous';
    const action = req.method === 'PUT' ? 's3:PutObject' : t.key ? 's3:GetObject' : 's3:ListBucket';
    const resource = `arn:aws:s3:::${t.bucket}${t.key ? '/' + t.key : ''}`;
    sendS3Error(req, res, 403, 'AccessDenied',
      `User: ${principal} is not authorized to perform: ${action} on resource: ` +
        `"${resource}" because no VPC endpoint policy allows the ${action} action`);
    return;
  }

  // An object write of a signed request: the write faults of its bucket (the headers of a
  // successful one are set before s3rver answers).
  if (t.bucket && t.key && isSigned(req) && (req.method === 'PUT' || req.method === 'DELETE')) {
    logWrite(req, res, t);
    if (writeFault(req, res, t, (faults.writes || {})[t.bucket] || {})) return;
  }

  if (t.bucket && faults.wrong_region && t.bucket === faults.wrong_region.bucket) {
    const region = faults.wrong_region.region;
    sendS3Error(req, res, 301, 'PermanentRedirect',
      'The bucket you are attempting to access must be addressed using the specified endpoint. ' +
        'Please send all future requests to this endpoint.',
      { Endpoint: `${t.bucket}.s3.${region}.amazonaws.com`, Bucket: t.bucket },
      { 'x-amz-bucket-region': region });
    return;
  }

  // The job's buckets are private: S3 denies anonymous requests (a bucket that does not exist
  // still answers NoSuchBucket, from s3rver).
  if (!isSigned(req) && (!t.bucket || fs.existsSync(path.join(S3_DIR, t.bucket)))) {
    sendS3Error(req, res, 403, 'AccessDenied', 'Access Denied');
    return;
  }

  // what reads or changes a bucket's key tree: writes and listings
  if (req.method === 'PUT' || req.method === 'DELETE' || (req.method === 'GET' && !t.key)) {
    serialized(s3app, req, res);
    return;
  }
  s3app(req, res);
}

/* ---- sts, logs, monitoring, api.ecr, api.sagemaker ---- */

function readBody(req) {
  return new Promise(resolve => {
    const chunks = [];
    let size = 0;
    req.on('data', c => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function reply(res, status, type, body, headers = {}) {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(body);
}

async function awsRequest(req, res) {
  const host = hostOf(req);
  const service = host.split('.').slice(0, -3).join('.'); // "sts", "api.ecr", ...
  const requestId = crypto.randomUUID();
  const body = await readBody(req);
  const signed = isSigned(req);

  if (service === 'sts') {
    const params = new URLSearchParams(body);
    for (const [k, v] of new URL(req.url, 'http://x').searchParams) params.append(k, v);
    const xml = 'text/xml';
    if (!signed) {
      reply(res, 403, xml,
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
          '<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token' +
          `</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>\n`,
        { 'x-amzn-RequestId': requestId });
      return;
    }
    if (params.get('Action') !== 'GetCallerIdentity') {
      reply(res, 400, xml,
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
          `<Code>InvalidAction</Code><Message>Could not find operation ${xmlEscape(params.get('Action') || '')}` +
          ` for version 2011-06-15</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>\n`,
        { 'x-amzn-RequestId': requestId });
      return;
    }
    reply(res, 200, xml,
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
        '  <GetCallerIdentityResult>\n' +
        `    <Arn>${ROLE_SESSION_ARN}</Arn>\n` +
        '    <UserId>AROANCTESTROLE0000001:SageMaker</UserId>\n' +
        `    <Account>${ACCOUNT}</Account>\n` +
        '  </GetCallerIdentityResult>\n' +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        '</GetCallerIdentityResponse>\n',
      { 'x-amzn-RequestId': requestId });
    return;
  }

  // JSON-protocol services answer unauthenticated or unknown requests with a small 4xx.
  const known = ['logs', 'monitoring', 'api.ecr', 'api.sagemaker'].includes(service);
  if (!known) {
    reply(res, 404, 'application/json', '{"message":"Not Found"}\n', { 'x-amzn-RequestId': requestId });
  } else if (!signed) {
    reply(res, 400, 'application/x-amz-json-1.1',
      '{"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}\n',
      { 'x-amzn-RequestId': requestId });
  } else {
    reply(res, 400, 'application/x-amz-json-1.1',
      '{"__type":"com.amazon.coral.service#UnknownOperationException"}\n',
      { 'x-amzn-RequestId': requestId });
  }
}

async function main() {
  const s3 = new S3rver({
    directory: S3_DIR,
    silent: true,
    configureBuckets: BUCKETS.map(name => ({ name, configs: [] })),
  });
  await s3.configureBuckets();
  s3.on('error', (err, ctx) => {
    if (!err || err.status < 500) return;
    process.stderr.write(`services.js: s3rver ${ctx && ctx.method} ${ctx && ctx.url}: ${err.stack}\n`);
  });
  const s3app = s3.callback();

  const s3Server = http.createServer((req, res) => s3Request(s3app, req, res));
  const awsServer = http.createServer((req, res) => {
    awsRequest(req, res).catch(err => {
      process.stderr.write(`services.js: ${err && err.stack}\n`);
      if (!res.headersSent) reply(res, 500, 'text/plain', 'internal error\n');
    });
  });
  await new Promise(resolve => s3Server.listen(S3_PORT, '127.0.0.1', resolve));
  await new Promise(resolve => awsServer.listen(AWS_PORT, '127.0.0.1', resolve));
  process.stdout.write(`services.js: s3 on 127.0.0.1:${S3_PORT}, aws on 127.0.0.1:${AWS_PORT}\n`);

  const stop = () => {
    s3Server.close();
    awsServer.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(err => {
  process.stderr.write(`services.js: ${err && err.stack}\n`);
  process.exit(1);
});
