#!/usr/bin/env bash
# Benchmarks one GD step of model.Reference and model.Fast (Go) and the same
# loop in numpy (naive and thin-end order), and prints ratios.
#
#   bench/compare.sh               # full run: -count 6, Debian numpy and numpy+OpenBLAS
#   COUNT=10 BENCHTIME=1s bench/compare.sh
#   OPENBLAS=0 bench/compare.sh    # skip the numpy+OpenBLAS variant
#
# Raw outputs go to bench/out/ (go.txt, benchstat.txt, numpy-*.txt,
# ratios.txt, machine.txt). Everything is single-threaded: Go runs with
# -cpu 1 (GOMAXPROCS=1; Fast never spawns goroutines, Reference's gonum/mat
# would otherwise use both cores at the largest shapes), numpy with
# OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-0.5s}
OPENBLAS=${OPENBLAS:-1}
OUT=bench/out
PY=/usr/bin/python3 # Debian's python3 (pyenv's may shadow it on PATH)
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
mkdir -p "$OUT"

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), $(nproc) cores, $(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest"
	echo "simd: $(grep -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
	echo "go: $(go version)"
	echo "uptime before: $(uptime)"
} | tee "$OUT/machine.txt"

echo "== Go: go test ./model -bench BenchmarkStep -count $COUNT -benchtime $BENCHTIME -cpu 1"
go test ./model/ -run '^$' -bench '^BenchmarkStep$' -benchmem -count "$COUNT" -benchtime "$BENCHTIME" -cpu 1 | tee "$OUT/go.txt"

echo "uptime after Go: $(uptime)" | tee -a "$OUT/machine.txt"
echo "== benchstat"
BIN=$(go env GOPATH)/bin
if ! [ -x "$BIN/benchstat" ] || ! go version -m "$BIN/benchstat" | grep -q "$BENCHSTAT_VERSION"; then
	go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"
fi
"$BIN/benchstat" -col /impl "$OUT/go.txt" | tee "$OUT/benchstat.txt"

echo "== numpy (Debian python3-numpy, its default BLAS)"
if ! "$PY" -c 'import numpy' 2>/dev/null; then
	apt-get update && apt-get install -y python3-numpy
fi
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PY" bench/numpy_step.py | tee "$OUT/numpy-debian.txt"
NUMPY_ARGS=("$OUT/numpy-debian.txt=numpy")

if [ "$OPENBLAS" = 1 ]; then
	# Debian's numpy uses whatever libblas.so.3 the alternatives system
	# selects; on a bare system that is the netlib reference BLAS. To time
	# it against OpenBLAS without changing the shared machine's setup, the
	# OpenBLAS package is unpacked (not installed) into a private directory
	# and put first on LD_LIBRARY_PATH for this one process.
	echo "== numpy with OpenBLAS (libopenblas0-pthread unpacked privately)"
	OB=${TMPDIR:-/tmp}/dlnverify-openblas
	if ! [ -d "$OB/root" ]; then
		mkdir -p "$OB"
		(cd "$OB" && apt-get download libopenblas0-pthread)
		dpkg -x "$OB"/libopenblas0-pthread_*.deb "$OB/root"
	fi
	LIBDIR=$(dirname "$(find "$OB/root" -name 'libblas.so.3' | head -1)")
	LD_LIBRARY_PATH="$LIBDIR" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PY" bench/numpy_step.py | tee "$OUT/numpy-openblas.txt"
	NUMPY_ARGS+=("$OUT/numpy-openblas.txt=numpy+OpenBLAS")
fi

echo "uptime after: $(uptime)" | tee -a "$OUT/machine.txt"
echo "== ratios"
"$PY" bench/ratios.py "$OUT/go.txt" "${NUMPY_ARGS[@]}" | tee "$OUT/ratios.txt"
