// Project settings: environment variables (values masked), outbound webhooks, checkout keys
// and schedules, each added and deleted from the page.
import { useState } from 'preact/hooks';
import { ActionButton, Crumbs, Empty, ErrorNote, submitForm } from '../components/ui.tsx';
import { api, v2 } from '../lib/api.ts';
import { links } from '../lib/router.ts';
import { useApi, type Page } from '../lib/use-api.ts';
import { CheckoutKeys } from './checkout-keys.tsx';
import { Schedules } from './schedules.tsx';
import { Webhooks } from './webhooks.tsx';

export function SettingsPage({ slug }: { slug: string }) {
  return (
    <section>
      <Crumbs items={[[slug, links.pipelines(slug)], ['Project settings', undefined]]} />
      <h1>Project settings</h1>
      <EnvVars slug={slug} />
      <Webhooks slug={slug} />
      <CheckoutKeys slug={slug} />
      <Schedules slug={slug} />
    </section>
  );
}

function EnvVars({ slug }: { slug: string }) {
  const list = useApi<Page<{ name: string; value: string }>>(v2(`/project/${slug}/envvar`));
  const [error, setError] = useState<string>();
  return (
    <div class="card">
      <h2>Environment variables</h2>
      <ErrorNote error={list.error} />
      {!list.data ? null : list.data.items.length === 0 ? (
        <Empty>No environment variables — add one below; jobs of this project see it.</Empty>
      ) : (
        <table class="list envvars">
          <thead>
            <tr><th>Name</th><th>Value</th><th></th></tr>
          </thead>
          <tbody>
            {list.data.items.map((v) => (
              <tr key={v.name}>
                <td><code>{v.name}</code></td>
                <td><code>{v.value}</code></td>
                <td><ActionButton label={`Delete ${v.name}`} run={() => api.del(v2(`/project/${slug}/envvar/${encodeURIComponent(v.name)}`)).then(list.reload)} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        class="inline"
        onSubmit={submitForm((f) => api.post(v2(`/project/${slug}/envvar`), { name: String(f.get('name')).trim(), value: String(f.get('value')) }), list.reload, setError)}
      >
        <label>
          Name <input name="name" required pattern="[A-Za-z_][A-Za-z0-9_]*" />
        </label>
        <label>
          Value <input name="value" type="password" required autoComplete="off" />
        </label>
        <button type="submit" class="primary">Add variable</button>
        <ErrorNote error={error} />
      </form>
    </div>
  );
}
