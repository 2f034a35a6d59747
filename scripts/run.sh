#!/usr/bin/env bash
# make run: the embedded stack (action server, Rasa server, widget web app, agent console; SQLite under var/) under the
# production supervisor (python -m deploy --embedded: health checks, restarts, logs in var/log/).
# Ports: RASA_PORT (5005) ACTIONS_PORT (5055) WEB_PORT (8080) FENQI_CONSOLE_PORT (8090); RASA_INTERFACE; RASA_API_TOKEN.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m deploy --embedded "$@"
