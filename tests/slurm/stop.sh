#!/usr/bin/env bash
# Stop the daemons that tests/slurm/start.sh DIR started: only the PIDs listed
# in DIR/pids (lines "PID NAME"), TERM first, KILL after 5 s. Nothing else.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
PIDS=$1/pids
[ -f "$PIDS" ] || { echo "slurm/stop.sh: no $PIDS, nothing to stop" >&2; exit 0; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

# A PID counts as ours only while its command name still matches (no PID reuse).
ours() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

while read -r pid name; do
  ours "$pid" "$name" && $SUDO kill -TERM "$pid" 2>/dev/null || true
done < "$PIDS"
for _ in $(seq 10); do
  left=0
  while read -r pid name; do ours "$pid" "$name" && left=1; done < "$PIDS"
  [ "$left" = 0 ] && break
  sleep 0.5
done
while read -r pid name; do
  if ours "$pid" "$name"; then
    echo "slurm/stop.sh: $name ($pid) ignored SIGTERM, sending SIGKILL" >&2
    $SUDO kill -KILL "$pid" 2>/dev/null || true
  fi
done < "$PIDS"
rm -f "$PIDS"
