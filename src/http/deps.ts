// What the HTTP layer is given by the composition root (src/server).
import type { SecretBox } from '../domain/secret-box.ts';
import type { Engine } from '../engine/engine.ts';
import type { Database } from '../storage/db.ts';
import type { User } from '../storage/users.ts';

export interface HttpDeps {
  database: Database;
  secrets: SecretBox;
  engine: Engine;
  /** Public base URL of this server, e.g. `http://127.0.0.1:8080` (used in links). */
  baseUrl?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route under /api that needs no token (it checks its own signature). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated user; set by the auth hook on every /api route. */
    user: User;
  }
}
