/* global fetch */
// How the AWS Lambda Node.js runtime starts a function, reduced to what this library depends on. The runtime is
// one Node process (`node /var/runtime/index.mjs`) started with the function's environment, so the preload in
// NODE_OPTIONS runs before it; its working directory is LAMBDA_TASK_ROOT. It resolves _HANDLER ("index.handler")
// to a file there, loads it with import() (which also loads CommonJS handlers), then loops over the Runtime API:
// GET /2018-06-01/runtime/invocation/next, call the handler, POST .../{requestId}/response (or /error).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const [moduleName, handlerName] = process.env._HANDLER.split('.');
const root = process.env.LAMBDA_TASK_ROOT;
const file = ['.js', '.mjs', '.cjs'].map((ext) => path.join(root, moduleName + ext)).find((f) => fs.existsSync(f));
const mod = await import(pathToFileURL(file).href);
const handler = mod[handlerName] ?? mod.default?.[handlerName];

for (;;) {
  const next = await fetch(`http://${api}/2018-06-01/runtime/invocation/next`);
  const requestId = next.headers.get('lambda-runtime-aws-request-id');
  const event = await next.json();
  let route = 'response';
  let body;
  try {
    body = JSON.stringify(await handler(event, { awsRequestId: requestId }));
  } catch (error) {
    route = 'error';
    body = JSON.stringify({ errorType: error.name, errorMessage: error.message });
  }
  await fetch(`http://${api}/2018-06-01/runtime/invocation/${requestId}/${route}`, { method: 'POST', body });
}
