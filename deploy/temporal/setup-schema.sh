#!/bin/sh
# One-shot, run by the `temporal-schema` service of docker-compose.yml in the temporalio/admin-tools
# image (the same version as the temporalio/server image): creates Temporal's two databases on
# PostgreSQL and brings their schemas to that version, as Temporal's own compose examples do.
# Connection settings come from the environment (SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER,
# SQL_PASSWORD, read by temporal-sql-tool itself). Every step may run again on a set-up database:
# create-database skips a database that exists, setup-schema -v 0.0 only adds the version tables,
# update-schema applies only the versions not yet applied; so it runs at every `docker compose up`.
set -eu

schema=/etc/temporal/schema/postgresql/v12

until nc -z "$SQL_HOST" "$SQL_PORT"; do
  echo "waiting for PostgreSQL at $SQL_HOST:$SQL_PORT"
  sleep 1
done

setup() { # database, schema directory
  temporal-sql-tool --db "$1" create-database
  temporal-sql-tool --db "$1" setup-schema -v 0.0
  temporal-sql-tool --db "$1" update-schema -d "$schema/$2/versioned"
}

setup temporal temporal
setup temporal_visibility visibility
echo "Temporal schemas are set up"
