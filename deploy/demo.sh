#!/usr/bin/env bash
# The main job: a demo partnership end to end on the embedded RocksDB broker.
# Installs missing dependencies, builds, creates a partnership, starts the
# broker and the five agency adapters, plays the scenario in
# deploy/demo/scenario/ step by step, pulls the next morning's meeting packs,
# and finishes with the auditor's who-saw report and `accord audit verify`.
# Everything lands in out/demo/ (override with OUT=...).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
./deploy/install-deps.sh
./deploy/build.sh accord accord-broker accord-agent >/dev/null
B=${BUILD_DIR:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
ACCORD=$B/cli/accord
BROKER=$B/broker/accord-broker
AGENT=$B/agents/agent/accord-agent
OUT=${OUT:-out/demo}
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
P=$OUT/partnership
AGENCIES=(police probation childrens_services victim_services perpetrator_programme)
MEMBERS=(police probation victim_services childrens_services marac_coordinator)

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wrap() { fold -s -w 78 | sed 's/^/   /'; }

# Sum of the sizes of every log: used to wait until the partnership is quiet.
log_size() { cat "$OUT"/logs/*.log 2>/dev/null | wc -c; }
wait_quiet() {
  local last now quiet=0
  last=$(log_size)
  for _ in $(seq 1 300); do
    sleep 0.5
    now=$(log_size)
    if [ "$now" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; last=$now; fi
    [ "$quiet" -ge 4 ] && return 0
  done
  echo "   (still busy after 150 s; continuing)"
}

rm -rf "$OUT"
mkdir -p "$OUT/logs" "$OUT/packs"

say "1. Create the partnership (keys, CA, certificates, signed directory)"
"$ACCORD" partnership init "$P" --id cardiff-daily-discussion \
  --agencies police,probation,childrens_services,victim_services,perpetrator_programme,marac_coordinator,auditor \
  | sed 's/^/   /'

say "2. Start the broker (mutual TLS, embedded RocksDB, policy deploy/policies/daily-discussion.yaml)"
cat > "$OUT/broker.yaml" <<EOF
listen: 127.0.0.1:0
data: $OUT/broker-data
partnership: $P
policy: $ROOT/deploy/policies/daily-discussion.yaml
admin_agencies: [marac_coordinator]
meetings:
  - id: daily-discussion
    name: Daily domestic-abuse discussion
    members: [police, probation, victim_services, childrens_services, marac_coordinator]
    cadence: weekdays 09:30
    window_hours: 72
EOF
"$BROKER" --config "$OUT/broker.yaml" 2> "$OUT/logs/broker.log" &
PIDS+=($!)
ADDR=""
for _ in $(seq 1 100); do
  ADDR=$(sed -n 's/.*msg=listening address=\([^ ]*\).*/\1/p' "$OUT/logs/broker.log" | head -1)
  [ -n "$ADDR" ] && break
  sleep 0.1
done
if [ -z "$ADDR" ]; then
  echo "the broker did not start:" >&2
  cat "$OUT/logs/broker.log" >&2
  exit 1
fi
echo "   broker listening on $ADDR (log: $OUT/logs/broker.log)"

say "3. Start the five agency adapters (accord-agent), each with its own inbox and outbox"
for a in "${AGENCIES[@]}"; do
  d=$OUT/agents/$a
  mkdir -p "$d"
  cat > "$d/agent.yaml" <<EOF
agency: $a
profile: $a
partnership: $P
broker: $ADDR
inbox: inbox
outbox: outbox
data: data
poll_interval_ms: 200
EOF
  "$AGENT" --config "$d/agent.yaml" > "$OUT/logs/$a.log" 2>&1 &
  PIDS+=($!)
  echo "   $a: exports into $d/inbox, received events as JSON in $d/outbox"
done
sleep 1

# Prints the log lines written since the given byte offsets, per agency.
declare -A SEEN
for a in "${AGENCIES[@]}"; do SEEN[$a]=0; done
show_new_lines() {
  for a in "${AGENCIES[@]}"; do
    local f=$OUT/logs/$a.log size
    size=$(wc -c < "$f")
    if [ "$size" -gt "${SEEN[$a]}" ]; then
      tail -c +"$((SEEN[$a] + 1))" "$f" | grep -v '^\[.*\] \(receiving\|connected\)' | sed 's/^/   /' || true
      SEEN[$a]=$size
    fi
  done
}

say "4. The scenario: one household, from the first incident to the re-offence"
for step in "$ROOT"/deploy/demo/scenario/*/; do
  name=$(basename "$step")
  printf '\n\033[1m-- %s\033[0m\n' "$name"
  wrap < "$step/STEP.txt"
  for dir in "$step"*/; do
    a=$(basename "$dir")
    for f in "$dir"*; do
      # Copy under a name the adapter ignores, then rename: it never sees half a file.
      cp "$f" "$OUT/agents/$a/inbox/.$(basename "$f").part"
      mv "$OUT/agents/$a/inbox/.$(basename "$f").part" "$OUT/agents/$a/inbox/$(basename "$f")"
    done
  done
  wait_quiet
  show_new_lines
done

say "5. Next morning: each member pulls its pack for the daily discussion"
for a in "${MEMBERS[@]}"; do
  "$ACCORD" meeting pack --as "$a" --meeting daily-discussion --partnership "$P" --broker "$ADDR" \
    --out "$OUT/packs" | sed 's/^/   /'
done

say "6. What each agency holds now (its adapter's outbox)"
for a in "${AGENCIES[@]}"; do
  n=$(find "$OUT/agents/$a/outbox" -maxdepth 1 -name '*.json' | wc -l)
  echo "   $a: $n event(s) received"
done
if grep -q '"victim_contact": {' "$OUT"/agents/perpetrator_programme/outbox/*.json 2>/dev/null; then
  echo "   !! the perpetrator programme holds a victim_contact section" >&2
  exit 1
fi
echo "   The perpetrator programme never received the victim's contact details."

say "7. The auditor: who saw anything about Carys Morgan?"
CARYS=$("$ACCORD" pseudonym --as auditor --partnership "$P" --family Morgan --given Carys --dob 1991-03-14)
echo "   her pseudonym (computed with the auditor's linkage key): $CARYS"
"$ACCORD" audit who-saw --data "$OUT/broker-data" --subject "$CARYS" --format table > "$OUT/who-saw-carys.txt"
head -40 "$OUT/who-saw-carys.txt" | sed 's/^/   /'
rows=$(wc -l < "$OUT/who-saw-carys.txt")
[ "$rows" -gt 40 ] && echo "   ... $((rows - 40)) more lines in $OUT/who-saw-carys.txt"

say "8. The auditor verifies the whole log offline"
"$ACCORD" audit verify --data "$OUT/broker-data" --partnership "$P" 2>&1 | sed 's/^/   /'

say "Done"
echo "   Meeting packs (HTML, printable, and Markdown): $OUT/packs"
ls "$OUT/packs" | sed 's/^/     /'
echo "   Agency outboxes: $OUT/agents/<agency>/outbox   Logs: $OUT/logs"
