// Messages between the server and its compile worker threads (compile-worker.ts).
import type { CompileOptions, CompileResult, OrbRef, OrbSource } from '../../config/types.ts';

export type ToWorker =
  | { t: 'compile'; id: number; source: string; options: Omit<CompileOptions, 'orbSource'>; hasOrbSource: boolean }
  | { t: 'orb'; rid: number; value?: Awaited<ReturnType<OrbSource['resolve']>>; error?: string };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'orb'; id: number; rid: number; ref: OrbRef }
  | { t: 'url-orb'; id: number; rid: number; url: string }
  | { t: 'done'; id: number; result: CompileResult }
  | { t: 'failed'; id: number; message: string };
