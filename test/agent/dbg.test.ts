import { it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { Harness } from './harness.ts';
it('claim waits', async () => {
  const h = await Harness.start(databaseKinds()[0]!);
  const t = Date.now();
  const r = await fetch(h.server.url + '/api/runner/v1/claim', { method: 'POST', headers: { authorization: `Bearer ${h.runnerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ agent_id: 'x', executors: ['machine'], wait_ms: 2000 }) });
  console.log('claim status', r.status, Date.now() - t);
  const ac = new AbortController();
  const t2 = Date.now();
  const p = fetch(h.server.url + '/api/runner/v1/claim', { method: 'POST', signal: ac.signal, headers: { authorization: `Bearer ${h.runnerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ agent_id: 'x', executors: ['machine'], wait_ms: 20000 }) }).catch((e) => String(e));
  setTimeout(() => ac.abort(), 200);
  await p;
  const t3 = Date.now();
  await h.close();
  console.log('aborted after', t3 - t2, 'close took', Date.now() - t3);
});
