// The MCP server ships JavaScript without declarations; the suite uses its API clients as
// untyped objects and asserts on what they return.
declare module '@circleci/mcp-server-circleci/dist/clients/circleci/index.js' {
  export class CircleCIClients {
    constructor(options: { token: string });
    jobs: any;
    pipelines: any;
    workflows: any;
    jobsV1: any;
    insights: any;
    tests: any;
    configValidate: any;
    projects: any;
    usage: any;
    deploys: any;
  }
}
declare module '@circleci/mcp-server-circleci/dist/clients/circleci-private/index.js' {
  export class CircleCIPrivateClients {
    constructor(options: { token: string });
    me: any;
    jobs: any;
  }
}
