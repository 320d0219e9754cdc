#!/usr/bin/env bash
# Starts the action server and the Rasa server (called by `make run`, after setup).
# Settings come from the environment (README, "Configuration"). Ctrl-C stops both.
# ORIENTA_START=rasa|actions|all (default all) starts only one of them, so the two
# can be stopped and started independently (tests/faults, or one per machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
rasa_port="${ORIENTA_RASA_PORT:-5005}"
actions_host="${ORIENTA_ACTIONS_HOST:-127.0.0.1}"
actions_port="${ORIENTA_ACTIONS_PORT:-5055}"
var_dir="${ORIENTA_VAR_DIR:-$root/var}"
model="${ORIENTA_RASA_MODEL:-$root/bot/models/orienta.tar.gz}"
start="${ORIENTA_START:-all}"
start_timeout="${ORIENTA_START_TIMEOUT:-120}"  # seconds each server may take to come up (a busy machine needs more)
# The demo provider page with the web widget (orienta/demo_site.py), started with ORIENTA_START=all;
# the page's origins may call Rasa from the browser (socket.io, CORS), never "*" by default.
demo_host="${ORIENTA_DEMO_HOST:-127.0.0.1}"
demo_port="${ORIENTA_DEMO_PORT:-8080}"
export ORIENTA_ALLOWED_ORIGINS="${ORIENTA_ALLOWED_ORIGINS-http://localhost:$demo_port http://127.0.0.1:$demo_port}"
read -r -a allowed_origins <<< "$ORIENTA_ALLOWED_ORIGINS"
case "$start" in
  all|rasa|actions) ;;
  *) echo "ORIENTA_START must be rasa, actions or all, not '$start'." >&2; exit 2 ;;
esac
export ORIENTA_VAR_DIR="$var_dir"
mkdir -p "$var_dir/logs"

# The HTTP API is protected by a token: ORIENTA_API_TOKEN, else one generated
# on first run and kept (owner-only) in $var_dir/api_token.
if [[ -z "${ORIENTA_API_TOKEN:-}" ]]; then
  if [[ ! -s "$var_dir/api_token" ]]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$var_dir/api_token")
  fi
  ORIENTA_API_TOKEN="$(cat "$var_dir/api_token")"
fi
export ORIENTA_API_TOKEN  # endpoints.yml and credentials.yml: Rasa calls its actions through the guard with it

.venv/bin/python -m orienta.endpoints "$var_dir/endpoints.yml" > /dev/null
.venv/bin/python -m orienta.credentials "$var_dir/credentials.yml" > /dev/null

# Data protection: conversations older than ORIENTA_RETENTION_DAYS (default 180) are deleted on start.
.venv/bin/orienta privacy cleanup >> "$var_dir/logs/privacy.log" 2>&1

# First use: the shipped sample catalogue goes into an empty store; the search
# index is brought up to date (rebuilt only when the catalogue or model changed).
if [[ "$start" != rasa ]]; then
  if compgen -G "catalogue_index/sample/offers-*.jsonl" > /dev/null; then
    .venv/bin/orienta catalogue import catalogue_index/sample/ --if-empty > /dev/null
  fi
  .venv/bin/orienta index build >> "$var_dir/logs/index.log" 2>&1
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping Orienta..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "Stopped."
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

if [[ "$start" != rasa ]]; then
  SANIC_HOST="$actions_host" .venv/bin/python -m rasa_sdk --actions actions --port "$actions_port" \
    >> "$var_dir/logs/actions.log" 2>&1 &
  pids+=($!)
  actions_pid=$!
fi

if [[ "$start" != actions ]]; then
  # One thread for the NLU's E5 encoder (OpenMP): Rasa runs the NLU one message at a time anyway, and more
  # threads spin against each other on a busy machine (46 ms instead of 819 ms per message, reports/load.md).
  (cd bot && exec env PYTHONPATH="$root/bot:$root" SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    OMP_NUM_THREADS="${ORIENTA_NLU_THREADS:-1}" \
    "$root/.venv-rasa/bin/rasa" run --model "$model" --port "$rasa_port" \
    --enable-api --auth-token "$ORIENTA_API_TOKEN" ${allowed_origins[@]+--cors "${allowed_origins[@]}"} \
    --endpoints "$var_dir/endpoints.yml" --credentials "$var_dir/credentials.yml" \
    >> "$var_dir/logs/rasa.log" 2>&1) &
  pids+=($!)
  rasa_pid=$!
fi

# The handoff worker delivers counsellor notifications that failed and ends pauses that are over.
if [[ "$start" == all ]]; then
  ORIENTA_API_TOKEN="$ORIENTA_API_TOKEN" ORIENTA_RASA_URL="${ORIENTA_RASA_URL:-http://localhost:$rasa_port}" \
    .venv/bin/orienta handoff worker >> "$var_dir/logs/handoff.log" 2>&1 &
  pids+=($!)
fi

if [[ "$start" == all ]]; then
  ORIENTA_DEMO_HOST="$demo_host" ORIENTA_DEMO_PORT="$demo_port" ORIENTA_RASA_PORT="$rasa_port" \
    .venv/bin/python -m orienta.demo_site >> "$var_dir/logs/demo.log" 2>&1 &
  pids+=($!)
  demo_pid=$!
fi

wait_for() {  # url, name, pid
  for _ in $(seq 1 $((start_timeout * 2))); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then
      echo "The $2 stopped while starting; see $var_dir/logs/." >&2; exit 1
    fi
    sleep 0.5
  done
  echo "The $2 did not start within $start_timeout s; see $var_dir/logs/." >&2; exit 1
}
if [[ -n "${actions_pid:-}" ]]; then wait_for "http://$actions_host:$actions_port/health" "action server" "$actions_pid"; fi
if [[ -n "${rasa_pid:-}" ]]; then wait_for "http://localhost:$rasa_port/status?token=$ORIENTA_API_TOKEN" "Rasa server" "$rasa_pid"; fi
if [[ -n "${demo_pid:-}" ]]; then wait_for "http://$demo_host:$demo_port/widget/i18n/en.json" "demo page server" "$demo_pid"; fi

cat <<MSG
Orienta is running.
  Chat (REST):   POST http://localhost:$rasa_port/webhooks/rest/webhook
                 {"sender": "me", "message": "Ce este o microcredențială?"}
  HTTP API:      http://localhost:$rasa_port/  (token: ORIENTA_API_TOKEN or $var_dir/api_token)
  Actions:       http://$actions_host:$actions_port/health
  Demo page:     http://$demo_host:$demo_port/?lang=pl  (the web widget, talking to Rasa over socket.io)
  Logs:          $var_dir/logs/
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "A server stopped unexpectedly; see $var_dir/logs/." >&2
exit 1
