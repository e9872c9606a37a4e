// A project's outbound webhooks: listed, created (name, URL, events) and deleted.
import { useState } from 'preact/hooks';
import { ActionButton, Empty, ErrorNote, submitForm } from '../components/ui.tsx';
import { api, v2 } from '../lib/api.ts';
import { useApi, type Page } from '../lib/use-api.ts';

interface Webhook {
  id: string;
  name: string;
  url: string;
  events: string[];
}

export function Webhooks({ slug }: { slug: string }) {
  const project = useApi<{ id: string }>(v2(`/project/${slug}`));
  const id = project.data?.id;
  const list = useApi<Page<Webhook>>(id ? v2(`/webhook?scope-id=${id}&scope-type=project`) : null);
  const [error, setError] = useState<string>();
  return (
    <div class="card">
      <h2>Webhooks</h2>
      <ErrorNote error={project.error ?? list.error} />
      {list.data && list.data.items.length === 0 ? <Empty>No webhooks — add one below to be told when workflows and jobs complete.</Empty> : null}
      <ul>
        {(list.data?.items ?? []).map((w) => (
          <li key={w.id}>
            <strong>{w.name}</strong> <code>{w.url}</code> <span class="meta">{w.events.join(', ')}</span>{' '}
            <ActionButton label={`Delete webhook ${w.name}`} run={() => api.del(v2(`/webhook/${w.id}`)).then(list.reload)} />
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={submitForm(
          (f) =>
            api.post(v2('/webhook'), {
              name: String(f.get('name')).trim(),
              url: String(f.get('url')).trim(),
              events: f.getAll('events').map(String),
              'verify-tls': true,
              'signing-secret': String(f.get('secret') ?? ''),
              scope: { id, type: 'project' },
            }),
          list.reload,
          setError,
        )}
      >
        <label>
          Webhook name <input name="name" required />
        </label>
        <label>
          URL <input name="url" type="url" required placeholder="https://" />
        </label>
        <label>
          Signing secret <input name="secret" type="password" autoComplete="off" />
        </label>
        <label>
          <input type="checkbox" name="events" value="workflow-completed" defaultChecked /> workflow-completed
        </label>
        <label>
          <input type="checkbox" name="events" value="job-completed" /> job-completed
        </label>
        <button type="submit" disabled={!id}>Add webhook</button>
        <ErrorNote error={error} />
      </form>
    </div>
  );
}
