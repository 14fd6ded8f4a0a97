# Sourced by scripts/test.sh: make a PostgreSQL server available for the centre's tests.
# Order: an explicit CENTRE_TEST_DATABASE_URL; a server already on 127.0.0.1:5432; start the Debian
# cluster; as root, install Debian's postgresql and start it. Without any, the PostgreSQL cases are
# reported as skipped with that reason (the SQLite cases still run) — except under CI=true, where they
# fail (tests/sync_fixtures.py): CI must test the production store.
pg_up() { .venv/bin/python - "$1" <<'PY' 2>/dev/null
import sys, psycopg
psycopg.connect(sys.argv[1].replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
PY
}
if [ -z "${CENTRE_TEST_DATABASE_URL:-}" ]; then
  url="postgresql+psycopg://postgres@127.0.0.1:5432/test"
  if ! pg_up "$url"; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      echo "postgres: installing Debian's postgresql for the centre tests"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || true
    fi
    if ls /etc/postgresql/*/main >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      ver=$(ls /etc/postgresql | sort -V | tail -1)
      pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || true
      for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 && break; sleep 0.5; done
      su postgres -c "createdb test" >/dev/null 2>&1 || true
      if ! pg_up "$url"; then
        # Debian's default loopback auth wants a password: give the throwaway test role one.
        su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'kiosk-test'\"" >/dev/null 2>&1 || true
        url="postgresql+psycopg://postgres:kiosk-test@127.0.0.1:5432/test"
      fi
    fi
  fi
  if pg_up "$url"; then
    export CENTRE_TEST_DATABASE_URL="$url"
  fi
fi
if [ -n "${CENTRE_TEST_DATABASE_URL:-}" ]; then
  echo "postgres: centre tests use ${CENTRE_TEST_DATABASE_URL}"
elif [ "${CI:-}" = true ]; then
  echo "postgres: no server reachable; under CI=true the PostgreSQL cases of the centre tests will FAIL" >&2
else
  echo "postgres: no server reachable; PostgreSQL cases of the centre tests will be skipped"
fi
