#!/bin/sh
# circlet post-receive hook: tells a circlet server about every branch and tag pushed to
# this repository, so each one triggers the project's pipeline (trigger type `webhook`).
# A deleted branch or tag triggers nothing.
#
# Install: copy to <repository>/hooks/post-receive (a bare repository on your git server),
# make it executable, and configure it in that repository:
#
#   git config circlet.url     https://ci.example.com      # the circlet server
#   git config circlet.project gh/acme/app                 # the project's slug
#   git config circlet.secret  <secret>                    # the project's webhook secret
#
# (or set CIRCLET_URL, CIRCLET_PROJECT, CIRCLET_HOOK_SECRET in the hook's environment).
# The secret and the URL are shown by
#   curl -H "Circle-Token: $TOKEN" https://ci.example.com/api/v2/project/gh/acme/app/incoming-webhooks
#
# The server fetches the pushed revisions from the project's repository URL, so that URL
# must reach this repository. A failed notification is reported but never fails the push.
set -u

setting() {
  git config --get "$1" 2>/dev/null || true
}

url=${CIRCLET_URL:-$(setting circlet.url)}
project=${CIRCLET_PROJECT:-$(setting circlet.project)}
secret=${CIRCLET_HOOK_SECRET:-$(setting circlet.secret)}

if [ -z "$url" ] || [ -z "$project" ] || [ -z "$secret" ]; then
  echo "circlet: circlet.url, circlet.project and circlet.secret must be configured; not notified" >&2
  exit 0
fi

# stdin holds one "<old-sha> <new-sha> <ref>" line per updated ref; it is posted as is.
# The secret is handed to curl as a config line on its stdin, so it does not show in the
# process list.
refs=$(cat)
if ! printf 'header = "X-Circlet-Secret: %s"\n' "$secret" |
  curl --silent --show-error --fail --max-time 30 \
    --config - \
    --header 'Content-Type: text/plain' \
    --data-binary "$refs" \
    "${url%/}/hooks/git?project=${project}" >/dev/null; then
  echo "circlet: could not notify ${url%/}" >&2
fi
exit 0
