#!/usr/bin/env bash
# Production mode on this machine: PostgreSQL + Redis + 2 Rasa + 2 action servers behind nginx,
# all on 127.0.0.1, state under var/prod/. Installs the Debian packages when missing (root).
# Ports/instances: PROD_PORT (8000) PROD_ACTIONS_PORT (8055) RASA_INSTANCES (2) ACTION_INSTANCES (2)
#   RASA_BASE_PORT (5105) ACTIONS_BASE_PORT (5155) PG_PORT (5433) REDIS_PORT (6380). See docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "!! missing ${missing[*]}: install them (apt-get) or run as root" >&2; exit 1; fi
  echo ">> installing ${missing[*]} (apt-get, once)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -f models/fenqi.tar.gz ] || { echo "!! no trained model: run 'make train' first" >&2; exit 1; }

export SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false PYTHONUNBUFFERED=1
exec "$BIN/python" -m deploy --root var/prod --no-install "$@"
