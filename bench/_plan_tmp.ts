import { openAndMigrate } from '/work/main/src/storage/db.ts';
import { ensureOrganization } from '/work/main/src/storage/organizations.ts';
import { createProject } from '/work/main/src/storage/projects.ts';
import { CompiledQuery } from 'kysely';
const d = await openAndMigrate(':memory:');
const org = await ensureOrganization(d, 'github', 'x');
const p = await createProject(d, org, { name: 'a', vcsUrl: '/r' });
const db = d.db;
const q1 = db.selectFrom('workflows as w').innerJoin('pipelines as p', 'p.id', 'w.pipeline_id').where('w.project_id', 'in', [p.id]).where('w.created_at', '>=', 'a').where('w.created_at', '<', 'b').where('w.status', 'in', ['success','failed']).where('w.stopped_at', 'is not', null).where('w.tag', 'is', null).where('p.branch', '=', 'main').select(['w.id', 'w.project_id', 'w.name', 'w.status', 'p.branch', 'w.created_at', 'w.stopped_at']).orderBy('w.created_at').orderBy('w.id');
const q2 = db.selectFrom('workflows as w').innerJoin('pipelines as p', 'p.id', 'w.pipeline_id').select('p.branch').distinct().where('w.project_id', '=', p.id).where('w.created_at', '>=', 'a').where('w.tag', 'is', null).where('p.branch', 'is not', null).orderBy('p.branch').limit(5000);
const q3 = db.selectFrom('workflows as w').innerJoin('pipelines as p', 'p.id', 'w.pipeline_id').innerJoin('jobs as j', 'j.workflow_id', 'w.id').where('w.project_id', 'in', [p.id]).where('w.created_at', '>=', 'a').where('w.created_at', '<', 'b').where('w.tag', 'is', null).where('j.type', '=', 'build').where('j.status', 'in', ['success']).where('j.stopped_at', 'is not', null).where('w.name', '=', 'build').where('p.branch', '=', 'main').select(['j.name', 'j.status', 'p.branch', 'j.workflow_id', 'j.created_at', 'j.started_at', 'j.stopped_at']).orderBy('j.created_at').orderBy('j.id');
for (const q of [q1, q2, q3]) {
  const c = q.compile();
  const r = await db.executeQuery(CompiledQuery.raw('EXPLAIN QUERY PLAN ' + c.sql, [...c.parameters]));
  console.log(r.rows.map((x: any) => x.detail).join('\n'), '\n---');
}
await d.close();
