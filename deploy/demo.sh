#!/usr/bin/env bash
# The main job: a demo partnership end to end on the embedded RocksDB broker.
# Installs missing dependencies, builds, creates a partnership, starts the
# broker and the seven agency adapters (two perpetrator programmes, Up2U and
# Drive, and the MARAC coordinator among them), plays the scenario in
# deploy/demo/scenario/ step by step (its dates moved so that the story ends
# two weeks before today), checks what must and must not have reached each
# agency, pulls the next morning's meeting packs, and finishes with the
# auditor's who-saw report and `accord audit verify`. Any failed check stops
# it with a message starting with "!!" and exit status 1.
# Everything lands in out/demo/ (override with OUT=...; POLICY=FILE runs
# another policy, e.g. to see a check fail).
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
AGENCIES=(police probation childrens_services victim_services up2u drive marac_coordinator)
MEMBERS=(police probation victim_services childrens_services marac_coordinator)
PROGRAMMES=(up2u drive)
POLICY=${POLICY:-$ROOT/deploy/policies/cardiff-and-vale.yaml}
# The scenario is written for March to November 2025, as if today were
# 15 November 2025; every date in it is moved by this many days.
SHIFT_DAYS=${SHIFT_DAYS:-$("$ROOT"/deploy/demo/shift-dates --days-to-today 2025-11-15)}
profile_of() { case $1 in up2u|drive) echo perpetrator_programme ;; *) echo "$1" ;; esac; }

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
  --agencies police,probation,childrens_services,victim_services,up2u:perpetrator_programme,drive:perpetrator_programme,marac_coordinator,auditor \
  | sed 's/^/   /'

say "2. Start the broker (mutual TLS, embedded RocksDB, policy ${POLICY#$ROOT/})"
cat > "$OUT/broker.yaml" <<EOF
listen: 127.0.0.1:0
data: $OUT/broker-data
partnership: $P
policy: $POLICY
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

say "3. Start the seven agency adapters (accord-agent), each with its own inbox and outbox"
for a in "${AGENCIES[@]}"; do
  d=$OUT/agents/$a
  mkdir -p "$d"
  cat > "$d/agent.yaml" <<EOF
agency: $a
profile: $(profile_of "$a")
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

# Outbox files of an agency whose header kind is $2 (notices included).
files_of_kind() { grep -l "\"$2\"" "$OUT"/agents/"$1"/outbox/*.json 2>/dev/null || true; }
count() { find "$OUT/agents/$1/outbox" -maxdepth 1 -name '*.json' | wc -l; }
fail() { echo "   !! $*" >&2; exit 1; }

# Up2U claims to be Carys's partner-support worker: only the IDVA service may
# declare that relation, so the broker must refuse the whole event and store
# nothing of it.
wrong_agency_declaration() {
  local carys case_ref ev=$OUT/up2u-claims-partner-support.yaml out
  carys=$("$ACCORD" pseudonym --as up2u --partnership "$P" --family Morgan --given Carys --dob 1991-03-14)
  case_ref=case-${carys:0:16}
  cat > "$ev" <<EOF
event_id: up2u-demo-claims-partner-support
kind: partner_support_status
case: $case_ref
actor: {role: facilitator, staff_ref: "UP2U-F03"}
subjects:
  - {role: victim, ref: $carys}
  - {role: perpetrator, family: Price, given: Daniel, dob: 1988-07-22}
relations:
  - {relation: partner_support, agency: up2u}
sections:
  summary: {type: Summary, headline: "Up2U: partner support offered"}
EOF
  printf '\n   Up2U tries to declare itself Carys'"'"'s partner-support worker (accord send --as up2u):\n'
  if out=$("$ACCORD" send --as up2u --partnership "$P" --broker "$ADDR" "$ev" 2>&1); then
    echo "$out" | sed 's/^/     /'
    fail "the broker accepted a partner_support relation declared by up2u"
  fi
  echo "$out" | tail -3 | sed 's/^/     /'
  grep -q "partner_support" <<<"$out" || fail "the refusal does not name the relation: $out"
  local records
  records=$("$ACCORD" audit who-saw --broker "$ADDR" --as auditor --partnership "$P" \
              --event up2u-demo-claims-partner-support --format csv 2>&1) ||
    fail "cannot ask the broker's audit log about the refused event: $records"
  if grep -q "up2u-demo-claims-partner-support" <<<"$records"; then
    fail "the refused event is in the audit log: $records"
  fi
  echo "   Refused, and nothing of it is stored."
}

say "4. The scenario: two households and one perpetrator, from the first incident to a de-selection"
echo "   (the story is dated March to November 2025; its exports are moved by $SHIFT_DAYS days so that"
echo "   it ends two weeks before today: the broker's reminders and windows run on today's clock)"
declare -A COUNT_AFTER
for step in "$ROOT"/deploy/demo/scenario/*/; do
  name=$(basename "$step")
  printf '\n\033[1m-- %s\033[0m\n' "$name"
  wrap < "$step/STEP.txt"
  for dir in "$step"*/; do
    a=$(basename "$dir")
    for f in "$dir"*; do
      # Write under a name the adapter ignores, then rename: it never sees half a file.
      "$ROOT"/deploy/demo/shift-dates "$SHIFT_DAYS" < "$f" > "$OUT/agents/$a/inbox/.$(basename "$f").part"
      mv "$OUT/agents/$a/inbox/.$(basename "$f").part" "$OUT/agents/$a/inbox/$(basename "$f")"
    done
  done
  wait_quiet
  show_new_lines
  case $name in 06-*) wrong_agency_declaration ;; esac
  for a in "${PROGRAMMES[@]}"; do COUNT_AFTER[$name.$a]=$(count "$a"); done
done

say "4b. Checks: what must and must not have reached each agency"
for a in "${PROGRAMMES[@]}"; do
  for f in "$OUT"/agents/"$a"/outbox/*.json; do
    [ -e "$f" ] || continue
    # Opened sections are objects ("name": {...}); withheld ones are only listed by name.
    for s in victim_contact 'health@victim'; do
      if grep -q "\"$s\": {" "$f"; then fail "$a holds a $s section: $f"; fi
    done
    if grep -q '"sender": "\(police\|victim_services\)"' "$f" && grep -q '"risk": {' "$f" &&
       grep -q '"dash_answers"\|"answers"' "$f"; then
      fail "$a holds DASH answers: $f"
    fi
  done
done
echo "   Neither programme holds the victim's contact details, her health or her DASH answers."
for a in police marac_coordinator probation; do
  [ -n "$(files_of_kind "$a" EVENT_KIND_DESELECTION)" ] || fail "the de-selection did not reach $a"
done
echo "   Drive's de-selection reached police, the MARAC coordinator and probation."
for a in "${AGENCIES[@]}"; do
  n=$( (grep -l '"EVENT_KIND_SERIAL_PATTERN"' "$OUT"/agents/"$a"/outbox/notice-*.json 2>/dev/null || true) | wc -l)
  case $a in
    marac_coordinator|drive) [ "$n" -eq 1 ] || fail "$a holds $n SERIAL_PATTERN notices, not exactly one" ;;
    *) [ "$n" -eq 0 ] || fail "$a holds $n SERIAL_PATTERN notices, not none" ;;
  esac
done
echo "   Exactly one SERIAL_PATTERN notice reached the MARAC coordinator and Drive, none anyone else."
after=${COUNT_AFTER[14-drive-takes-him-on.up2u]}
[ "$(count up2u)" -eq "$after" ] || fail "up2u received $(( $(count up2u) - after )) event(s) after its relation ended"
after=${COUNT_AFTER[16-deselection.drive]}
[ "$(count drive)" -eq "$after" ] || fail "drive received $(( $(count drive) - after )) event(s) after it de-selected him"
echo "   Up2U received nothing after the transfer, Drive nothing after the de-selection."
[ -n "$(files_of_kind up2u EVENT_KIND_DOMESTIC_INCIDENT)" ] ||
  fail "Up2U did not hear of the incident with Megan while it worked with him"
feedback=$( (grep -l '"EVENT_KIND_FEEDBACK_DUE"' "$OUT"/agents/victim_services/outbox/notice-*.json 2>/dev/null || true) | wc -l)
[ "$feedback" -gt 0 ] || fail "no partner-feedback reminder reached the partner-support worker"
echo "   The partner-support worker received $feedback partner-feedback reminder(s) from the broker."

say "5. Next morning: each member pulls its pack for the daily discussion"
for a in "${MEMBERS[@]}"; do
  "$ACCORD" meeting pack --as "$a" --meeting daily-discussion --partnership "$P" --broker "$ADDR" \
    --out "$OUT/packs" | sed 's/^/   /'
done

say "6. What each agency holds now (its adapter's outbox)"
for a in "${AGENCIES[@]}"; do
  echo "   $a: $(count "$a") event(s) and notice(s) received"
done

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
