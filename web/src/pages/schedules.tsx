// A project's scheduled pipelines: listed with their timetable, created (name, branch, runs per
// hour, the hours and the days they run on, as CircleCI's form asks) and deleted.
import { useState } from 'preact/hooks';
import { ActionButton, Empty, ErrorNote, submitForm } from '../components/ui.tsx';
import { api, v2 } from '../lib/api.ts';
import { DAYS, describeTimetable, parseHours, type Timetable } from '../lib/schedule.ts';
import { useApi, type Page } from '../lib/use-api.ts';

interface Schedule {
  id: string;
  name: string;
  description: string | null;
  parameters: Record<string, unknown>;
  timetable: Timetable;
}

export function Schedules({ slug }: { slug: string }) {
  const list = useApi<Page<Schedule>>(v2(`/project/${slug}/schedule`));
  const [error, setError] = useState<string>();
  return (
    <div class="card">
      <h2>Schedules</h2>
      <ErrorNote error={list.error} />
      {list.data && list.data.items.length === 0 ? <Empty>No schedules — create one below to run pipelines on a timetable.</Empty> : null}
      <ul class="schedules">
        {(list.data?.items ?? []).map((s) => (
          <li key={s.id}>
            <strong>{s.name}</strong> <span class="meta">{describeTimetable(s.timetable)}</span>
            {typeof s.parameters.branch === 'string' ? <code>{s.parameters.branch}</code> : null}
            {s.description ? <span> — {s.description}</span> : null}{' '}
            <ActionButton label={`Delete schedule ${s.name}`} run={() => api.del(v2(`/schedule/${s.id}`)).then(list.reload)} />
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={submitForm(
          async (f) => {
            const days = f.getAll('days').map(String);
            return api.post(v2(`/project/${slug}/schedule`), {
              name: String(f.get('name')).trim(),
              description: String(f.get('description') ?? '').trim() || null,
              'attribution-actor': 'current',
              parameters: { branch: String(f.get('branch')).trim() },
              timetable: { 'per-hour': Number(f.get('per-hour')), 'hours-of-day': parseHours(String(f.get('hours') ?? '')), 'days-of-week': days.length ? days : [...DAYS] },
            });
          },
          list.reload,
          setError,
        )}
      >
        <label>
          Schedule name <input name="name" required />
        </label>
        <label>
          Description <input name="description" />
        </label>
        <label>
          Schedule branch <input name="branch" required defaultValue="main" />
        </label>
        <label>
          Runs per hour <input name="per-hour" type="number" min={1} max={60} required defaultValue="1" />
        </label>
        <label>
          Hours (UTC) <input name="hours" placeholder="every hour, or 9, 17 or 9-17" />
        </label>
        <fieldset>
          <legend>Days</legend>
          {DAYS.map((d) => (
            <label key={d}>
              <input type="checkbox" name="days" value={d} /> {d}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary">Create schedule</button>
        <ErrorNote error={error} />
      </form>
    </div>
  );
}
