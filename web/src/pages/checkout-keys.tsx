// A project's checkout keys: listed (type, fingerprint, which one checkout uses), added (a
// deploy key or a user key; the server makes the pair and shows only the public half) and
// deleted.
import { useState } from 'preact/hooks';
import { ActionButton, Empty, ErrorNote } from '../components/ui.tsx';
import { api, v2 } from '../lib/api.ts';
import { useApi, type Page } from '../lib/use-api.ts';

interface CheckoutKey {
  type: string;
  fingerprint: string;
  preferred: boolean;
  'public-key': string;
  'created-at': string;
}

export function CheckoutKeys({ slug }: { slug: string }) {
  const list = useApi<Page<CheckoutKey>>(v2(`/project/${slug}/checkout-key`));
  const [error, setError] = useState<string>();
  const add = (type: 'deploy-key' | 'user-key') => () =>
    api.post(v2(`/project/${slug}/checkout-key`), { type }).then(
      () => (setError(undefined), list.reload()),
      (err: Error) => setError(err.message),
    );
  return (
    <div class="card">
      <h2>Checkout keys</h2>
      <ErrorNote error={list.error ?? error} />
      {list.data && list.data.items.length === 0 ? <Empty>No checkout keys — add a deploy key below, then give its public key read access to the repository.</Empty> : null}
      <ul class="keys">
        {(list.data?.items ?? []).map((k) => (
          <li key={k.fingerprint}>
            <strong>{k.type}</strong> <code>{k.fingerprint}</code> {k.preferred ? <span class="meta">used by checkout</span> : null}
            <details>
              <summary>Public key</summary>
              <code class="wrap">{k['public-key']}</code>
            </details>
            <ActionButton label={`Delete key ${k.fingerprint}`} run={() => api.del(v2(`/project/${slug}/checkout-key/${encodeURIComponent(k.fingerprint)}`)).then(list.reload)} />
          </li>
        ))}
      </ul>
      <div class="inline">
        <ActionButton label="Add deploy key" kind="primary" run={add('deploy-key')} />
        <ActionButton label="Add user key" run={add('user-key')} />
      </div>
    </div>
  );
}
