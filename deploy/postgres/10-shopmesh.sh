#!/usr/bin/env bash
# Runs once, when the postgres container starts on an empty data directory (the official image
# runs /docker-entrypoint-initdb.d/*.sh). It creates one database and one role per service from
# shopmesh.psql, with the passwords compose passes in. The entrypoint ignores the .psql file
# itself (it runs only *.sh and *.sql), so the passwords reach it as psql variables, quoted by
# psql (:'name'), never pasted into SQL text.
#
# Init scripts never run again on an existing volume: after changing them (or a password),
# start over with `docker compose down -v`.
set -euo pipefail

psql --no-psqlrc -v ON_ERROR_STOP=1 \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set user_svc_password="$USER_SVC_DB_PASSWORD" \
  --set order_svc_password="$ORDER_SVC_DB_PASSWORD" \
  --set payment_svc_password="$PAYMENT_SVC_DB_PASSWORD" \
  --set notification_svc_password="$NOTIFICATION_SVC_DB_PASSWORD" \
  --file /docker-entrypoint-initdb.d/shopmesh.psql
