#!/usr/bin/env bash
# Parley on this machine, on loopback, with the built-in defaults:
#   installs what is missing, builds Release, starts parley-ms and parley-as, waits until
#   the AS has its control channel to the MS, and tells you what to do next.
#
#   ./deploy/quickstart.sh          # start (or restart)
#   ./deploy/quickstart.sh status   # what is running
#   ./deploy/quickstart.sh stop     # stop both
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.quickstart"
BUILD="$ROOT/build-release"
AS_SIP="127.0.0.1:5060"
AS_HTTP="127.0.0.1:8080"
MS_SIP="127.0.0.1:5070"
MS_CFW="127.0.0.1:7563"
MS_HTTP="127.0.0.1:8090"

stop_one() {
  local name="$1" pidfile="$STATE/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

case "${1:-start}" in
  stop)
    stop_one parley-as; stop_one parley-ms; exit 0 ;;
  status)
    for n in parley-ms parley-as; do
      if [ -f "$STATE/$n.pid" ] && kill -0 "$(cat "$STATE/$n.pid")" 2>/dev/null; then
        echo "$n running (pid $(cat "$STATE/$n.pid")), log $STATE/$n.log"
      else
        echo "$n not running"
      fi
    done
    curl -fsS "http://$AS_HTTP/v1/media-servers" 2>/dev/null && echo || true
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|status|stop]" >&2; exit 2 ;;
esac

"$ROOT/deploy/install-deps.sh"

echo "==> building Release in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF -DPARLEY_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target parley-ms parley-as

mkdir -p "$STATE/media" "$STATE/recordings"
echo "==> rendering the spoken phrases (dates, times, numbers) into $STATE/media"
"$ROOT/deploy/render-phrases.sh" "$STATE/media"
echo "==> rendering the conference prompts and music on hold into $STATE/media/prompts"
"$ROOT/deploy/render-prompts.sh" "$STATE/media"
stop_one parley-as; stop_one parley-ms

echo "==> starting parley-ms (SIP $MS_SIP, CFW $MS_CFW, HTTP $MS_HTTP)"
nohup "$BUILD/bin/parley-ms" --sip-listen "$MS_SIP" --cfw-listen "$MS_CFW" --http-listen "$MS_HTTP" \
  --media-root "$STATE/media" --record-dir "$STATE/recordings" >"$STATE/parley-ms.log" 2>&1 &
echo $! >"$STATE/parley-ms.pid"

echo "==> starting parley-as (SIP $AS_SIP, HTTP $AS_HTTP), media server sip:ms@$MS_SIP"
nohup "$BUILD/bin/parley-as" --sip-listen "$AS_SIP" --http-listen "$AS_HTTP" \
  --ms "sip:ms@$MS_SIP" --db "sqlite:$STATE/parley-as.db" --rooms "$ROOT/deploy/rooms.json" \
  --prompts "file://$STATE/media/prompts/en-US/" >"$STATE/parley-as.log" 2>&1 &
echo $! >"$STATE/parley-as.pid"

up=""
for _ in $(seq 1 100); do
  for n in parley-ms parley-as; do
    if ! kill -0 "$(cat "$STATE/$n.pid")" 2>/dev/null; then
      echo "$n exited; its log:"; tail -20 "$STATE/$n.log"; exit 1
    fi
  done
  if curl -fsS "http://$AS_HTTP/v1/media-servers" 2>/dev/null | grep -q '"state": *"up"'; then up=1; break; fi
  sleep 0.1
done
if [ -z "$up" ]; then
  echo "the control channel did not come up in 10 s; logs: $STATE/parley-as.log $STATE/parley-ms.log"
  exit 1
fi

cat <<MSG

Parley is running on loopback.
  parley-as  SIP $AS_SIP   REST http://$AS_HTTP   log $STATE/parley-as.log
  parley-ms  SIP $MS_SIP   CFW $MS_CFW   HTTP http://$MS_HTTP   log $STATE/parley-ms.log

The AS holds an RFC 6230 control channel to the MS:
  curl http://$AS_HTTP/v1/media-servers
  curl http://$MS_HTTP/health

Conferences (rooms from deploy/rooms.json):
  sip:demo@$AS_SIP          open room; any SIP phone can call it
  sip:team@$AS_SIP          PIN 1234, moderator PIN 9999, waits for the moderator
  sip:conference@$AS_SIP    conference factory: a new ad-hoc room per call
  e.g. baresip: /dial sip:demo@$AS_SIP

Stop everything with:  ./deploy/quickstart.sh stop
MSG
