#!/usr/bin/env bash
# Mutation testing of the numerical core (model/, invariants/) against the
# suite, with gremlins at a pinned version. Prints, per package and in
# total, the raw efficacy (killed / (killed + lived)) and the mutation
# score over non-equivalent mutants, using the equivalent-mutant list in
# scripts/mutation-equivalent.txt (reasons in docs/mutation.md).
#
# Usage: scripts/mutation.sh [PKG...]          default: ./invariants ./model
# Env:   MUTATION_EXCLUDE  extra gremlins -E regexps (space separated), e.g. 'fast'
#        MUTATION_SKIP     go test -skip regexp for slow tests (default: the
#                          two Fast-vs-Reference differential tests, 12 s per mutant)
#        RAPID_SEED        rapid seed (default 20190501)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
GREMLINS_VERSION=v0.6.0

echo "== installing gremlins $GREMLINS_VERSION"
GOFLAGS= go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
gremlins="$(go env GOPATH)/bin/gremlins"
"$gremlins" --version

# The suite each mutant runs: the package's own tests plus, through
# mutation_test.go, every deterministic property of the proof registry on
# the reference and the fast stepper, with budgets sized for ~3 s per run.
export DLNVERIFY_MUTATION=1
export RAPID_CHECKS="${RAPID_CHECKS:-30}"
export DLNVERIFY_STEPS="${DLNVERIFY_STEPS:-200}"
export DLNVERIFY_HORIZON_STEPS="${DLNVERIFY_HORIZON_STEPS:-20000}"
export RAPID_SEED="${RAPID_SEED:-20190501}"
export RAPID_NOFAILFILE=1
export GOFLAGS="-skip=${MUTATION_SKIP:-^TestFastDifferential(Rapid)?\$}"
echo "suite: package tests + proof registry (DLNVERIFY_MUTATION=1), RAPID_CHECKS=$RAPID_CHECKS DLNVERIFY_STEPS=$DLNVERIFY_STEPS RAPID_SEED=$RAPID_SEED GOFLAGS=$GOFLAGS"

pkgs=("$@")
[ ${#pkgs[@]} -eq 0 ] && pkgs=(./invariants ./model)
excl=()
for e in ${MUTATION_EXCLUDE:-}; do excl+=(-E "$e"); done

outdir="$root/out/mutation"
mkdir -p "$outdir"
equiv="$root/scripts/mutation-equivalent.txt"
tk=0 tl=0 te=0 tt=0 tv=0 tc=0
for pkg in "${pkgs[@]}"; do
  name=$(basename "$pkg")
  log="$outdir/$name.log"
  echo "== gremlins unleash $pkg ${excl[*]:-}"
  start=$(date +%s)
  "$gremlins" unleash --config "$root/scripts/gremlins.yaml" -o "$outdir/$name.json" "${excl[@]}" "$pkg" 2>&1 | tee "$log" | grep -E "LIVED|TIMED OUT|NOT VIABLE|Killed:|efficacy|coverage" || true
  echo "   ($(( $(date +%s) - start )) s)"
  k=$(grep -c '^ *KILLED' "$log" || true)
  l=$(grep -c '^ *LIVED' "$log" || true)
  t=$(grep -c '^ *TIMED OUT' "$log" || true)
  v=$(grep -c '^ *NOT VIABLE' "$log" || true)
  c=$(grep -c '^ *NOT COVERED' "$log" || true)
  # Survivors listed as equivalent (lines "pkg/file.go:line:col TYPE reason").
  # A listed mutant that timed out (the machine was slow) is equivalent too;
  # an unlisted timeout is a hang the suite's -timeout caught (loop-counter
  # mutants), counted as detected and printed for review.
  e=0 et=0
  while read -r st pos typ; do
    [ -z "$pos" ] && continue
    if [ -f "$equiv" ] && grep -q "^$name/$pos $typ " "$equiv"; then
      if [ "$st" = LIVED ]; then e=$((e + 1)); else et=$((et + 1)); fi
    else
      [ "$st" = LIVED ] && echo "   SURVIVOR $name/$pos $typ" || echo "   HANG (timed out) $name/$pos $typ"
    fi
  done < <(grep -E '^ *(LIVED|TIMED OUT)' "$log" | sed -E 's/^ *(LIVED|TIMED OUT) ([A-Z_]+) at (.*)$/\1 \3 \2/; s/^TIMED OUT/TIMEDOUT/')
  echo "   $name: killed $k, lived $l (equivalent $e), timed out $t (equivalent $et), not viable $v, not covered $c"
  tk=$((tk + k)) tl=$((tl + l)) te=$((te + e + et)) tt=$((tt + t)) tv=$((tv + v)) tc=$((tc + c))
  tet=$((${tet:-0} + et))
done
awk -v k="$tk" -v l="$tl" -v e="$te" -v et="${tet:-0}" -v t="$tt" -v c="$tc" 'BEGIN {
  raw = (k + l) ? 100 * k / (k + l) : 0
  ne = k + t + l - e
  score = ne ? 100 * (k + t - et) / ne : 0
  strict = ne ? 100 * k / ne : 0
  printf "== total: killed %d, timed out %d, lived %d, equivalent %d (of which timed out %d), not covered %d\n", k, t, l, e, et, c
  printf "gremlins efficacy (killed/(killed+lived)): %.1f %%\n", raw
  printf "MUTATION SCORE (killed + non-equivalent hangs) / non-equivalent covered mutants: %.1f %% (%d/%d)\n", score, k + t - et, ne
  printf "strict score (hangs not counted as detected): %.1f %%\n", strict
}'
