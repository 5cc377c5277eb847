#!/usr/bin/env bash
# The Zeek container's entrypoint: checks the settings, waits (bounded) for the shipper's
# socket, then runs Zeek on a live interface (ZEEK_INTERFACE) or a capture file
# (ZEEK_PCAP, replayed in a loop with ZEEK_PCAP_LOOP=true); with ZEEK_WORKERS above 1, a
# cluster on the interface (cluster.sh).
#
# Any arguments replace all of this: `docker run IMAGE zeek -N` runs just that.
set -euo pipefail

if (($# > 0)); then exec "$@"; fi

# Until Zeek runs, this shell is the container's PID 1, and PID 1 ignores every signal
# it has no handler for: without these, `docker stop` during the wait for the shipper
# would wait out its whole grace period and then kill. (exec hands Zeek the signals.)
trap 'exit 143' TERM
trap 'exit 130' INT

log() { printf 'zeek-entrypoint: %s\n' "$*" >&2; }
die() {
  local code=$1
  shift
  log "$*"
  exit "$code"
}

readonly EX_UNAVAILABLE=69 EX_CONFIG=78
readonly SETTINGS_DIR=${ZEEK_SETTINGS_DIR:-/tmp/zeek-zmq-shipper}
readonly SETTINGS=$SETTINGS_DIR/settings.zeek

endpoint=${ZEEK_ZMQ_WRITER_ENDPOINT:-ipc:///run/zeek-zmq/zeek.sock}
interface=${ZEEK_INTERFACE:-}
pcap=${ZEEK_PCAP:-}
wait_s=${ZEEK_SHIPPER_WAIT_S:-60}
loop_interval_s=${ZEEK_PCAP_LOOP_INTERVAL_S:-10}
speedup=${ZEEK_PCAP_SPEEDUP:-}
log_dir=${ZEEK_LOG_DIR:-/var/log/zeek}
read -r -a scripts <<<"${ZEEK_SCRIPTS-local}"

is_true() {
  case ${1,,} in
    true | yes | on | 1) return 0 ;;
    false | no | off | 0 | '') return 1 ;;
    *) die "$EX_CONFIG" "$2=\"$1\" is neither true nor false" ;;
  esac
}

# --- what to read -----------------------------------------------------------------
if [[ -n $interface && -n $pcap ]]; then
  die "$EX_CONFIG" "set ZEEK_INTERFACE (live capture) or ZEEK_PCAP (a capture file), not both"
elif [[ -n $interface ]]; then
  source_args=(-i "$interface")
elif [[ -n $pcap ]]; then
  [[ -r $pcap ]] || die "$EX_CONFIG" "ZEEK_PCAP=$pcap: no such readable file (mount it into the container)"
  source_args=(-r "$pcap")
else
  die "$EX_CONFIG" "set ZEEK_INTERFACE to capture on an interface, or ZEEK_PCAP to read a capture file (the image has a demo one: ZEEK_PCAP=/opt/zeek-zmq-shipper/demo.pcap)"
fi
loop=false
if is_true "${ZEEK_PCAP_LOOP:-false}" ZEEK_PCAP_LOOP; then
  [[ -n $pcap ]] || die "$EX_CONFIG" "ZEEK_PCAP_LOOP replays ZEEK_PCAP; it means nothing with ZEEK_INTERFACE"
  loop=true
fi
# number NAME VALUE MIN MAX [UNIT]: VALUE as a decimal whole number from MIN to MAX
# (leading zeros are not octal: "08" is 8), or exit 78 naming the variable.
number() {
  local name=$1 value=$2 min=$3 max=$4 unit=${5:-}
  if [[ $value =~ ^0*([0-9]{1,9})$ ]] && ((10#${BASH_REMATCH[1]} >= min && 10#${BASH_REMATCH[1]} <= max)); then
    REPLY=$((10#${BASH_REMATCH[1]}))
    return
  fi
  die "$EX_CONFIG" "$name=\"$value\" is not a whole number${unit:+ of $unit} from $min to $max"
}
number ZEEK_SHIPPER_WAIT_S "$wait_s" 0 86400 seconds
wait_s=$REPLY
number ZEEK_PCAP_LOOP_INTERVAL_S "$loop_interval_s" 0 86400 seconds
loop_interval_s=$REPLY
# Pseudo-realtime replay of a capture file: N times as fast as it was recorded.
if [[ -n $speedup ]]; then
  [[ -n $pcap ]] || die "$EX_CONFIG" "ZEEK_PCAP_SPEEDUP paces the replay of ZEEK_PCAP; it means nothing with ZEEK_INTERFACE"
  number ZEEK_PCAP_SPEEDUP "$speedup" 1 1000000
  source_args=(--pseudo-realtime="$REPLY" "${source_args[@]}")
fi

# --- one process, or a cluster -----------------------------------------------------------
number ZEEK_WORKERS "${ZEEK_WORKERS:-1}" 1 256
workers=$REPLY
number ZEEK_LOGGERS "${ZEEK_LOGGERS:-1}" 1 16
loggers=$REPLY
number ZEEK_AF_PACKET_BUFFER_MB "${ZEEK_AF_PACKET_BUFFER_MB:-128}" 1 65536 MiB
af_packet_buffer_mb=$REPLY
number ZEEK_AF_PACKET_FANOUT_ID "${ZEEK_AF_PACKET_FANOUT_ID:-23}" 0 65535
fanout_id=$REPLY
number ZEEK_CLUSTER_PORT "${ZEEK_CLUSTER_PORT:-27760}" 1024 65000
cluster_port=$REPLY
number ZEEK_TELEMETRY_PORT "${ZEEK_TELEMETRY_PORT:-9911}" 0 65535
telemetry_port=$REPLY
worker_cpus=${ZEEK_WORKER_CPUS:-}
if ((workers > 1)); then
  # Every node serves telemetry on a port of its own: ZEEK_TELEMETRY_PORT and the ones after it.
  last_port=$((telemetry_port + 1 + loggers + workers))
  ((telemetry_port == 0 || last_port <= 65535)) || die "$EX_CONFIG" "ZEEK_TELEMETRY_PORT=$telemetry_port leaves no room for the telemetry ports of $((2 + loggers + workers)) cluster nodes (up to $last_port): lower it"
  [[ -z $pcap ]] || die "$EX_CONFIG" "ZEEK_WORKERS=$workers with ZEEK_PCAP: Zeek does not split a capture file across workers; read it with ZEEK_WORKERS=1"
  if [[ -n $worker_cpus ]]; then
    [[ $worker_cpus =~ ^[0-9]+(,[0-9]+)*$ ]] || die "$EX_CONFIG" "ZEEK_WORKER_CPUS=\"$worker_cpus\" is not a comma list of CPU numbers such as 2,3,4,5"
    IFS=',' read -r -a cpu_list <<<"$worker_cpus"
    ((${#cpu_list[@]} >= workers)) || die "$EX_CONFIG" "ZEEK_WORKER_CPUS=\"$worker_cpus\" names ${#cpu_list[@]} CPUs for ZEEK_WORKERS=$workers workers: give one CPU per worker"
  fi
else
  ((loggers == 1)) || die "$EX_CONFIG" "ZEEK_LOGGERS=$loggers needs a cluster: it applies with ZEEK_WORKERS above 1"
  [[ -z $worker_cpus ]] || die "$EX_CONFIG" "ZEEK_WORKER_CPUS pins a cluster's workers: it applies with ZEEK_WORKERS above 1"
fi

# --- the writer's settings, as Zeek script --------------------------------------------
mkdir -p "$SETTINGS_DIR" "$log_dir"
# In a cluster every node gets its own telemetry port from the cluster layout.
render_args=()
((workers == 1)) || render_args=(--cluster)
render-settings.sh "${render_args[@]}" >"$SETTINGS.tmp" || exit "$EX_CONFIG"
mv "$SETTINGS.tmp" "$SETTINGS"
zeek_scripts=("${scripts[@]}" zeek-zmq-shipper "$SETTINGS")

# A stream id that is well formed but unknown is a parse error in the settings: find it
# now, with a message saying which variable to fix, rather than in Zeek's first start.
if [[ -n ${ZEEK_SEND_LOGS:-}${ZEEK_EXCLUDED_LOG_IDS:-} ]]; then
  if ! parse_errors=$(cd "$log_dir" && zeek --parse-only "${zeek_scripts[@]}" 2>&1); then
    printf '%s\n' "$parse_errors" >&2
    die "$EX_CONFIG" "Zeek rejected the settings (above); an unknown identifier there is a stream id in ZEEK_SEND_LOGS or ZEEK_EXCLUDED_LOG_IDS that no loaded script defines"
  fi
fi

# --- wait for the shipper's socket ------------------------------------------------------
# The writer connects and ZeroMQ would retry forever; a shipper that never comes should
# be visible, not a silent Zeek that publishes into nothing.
shipper_listening() {
  case $endpoint in
    ipc://*) [[ -S ${endpoint#ipc://} ]] ;;
    tcp://*)
      local hostport=${endpoint#tcp://} host port
      host=${hostport%:*}
      port=${hostport##*:}
      host=${host#[}
      host=${host%]}
      # shellcheck disable=SC2016 # $0 and $1 expand in the inner shell
      timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
      ;;
  esac
}

if ((wait_s > 0)) && ! shipper_listening; then
  log "waiting up to ${wait_s}s for the shipper's socket $endpoint"
  deadline=$((SECONDS + wait_s))
  until shipper_listening; do
    if ((SECONDS >= deadline)); then
      die "$EX_UNAVAILABLE" "the shipper's socket $endpoint did not appear within ${wait_s}s. Is the shipper running with ZEEK_ZMQ_INPUTS=$endpoint, sharing the socket's directory with this container (the zeek-zmq volume)? Raise ZEEK_SHIPPER_WAIT_S to wait longer."
    fi
    sleep 0.5
  done
fi

# --- run Zeek ------------------------------------------------------------------------
cd "$log_dir"
if ((workers > 1)); then
  # The cluster's own script handles the signals and stops the nodes in order.
  exec cluster.sh "$workers" "$loggers" "$af_packet_buffer_mb" "$fanout_id" "$cluster_port" "$telemetry_port" "$worker_cpus" -- "${zeek_scripts[@]}"
fi
command=(zeek -C "${source_args[@]}" "${zeek_scripts[@]}")
log "running: ${command[*]}"

if [[ $loop == false ]]; then
  # Zeek becomes PID 1 and gets `docker stop`'s SIGTERM itself: it finishes its logs and
  # the writer lingers up to ZEEK_ZMQ_WRITER_LINGER_MS to deliver what is queued.
  exec "${command[@]}"
fi

# Loop mode: this shell stays, so it passes SIGTERM/SIGINT on to the running Zeek and
# stops after it has finished.
child=0
stopping=false
on_signal() {
  stopping=true
  ((child == 0)) || kill -s "$1" "$child" 2>/dev/null || true
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

status=0
while true; do
  "${command[@]}" &
  child=$!
  # `wait` returns early when a trapped signal arrives; wait again for Zeek itself.
  while true; do
    status=0
    wait "$child" || status=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=0
  [[ $stopping == true ]] && exit 0
  ((status == 0)) || die "$status" "zeek exited with status $status"
  log "replaying $pcap in ${loop_interval_s}s (ZEEK_PCAP_LOOP)"
  sleep "$loop_interval_s" &
  wait $! || true
  [[ $stopping == true ]] && exit 0
done
