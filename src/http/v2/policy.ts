// Policy Management tag: config policies are Rego programs evaluated by OPA, which circlet
// does not embed (docs/compatibility.md, "Config policies"). Every route answers 501 with a
// message naming the feature, so a client learns the feature is off rather than that the
// server is broken; no decision is ever made up.
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../errors.ts';
import { errorResponses, messageSchema } from '../schemas/common.ts';

const base = '/owner/:ownerID/context/:context';

const operations: { method: 'GET' | 'POST' | 'PATCH'; path: string; operationId: string }[] = [
  { method: 'GET', path: `${base}/decision`, operationId: 'GetDecisionLogs' },
  { method: 'POST', path: `${base}/decision`, operationId: 'MakeDecision' },
  { method: 'GET', path: `${base}/decision/settings`, operationId: 'GetDecisionSettings' },
  { method: 'PATCH', path: `${base}/decision/settings`, operationId: 'SetDecisionSettings' },
  { method: 'GET', path: `${base}/decision/:decisionID`, operationId: 'GetDecisionLog' },
  { method: 'GET', path: `${base}/decision/:decisionID/policy-bundle`, operationId: 'GetDecisionLogPolicyBundle' },
  { method: 'GET', path: `${base}/policy-bundle`, operationId: 'GetPolicyBundle' },
  { method: 'POST', path: `${base}/policy-bundle`, operationId: 'CreatePolicyBundle' },
  { method: 'GET', path: `${base}/policy-bundle/:policyName`, operationId: 'GetPolicyDocument' },
];

export function policyRoutes(app: FastifyInstance): void {
  for (const op of operations) {
    app.route({
      method: op.method,
      url: op.path,
      schema: {
        tags: ['Policy Management'],
        operationId: op.operationId,
        description: 'Not supported by circlet: answers 501 (config policies need an OPA engine).',
        response: { ...errorResponses, 501: messageSchema },
      },
      handler: async () => {
        throw new CircletError('POLICY_UNSUPPORTED');
      },
    });
  }
}
