#!/usr/bin/env bash
# Captures the messages gobgpd, BIRD and FRR's bgpd send to a recording BGP responder
# on loopback (see README.md). Usage: test/capture/capture.sh [gobgp|bird|frr|frr-ext|frr-ext-role]...
# Run from the repository root after `npx tsc -p tsconfig.json`. Output: one JSON line
# per message in $OUT/<daemon>.jsonl (OUT defaults to a new /tmp directory).
set -u
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(mktemp -d /tmp/tsbgp-capture.XXXXXX)}
message='tsbgp fixture: maintenance'
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

server_pid=
server() { # port file
  node dist/test/capture/capture-server.js "$1" 65000 "$2" >"$2.server.log" 2>&1 &
  server_pid=$!; pids+=($server_pid)
  sleep 0.5
}

wait_for() { # command pattern
  for _ in $(seq 1 30); do sleep 1; eval "$1" 2>/dev/null | grep -q -E "$2" && return 0; done
  echo "timed out waiting for: $1" >&2
  return 1
}

run_gobgp() {
  server 17901 "$OUT/gobgp.jsonl"
  gobgpd -f "$here/gobgpd-open.toml" --api-hosts=127.0.0.1:50151 --pprof-disable -p >"$OUT/gobgpd.log" 2>&1 &
  local pid=$!; pids+=($pid)
  wait_for 'gobgp -p 50151 neighbor' Establ
  sleep 1
  # --reason must come before the address, or it is ignored.
  gobgp -p 50151 neighbor --reason "$message" 127.0.0.1 shutdown
  sleep 2
  kill "$pid" "$server_pid"; wait "$pid" "$server_pid" 2>/dev/null
}

run_bird() {
  server 17902 "$OUT/bird.jsonl"
  bird -f -c "$here/bird-open.conf" -s "$OUT/bird.sock" -P "$OUT/bird.pid" >"$OUT/bird.log" 2>&1 &
  local pid=$!; pids+=($pid)
  wait_for "birdc -s $OUT/bird.sock show protocols fixture" Established
  sleep 1
  birdc -s "$OUT/bird.sock" disable fixture "\"$message\""
  sleep 2
  kill "$pid" "$server_pid"; wait "$pid" "$server_pid" 2>/dev/null
}

run_frr() { # config name
  server 17903 "$OUT/$2.jsonl"
  mkdir -p "$OUT/$2-vty"
  /usr/lib/frr/bgpd -S -Z -n -p 0 -P 0 -f "$here/$1" -i "$OUT/$2-vty/bgpd.pid" --vty_socket "$OUT/$2-vty" >"$OUT/$2.log" 2>&1 &
  local pid=$!; pids+=($pid)
  if [ "$2" != frr ]; then
    # FRR 8.4 told to use RFC 9072 also reads the peer's OPEN that way, so it rejects
    # the responder's classic OPEN (OPEN Message Error): only its OPEN is of use.
    sleep 4
    kill "$pid" "$server_pid"; wait "$pid" "$server_pid" 2>/dev/null
    return
  fi
  wait_for "vtysh --vty_socket $OUT/$2-vty -d bgpd -c 'show bgp neighbors 127.0.0.1'" 'BGP state = Established'
  sleep 1
  vtysh --vty_socket "$OUT/$2-vty" -d bgpd -c 'clear bgp ipv4 unicast 127.0.0.1 soft in'
  sleep 1
  vtysh --vty_socket "$OUT/$2-vty" -d bgpd -c 'conf t' -c 'router bgp 65003' -c "neighbor 127.0.0.1 shutdown message $message"
  sleep 2
  kill "$pid" "$server_pid"; wait "$pid" "$server_pid" 2>/dev/null
}

for daemon in "${@:-gobgp bird frr frr-ext frr-ext-role}"; do
  for d in $daemon; do
    case "$d" in
      gobgp) run_gobgp ;;
      bird) run_bird ;;
      frr) run_frr frr-bgpd-open.conf frr ;;
      frr-ext) run_frr frr-bgpd-extended-open.conf frr-ext ;;
      frr-ext-role) run_frr frr-bgpd-extended-role-open.conf frr-ext-role ;;
      *) echo "unknown daemon $d" >&2; exit 2 ;;
    esac
  done
done
echo "captured into $OUT"
