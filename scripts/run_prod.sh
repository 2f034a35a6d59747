#!/usr/bin/env bash
# Production mode on this machine: PostgreSQL + Redis + 2 Rasa + 2 action servers behind nginx,
# all on 127.0.0.1, state under var/prod/. Installs the Debian packages when missing (root).
# Ports/instances: PROD_PORT (8000) PROD_ACTIONS_PORT (8055) RASA_INSTANCES (2) ACTION_INSTANCES (2)
#   RASA_BASE_PORT (5105) ACTIONS_BASE_PORT (5155) PG_PORT (5433) REDIS_PORT (6380). See docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

[ -f models/fenqi.tar.gz ] || { echo "!! no trained model: run 'make train' first" >&2; exit 1; }

# python -m deploy checks for (and apt-installs, as root) PostgreSQL, Redis and nginx, and gives every
# process the environment of deploy/runtime.env.
exec "$BIN/python" -m deploy --root var/prod "$@"
