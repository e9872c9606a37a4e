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
    /** A route of a token-authenticated API that needs no user token (it checks its own credential). */
    public?: boolean;
    /** A route whose body text is made storable by its handler instead of refused (step output). */
    anyBodyText?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated user; set by the token hook of the v2, v1.1 and private APIs (auth.ts). */
    user: User;
  }
}
