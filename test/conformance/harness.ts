// Conformance cases: each calls one implemented operation over real HTTP and the
// response is checked against CircleCI's spec. Case files live in ./cases/.
import type { TestServer } from '../helpers/server.ts';

export interface CaseContext {
  server: TestServer;
  /** A member of org `acme` with a token. */
  token: string;
  /** A user of another org (`other`) with a token. */
  otherToken: string;
  /** The project `gh/acme/app`, repository at `repo`. */
  projectSlug: string;
  repo: string;
  /**
   * A runner token bound to the self-hosted resource class `conformance/runner`: an agent
   * using it claims only jobs that ask for that class (see ./flows.ts), never the cloud-class
   * jobs other cases leave queued.
   */
  runnerToken: string;
}

export interface Call {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ConformanceCase {
  /** The route as registered in Fastify, e.g. `GET /api/v2/project/:provider/:organization/:project`. */
  route: string;
  name: string;
  /** Which spec the response is validated against (default v2; `none` for circlet-only routes). */
  spec?: 'v2' | 'v1' | 'none';
  /** Expected status. */
  status: number;
  /** The error body's field: `message`, except where CircleCI's spec says `error` (OIDC Token Management). */
  errorBody?: 'message' | 'error';
  /** Optional set-up, then the call to make. */
  call: (ctx: CaseContext) => Promise<Call> | Call;
  /** Extra assertions on the parsed body. */
  expect?: (body: any, ctx: CaseContext) => void | Promise<void>;
}
