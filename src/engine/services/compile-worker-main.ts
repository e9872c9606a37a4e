// The body of a compile worker thread (see compile-worker.ts): compiles one config at a time and
// asks the parent thread for orbs, since the orb source (registry, directory) lives there.
import { parentPort } from 'node:worker_threads';
import { compileConfig } from '../../config/index.ts';
import type { OrbRef, OrbSource } from '../../config/types.ts';
import type { FromWorker, ToWorker } from './compile-protocol.ts';

const port = parentPort;
if (!port) throw new Error('compile-worker-main runs only as a worker thread');

const pendingOrbs = new Map<number, { resolve: (v: Awaited<ReturnType<OrbSource['resolve']>>) => void; reject: (e: Error) => void }>();
let nextOrb = 0;

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

function orbSourceFor(id: number): OrbSource {
  return {
    resolve(ref: OrbRef) {
      const rid = nextOrb++;
      return new Promise((resolve, reject) => {
        pendingOrbs.set(rid, { resolve, reject });
        send({ t: 'orb', id, rid, ref });
      });
    },
    resolveUrl(url: string) {
      const rid = nextOrb++;
      return new Promise((resolve, reject) => {
        pendingOrbs.set(rid, { resolve: (v) => (v ? resolve({ source: v.source }) : reject(new Error('URL orbs are not supported here'))), reject });
        send({ t: 'url-orb', id, rid, url });
      });
    },
  };
}

port.on('message', (msg: ToWorker) => {
  if (msg.t === 'orb') {
    const p = pendingOrbs.get(msg.rid);
    pendingOrbs.delete(msg.rid);
    if (!p) return;
    if (msg.error !== undefined) p.reject(new Error(msg.error));
    else p.resolve(msg.value ?? null);
    return;
  }
  const { id, source, options } = msg;
  compileConfig(source, { ...options, orbSource: msg.hasOrbSource ? orbSourceFor(id) : undefined }).then(
    (result) => send({ t: 'done', id, result }),
    (err: unknown) => send({ t: 'failed', id, message: err instanceof Error ? err.message : String(err) }),
  );
});

send({ t: 'ready' });
