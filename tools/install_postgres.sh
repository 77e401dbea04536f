#!/usr/bin/env bash
# Install what the PostgreSQL tests and `make bench` need: Debian's PostgreSQL server programs (initdb, postgres,
# psql, pg_isready). The tests start their own throwaway cluster (loadtests/postgres.py), so no cluster is created
# or started here. Idempotent: does nothing when the programs are already there.
set -euo pipefail
for bindir in ${OCPI_PG_BINDIR:-} /usr/lib/postgresql/*/bin; do
    if [ -x "$bindir/initdb" ] && [ -x "$bindir/postgres" ] && [ -x "$bindir/psql" ] && [ -x "$bindir/pg_isready" ]; then
        echo "postgresql: $("$bindir/postgres" --version) in $bindir"
        exit 0
    fi
done
. "$(dirname "$0")/apt_install.sh"
HINT="no PostgreSQL server programs: install PostgreSQL and set OCPI_PG_BINDIR to its bin folder"
need_apt_get "$HINT"
# The package would create and start a "main" cluster on port 5432; the tests need none of it.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    as_root mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
apt_install "$HINT" postgresql
bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
echo "postgresql: $("$bindir/postgres" --version) in $bindir"
