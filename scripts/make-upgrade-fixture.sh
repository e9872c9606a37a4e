#!/usr/bin/env bash
# Makes the upgrade fixture in test/fixtures/upgrade/ (README there): builds circlet as it was
# at COMMIT (default b3bcdf2, the last commit whose schema ends at migration 0011) in a temp
# directory, runs that old server, agents and command line for real through
# scripts/upgrade-fixture/drive.ts, and saves what it wrote: the SQLite database, and a
# pg_dump of the same run on PostgreSQL when PostgreSQL is reachable.
#   scripts/make-upgrade-fixture.sh [COMMIT]
# PostgreSQL: CIRCLET_FIXTURE_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), a
# database the script may create and drop a scratch database from; SKIP_POSTGRES=1 skips it.
set -euo pipefail
COMMIT=${1:-b3bcdf2}
ROOT=$(git rev-parse --show-toplevel)
OUT="$ROOT/test/fixtures/upgrade"
FULL=$(git -C "$ROOT" rev-parse "$COMMIT^{commit}")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/circlet-old-XXXXXX")
PG_ADMIN=${CIRCLET_FIXTURE_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB="circlet_fixture_$$"
cleanup() {
  rm -rf "$TMP"
  if [ "${PG_MADE:-}" = 1 ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null || true; fi
}
trap cleanup EXIT

# The old source, without touching this checkout's worktrees; this checkout's node_modules
# (the old commit's dependencies are a subset of today's).
mkdir -p "$TMP/old"
git -C "$ROOT" archive "$FULL" | tar -x -C "$TMP/old"
ln -s "$ROOT/node_modules" "$TMP/old/node_modules"
(cd "$TMP/old" && node scripts/build.mjs >/dev/null)

cd "$ROOT"
export FIXTURE_COMMIT="$FULL"
npx tsx scripts/upgrade-fixture/drive.ts --old "$TMP/old" --out "$OUT"
if [ "${SKIP_POSTGRES:-}" != 1 ]; then
  psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB TEMPLATE template0" >/dev/null
  PG_MADE=1
  npx tsx scripts/upgrade-fixture/drive.ts --old "$TMP/old" --out "$OUT" --database-url "${PG_ADMIN%/*}/$PG_DB"
fi
du -sh "$OUT"
