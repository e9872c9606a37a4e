// An organization's contexts and their environment variables: create and delete.
import { useState } from 'preact/hooks';
import { ActionButton, Crumbs, Empty, ErrorNote, Loading, submitForm } from '../components/ui.tsx';
import { api, v2 } from '../lib/api.ts';
import { useApi, type Page } from '../lib/use-api.ts';

interface Context {
  id: string;
  name: string;
}

export function ContextsPage({ org }: { org: string }) {
  const list = useApi<Page<Context>>(v2(`/context?owner-slug=${encodeURIComponent(org)}&owner-type=organization`));
  const [error, setError] = useState<string>();
  return (
    <section>
      <Crumbs items={[[org, undefined], ['Contexts', undefined]]} />
      <h1>Contexts</h1>
      <ErrorNote error={list.error} />
      {!list.data ? (
        list.error ? null : <Loading what="contexts" />
      ) : list.data.items.length === 0 ? (
        <Empty>No contexts — create one below and name it in a workflow's job `context:`.</Empty>
      ) : (
        list.data.items.map((c) => <ContextCard key={c.id} c={c} reload={list.reload} />)
      )}
      <form
        class="inline card"
        onSubmit={submitForm((f) => api.post(v2('/context'), { name: String(f.get('name')).trim(), owner: { slug: org, type: 'organization' } }), list.reload, setError)}
      >
        <label>
          Context name <input name="name" required />
        </label>
        <button type="submit" class="primary">Create context</button>
        <ErrorNote error={error} />
      </form>
    </section>
  );
}

function ContextCard({ c, reload }: { c: Context; reload: () => void }) {
  const vars = useApi<Page<{ variable: string }>>(v2(`/context/${c.id}/environment-variable`));
  const [error, setError] = useState<string>();
  return (
    <div class="card">
      <h2>
        {c.name} <ActionButton label={`Delete context ${c.name}`} run={() => api.del(v2(`/context/${c.id}`)).then(reload)} />
      </h2>
      {vars.data && vars.data.items.length === 0 ? <Empty>No variables in this context yet.</Empty> : null}
      <ul>
        {(vars.data?.items ?? []).map((v) => (
          <li key={v.variable}>
            <code>{v.variable}</code> <code>xxxx</code>{' '}
            <ActionButton label={`Delete ${v.variable}`} run={() => api.del(v2(`/context/${c.id}/environment-variable/${encodeURIComponent(v.variable)}`)).then(vars.reload)} />
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={submitForm(
          (f) => api.put(v2(`/context/${c.id}/environment-variable/${encodeURIComponent(String(f.get('name')).trim())}`), { value: String(f.get('value')) }),
          vars.reload,
          setError,
        )}
      >
        <label>
          Name <input name="name" required />
        </label>
        <label>
          Value <input name="value" type="password" required autoComplete="off" />
        </label>
        <button type="submit">Add variable</button>
        <ErrorNote error={error} />
      </form>
    </div>
  );
}
