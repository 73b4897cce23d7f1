# Sourced by .ci/run: start a throwaway PostgreSQL on loopback for the store's PostgreSQL
# tests and export STOCKADE_TEST_POSTGRES_URL. Stopped and removed on exit.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=$(mktemp -d /tmp/stk-pg.XXXXXX)
# A port nobody holds right now, unless one is asked for: a fixed port failed CI when an
# earlier run's server on this machine still held it ("Address already in use").
PGPORT=${STOCKADE_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
chown postgres "$PGDATA"
stop_postgres() {
  su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap stop_postgres EXIT
su postgres -s /bin/sh -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/log -w \
  -o '-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off' start" >/dev/null \
  || { tail -n 5 "$PGDATA/log" >&2; exit 1; }
export STOCKADE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
echo "PostgreSQL for tests at $STOCKADE_TEST_POSTGRES_URL"
