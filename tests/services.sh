# Sourced by `make test`: the tests' real parts on this machine. PostgreSQL and Redis on loopback are
# started if they are installed and not running (as root), and the tests use them, unless
# DATABASE_URL or REDIS_URL name others; where they cannot be had, the embedded default (SQLite, the
# filesystem broker) stands in, and the few tests about PostgreSQL's own locks and indexes skip.
# TESTS_NEED_SERVICES=1 (.ci/run sets it) refuses that: CI proves every test, the skipped ones too.
if [ -z "${DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >/dev/null 2>&1 || true
        for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    if psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1; then
        # The tests' commits need not reach the disk before they return (a crash loses a test database only).
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/integrator?options=-c%20synchronous_commit%3Doff"
    fi
fi
if [ -z "${REDIS_URL:-}" ] && command -v redis-cli >/dev/null 2>&1; then
    if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1; then
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
            --dir /tmp --logfile /tmp/redis-tests.log >/dev/null 2>&1 || true
        for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
    fi
    if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
        export REDIS_URL="redis://127.0.0.1:6379/15"
    fi
fi
case "${DATABASE_URL:-}" in
    "") database="SQLite (the embedded default)" ;;
    postgres*) database="PostgreSQL" ;;
    *) database="the DATABASE_URL given" ;;
esac
if [ -n "${REDIS_URL:-}" ]; then broker="Redis"; else broker="the filesystem broker"; fi
echo "make test: on ${database}, with ${broker}"
if [ -n "${TESTS_NEED_SERVICES:-}" ] && { [ "$database" != "PostgreSQL" ] || [ -z "${REDIS_URL:-}" ]; }; then
    echo "make test: TESTS_NEED_SERVICES asks for PostgreSQL and Redis, and this machine gives ${database} with ${broker}" >&2
    false
fi
