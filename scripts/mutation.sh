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
  e=0
  while read -r pos typ; do
    [ -z "$pos" ] && continue
    if [ -f "$equiv" ] && grep -q "^$name/$pos $typ" "$equiv"; then e=$((e + 1)); else echo "   SURVIVOR $name/$pos $typ"; fi
  done < <(grep '^ *LIVED' "$log" | sed -E 's/^ *LIVED ([A-Z_]+) at (.*)$/\2 \1/')
  echo "   $name: killed $k, lived $l (of which equivalent $e), timed out $t, not viable $v, not covered $c"
  tk=$((tk + k)) tl=$((tl + l)) te=$((te + e)) tt=$((tt + t)) tv=$((tv + v)) tc=$((tc + c))
done
awk -v k="$tk" -v l="$tl" -v e="$te" -v t="$tt" -v c="$tc" 'BEGIN {
  raw = (k + l) ? 100 * k / (k + l) : 0
  ne = k + t + l - e
  score = ne ? 100 * (k + t) / ne : 0
  printf "== total: killed %d, timed out %d, lived %d (equivalent %d), not covered %d\n", k, t, l, e, c
  printf "gremlins efficacy (killed/(killed+lived)): %.1f %%\n", raw
  printf "MUTATION SCORE (killed+timed out)/(non-equivalent, covered): %.1f %%\n", score
}'
