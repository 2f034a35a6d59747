#!/usr/bin/env bash
# Start the action server, the Rasa server and (when present) the widget web app; stop them all on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT=${RASA_PORT:-5005} ACTIONS_PORT=${ACTIONS_PORT:-5055} WEB_PORT=${WEB_PORT:-8080}
# security (#11): databases, logs and secrets owner-only from the start (var/prod keeps its own modes)
mkdir -p var/log; umask 077; find var -path var/prod -prune -o -type f -exec chmod go-rwx {} + 2>/dev/null || true
pids=()
cleanup() { trap - EXIT INT TERM; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for port in "$RASA_PORT" "$ACTIONS_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "!! port $port is already in use (another 'make run'?). Stop it or set RASA_PORT/ACTIONS_PORT." >&2; exit 1
  fi
done

# The HTTP API (--enable-api) exposes conversations: protect it with a token (random, local-only default).
if [ -z "${RASA_API_TOKEN:-}" ]; then
  [ -s var/rasa-api-token ] || { head -c 24 /dev/urandom | base64 | tr -d '/+=' >var/rasa-api-token; chmod 600 var/rasa-api-token; }
  RASA_API_TOKEN=$(cat var/rasa-api-token)
fi
INTERFACE=${RASA_INTERFACE:-127.0.0.1}
# security (#11): CORS only for an explicit allowlist (FENQI_CORS_ORIGINS, comma-separated), never "*"
cors=(); IFS=',' read -ra origins <<<"${FENQI_CORS_ORIGINS:-}"; for o in "${origins[@]}"; do [ -n "${o// }" ] && cors+=(--cors "${o// }"); done

start=$(date +%s)
echo ">> starting the action server on :$ACTIONS_PORT (log: var/log/actions.log)"
SANIC_HOST="$INTERFACE" "$BIN/rasa" run actions --actions actions --port "$ACTIONS_PORT" >var/log/actions.log 2>&1 & pids+=($!)
endpoints=endpoints.yml
if [ "$ACTIONS_PORT" != 5055 ]; then
  endpoints=var/endpoints.yml
  sed "s#localhost:5055#localhost:$ACTIONS_PORT#" endpoints.yml >"$endpoints"
fi
echo ">> starting the Rasa server on :$RASA_PORT (log: var/log/rasa.log)"
"$BIN/python" -m deploy.rasa_main run --enable-api --auth-token "$RASA_API_TOKEN" -i "$INTERFACE" "${cors[@]}" --port "$RASA_PORT" --model models/fenqi.tar.gz \
  --endpoints "$endpoints" --credentials credentials.yml >var/log/rasa.log 2>&1 & pids+=($!)
if [ -f webapp/__main__.py ]; then
  echo ">> starting the widget web app on :$WEB_PORT (log: var/log/web.log)"
  FENQI_WEB_PORT=$WEB_PORT FENQI_RASA_URL=${FENQI_RASA_URL:-http://localhost:$RASA_PORT} \
    "$BIN/python" -m webapp >var/log/web.log 2>&1 & pids+=($!)
fi

printf ">> waiting for the bot to load"
until curl -fs "http://localhost:$RASA_PORT/status?token=$RASA_API_TOKEN" >/dev/null 2>&1 && curl -fs "http://localhost:$ACTIONS_PORT/health" >/dev/null 2>&1; do
  for p in "${pids[@]}"; do
    if ! kill -0 "$p" 2>/dev/null; then echo; echo "!! a server stopped while starting; last log lines:" >&2; tail -n 20 var/log/*.log >&2; exit 1; fi
  done
  printf "."; sleep 1
done
echo
cat <<MSG
>> 分期助手 is ready ($(( $(date +%s) - start )) s).
   Terminal chat:   make shell                      (anonymous: general guidance)
                    make shell AS=demo_low_limit    (logged in as a demo user)
   REST:            curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"小米分期怎么还款"}'
   With a login:    TOKEN=\$(.venv/bin/python -m fenqi token demo_ok); send "metadata": {"auth_token": "\$TOKEN"}
MSG
[ -f webapp/__main__.py ] && echo "   Chat widget:     http://localhost:$WEB_PORT"
echo "   Stop with Ctrl-C."
wait -n "${pids[@]}"
echo "!! a server stopped; last log lines:" >&2; tail -n 20 var/log/*.log >&2; exit 1
