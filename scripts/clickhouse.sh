#!/usr/bin/env bash
# Make sure a ClickHouse server answers over HTTP (default 127.0.0.1:8123):
# install Debian's clickhouse-server when absent, start it when not answering, wait until it answers.
# Used by .ci/run and by the ClickHouse integration tests. Needs root for the install and the start.
set -euo pipefail

URL="${CLICKHOUSE_URL:-http://127.0.0.1:8123}"
HOSTPORT="${URL#*://}"; HOSTPORT="${HOSTPORT%%/*}"
HOST="${HOSTPORT%%:*}"; PORT="${HOSTPORT##*:}"
[ "$PORT" = "$HOST" ] && PORT=8123
WAIT_S="${CLICKHOUSE_WAIT_S:-60}"

answers() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 "http://$HOST:$PORT/ping" >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/$HOST/$PORT") >/dev/null 2>&1
  fi
}

if answers; then
  echo "clickhouse: answering on $HOST:$PORT"
  exit 0
fi

case "$HOST" in
  127.0.0.1|localhost|::1) ;;
  *) echo "clickhouse: $HOST:$PORT does not answer and is not local; start it there" >&2; exit 1 ;;
esac

if ! command -v clickhouse-server >/dev/null 2>&1; then
  echo "clickhouse: installing Debian's clickhouse-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq clickhouse-server >/dev/null
fi

echo "clickhouse: starting clickhouse-server"
mkdir -p /var/log/clickhouse-server /var/lib/clickhouse
chown -R clickhouse:clickhouse /var/log/clickhouse-server /var/lib/clickhouse 2>/dev/null || true
setsid setpriv --reuid=clickhouse --regid=clickhouse --init-groups \
  clickhouse-server --config-file=/etc/clickhouse-server/config.xml \
  >/var/log/clickhouse-server/console.log 2>&1 < /dev/null &

for _ in $(seq 1 $((WAIT_S * 4))); do
  if answers; then
    echo "clickhouse: answering on $HOST:$PORT"
    exit 0
  fi
  sleep 0.25
done
echo "clickhouse: did not answer on $HOST:$PORT within ${WAIT_S}s; see /var/log/clickhouse-server/" >&2
tail -n 20 /var/log/clickhouse-server/clickhouse-server.err.log >&2 2>/dev/null || true
exit 1
