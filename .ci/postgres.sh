# Sourced by .ci/run: start a throwaway PostgreSQL on loopback for the store's PostgreSQL
# tests and export STOCKADE_TEST_POSTGRES_URL. Stopped and removed on exit.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=$(mktemp -d /tmp/stk-pg.XXXXXX)
PGPORT=${STOCKADE_PG_PORT:-55432}
chown postgres "$PGDATA"
su postgres -s /bin/sh -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/log -w \
  -o '-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off' start" >/dev/null
stop_postgres() {
  su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap stop_postgres EXIT
export STOCKADE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
echo "PostgreSQL for tests at $STOCKADE_TEST_POSTGRES_URL"
