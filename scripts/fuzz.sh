#!/usr/bin/env bash
# Runs every fuzz target of dlnverify for FUZZTIME each (default 60s), one
# at a time (the machine's cores are shared), and fails only on a real
# finding: a new failing input written under testdata/fuzz/. A bare
# "context deadline exceeded" at the end of -fuzztime with no input written
# is Go's fuzzing-coordinator race (golang/go#75804, unfixed in go1.26),
# reported here as a flake, not a failure.
#
# Usage: scripts/fuzz.sh [FUZZTIME]      e.g. scripts/fuzz.sh 60s
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-60s}"
targets=(
  "./model/ FuzzReadCSV"
  "./model/ FuzzNewNetFromRows"
  "./model/ FuzzNewNet"
  "./model/ FuzzWhiten"
  "./model/ FuzzBalanced"
  "./model/ FuzzPerturbImbalance"
  "./cmd/dlnverify/ FuzzTrainConfig"
  "./cmd/dlnverify/ FuzzFlagParsers"
)
failed=0
flaked=0
for t in "${targets[@]}"; do
  set -- $t
  pkg=$1 name=$2
  dir="${pkg%/}/testdata/fuzz/$name"
  before=$(ls "$dir" 2>/dev/null | sort)
  log=$(mktemp)
  go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 >"$log" 2>&1
  rc=$?
  after=$(ls "$dir" 2>/dev/null | sort)
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1)
  new=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
  if [ $rc -eq 0 ]; then
    echo "PASS  $name ($fuzztime, $execs)"
  elif [ -n "$new" ]; then
    echo "FAIL  $name: new failing input(s) in $dir: $new"
    grep -v '^\s*/' "$log" | grep -A20 -- '--- FAIL' | head -30
    failed=$((failed + 1))
  elif grep -q 'context deadline exceeded' "$log"; then
    echo "FLAKE $name ($execs): 'context deadline exceeded' with no input written (golang/go#75804)"
    flaked=$((flaked + 1))
  else
    echo "FAIL  $name (exit $rc)"; tail -30 "$log"
    failed=$((failed + 1))
  fi
  rm -f "$log"
done
echo "fuzz: ${#targets[@]} targets, $failed failed, $flaked flaked"
[ $failed -eq 0 ]
