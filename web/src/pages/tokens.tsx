// The user's personal API tokens (CircleCI's /settings/user/tokens): listed by label and
// creation time, created (the new token is shown once, to copy; the page keeps it nowhere)
// and revoked.
import { useState } from 'preact/hooks';
import { ActionButton, Empty, ErrorNote, submitForm } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { relativeTime } from '../lib/format.ts';
import { useApi } from '../lib/use-api.ts';

interface Token {
  id: string;
  label: string;
  time: string;
}

const TOKENS = '/api/v1.1/user/token';

export function TokensPage() {
  const list = useApi<Token[]>(TOKENS);
  const [fresh, setFresh] = useState<(Token & { token: string }) | undefined>();
  const [error, setError] = useState<string>();
  return (
    <section>
      <h1>Personal API tokens</h1>
      <p class="meta">A token acts as you in the API (Circle-Token header, HTTP Basic user name, or circle-token query).</p>
      <div class="card">
        <ErrorNote error={list.error} />
        {fresh ? (
          <div class="fresh-token" role="status">
            Token <strong>{fresh.label}</strong> created. Copy it now: it is not shown again.
            <code class="wrap" aria-label="New token">{fresh.token}</code>
            <button type="button" onClick={() => setFresh(undefined)}>Done</button>
          </div>
        ) : null}
        {list.data && list.data.length === 0 ? <Empty>No tokens — create one below to call the API from a script.</Empty> : null}
        <table class="list tokens">
          <thead>
            <tr><th>Label</th><th>Created</th><th></th></tr>
          </thead>
          <tbody>
            {(list.data ?? []).map((t) => (
              <tr key={t.id}>
                <td>{t.label}</td>
                <td title={t.time}>{relativeTime(t.time)}</td>
                <td><ActionButton label={`Revoke ${t.label}`} run={() => api.del(`${TOKENS}/${encodeURIComponent(t.id)}`).then(list.reload)} /></td>
              </tr>
            ))}
          </tbody>
        </table>
        <form
          class="inline"
          onSubmit={submitForm(
            async (f) => setFresh(await api.post<Token & { token: string }>(TOKENS, { label: String(f.get('label')).trim() })),
            list.reload,
            setError,
          )}
        >
          <label>
            Token label <input name="label" required maxLength={100} />
          </label>
          <button type="submit" class="primary">Create token</button>
          <ErrorNote error={error} />
        </form>
      </div>
    </section>
  );
}
