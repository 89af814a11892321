#!/usr/bin/env bash
# Interleaved before/after runs of the send-path load generator: this host drifts by up to 2x within
# an hour, so two builds are only comparable when their runs alternate.
#
# Usage: bench/ab-send.sh <before Mesh.Hub.dll> <after Mesh.Hub.dll> [rounds] [configs...]
#   a config is "<rate> <concurrency>" (rate 0: closed loop); default: "0 64" "500 64" "0 128"
# Environment: DURATION (20), WARMUP (40), PORT (7443), DATA (/tmp/mesh-ab), LOADGEN (the Release
# build of bench/Mesh.LoadGen in this tree), OUT (/tmp/mesh-ab-out: hub and load generator logs),
# HUB_ENV (variables for the hub process only, e.g. the slow-fsync shim in bench/slow-fsync),
# HUB_ARGS_BEFORE / HUB_ARGS_AFTER (extra hub options per side: one binary, two settings),
# LOADGEN_ARGS (e.g. --signing-key p256).
# Build both hubs with `dotnet build -c Release services/Mesh.Hub/Mesh.Hub.csproj` (the older one in
# a `git worktree`), and the load generator once: the same client drives both builds.
set -euo pipefail

before=${1:?before Mesh.Hub.dll}
after=${2:?after Mesh.Hub.dll}
rounds=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("0 64" "500 64" "0 128")

here=$(cd "$(dirname "$0")" && pwd)
loadgen=${LOADGEN:-$here/Mesh.LoadGen/bin/Release/net10.0/Mesh.LoadGen.dll}
data=${DATA:-/tmp/mesh-ab}
out=${OUT:-/tmp/mesh-ab-out}
port=${PORT:-7443}
mkdir -p "$out"

run() { # dll label rate concurrency side
  rm -rf "$data" && mkdir -p "$data"
  local extra
  if [ "$5" = before ]; then extra=${HUB_ARGS_BEFORE:-}; else extra=${HUB_ARGS_AFTER:-}; fi
  # shellcheck disable=SC2086 # HUB_ENV and the extra options are word lists
  env ${HUB_ENV:-} dotnet "$1" --Mesh:DataDirectory="$data" --Mesh:Endpoint:Port="$port" --Mesh:Endpoint:LoopbackOnly=true \
    --Logging:LogLevel:Default=Warning $extra > "$out/hub-$2.log" 2>&1 &
  local hub=$!
  for _ in $(seq 1 120); do [ -f "$data/admin.pfx" ] && break; sleep 0.5; done
  sleep 3
  dotnet "$loadgen" --hub "https://127.0.0.1:$port" --data "$data" --rate "$3" --duration "${DURATION:-20}" \
    --concurrency "$4" --warmup "${WARMUP:-40}" --no-floor --hub-pid "$hub" ${LOADGEN_ARGS:-} > "$out/lg-$2.log" 2>&1 || true
  kill -TERM "$hub" && wait "$hub" || true
  local line cpu
  line=$(grep -E "^send " "$out/lg-$2.log" | head -1 || true)
  cpu=$(grep -E '^hub CPU' "$out/lg-$2.log" | sed -E 's/.*= ([0-9.]+) ms per send.*/\1/' || true)
  echo "| $(date -u +%H:%M) | $3 | $4 | $5 | ${line#send   } | ${cpu:-?} ms |"
}

echo "| UTC | rate | streams | build | result | hub CPU/send |"
echo "|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    read -r rate streams <<< "$config"
    run "$before" "before-$rate-$streams-r$round" "$rate" "$streams" before
    run "$after" "after-$rate-$streams-r$round" "$rate" "$streams" after
  done
done
