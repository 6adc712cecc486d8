#!/usr/bin/python3
"""Ratio table for bench/compare.sh.

usage: ratios.py GO_BENCH_OUTPUT [NUMPY_OUTPUT[=label] ...]

Reads `go test -bench BenchmarkStep` output (several -count runs) and the
output of bench/numpy_step.py, takes the median ns/step of every
(shape, implementation), and prints Reference/Fast and numpy/Fast ratios
(how many times faster Fast is), then the issue 6 goals as measured.
"""
import re
import statistics
import sys

GO_LINE = re.compile(r"^BenchmarkStep/shape=(\S+?)/impl=(\w+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) cpu-ns/op)?")


def read_go(path, metric):
    runs = {}
    with open(path) as f:
        for line in f:
            m = GO_LINE.match(line)
            if m and m.group(metric):
                runs.setdefault((m.group(1), m.group(2)), []).append(float(m.group(metric)))
    return {k: statistics.median(v) for k, v in runs.items()}, {k: len(v) for k, v in runs.items()}


def read_numpy(path, col):
    out, lib = {}, ""
    with open(path) as f:
        for line in f:
            if line.startswith("# numpy"):
                lib = line[2:].strip()
            parts = line.split()
            if len(parts) >= 5 and parts[0] == "numpy" and len(parts) > col:
                out[(parts[2], parts[1])] = float(parts[col])
    return out, lib


def dims_of(shape):
    return [int(x) for x in shape.split("_", 1)[1].split("x")]


def fmt(x):
    return "-" if x is None else ("%.1f" % x if x < 100 else "%.0f" % x)


def main():
    for title, go_metric, np_col in (("WALL-CLOCK time", 3, 3), ("THREAD CPU time", 4, 5)):
        print("=" * 20, title, "=" * 20)
        go, counts = read_go(sys.argv[1], go_metric)
        if not go:
            print("(no data)")
            continue
        nps = []
        for arg in sys.argv[2:]:
            path, _, label = arg.partition("=")
            data, lib = read_numpy(path, np_col)
            nps.append((label or path, data, lib))
        report(go, counts, nps)
        print()


def report(go, counts, nps):
    shapes = []
    for (shape, _impl) in go:
        if shape not in shapes:
            shapes.append(shape)
    head = ["shape", "ref ns", "fast ns", "ref/fast"]
    for label, _, _ in nps:
        head += ["%s naive/fast" % label, "%s thin/fast" % label]
    rows = []
    for s in shapes:
        ref, fast = go.get((s, "reference")), go.get((s, "fast"))
        row = [s, fmt(ref), fmt(fast), fmt(ref / fast) if ref and fast else "-"]
        for _, data, _ in nps:
            for order in ("naive", "thin"):
                v = data.get((s, order))
                row.append(fmt(v / fast) if v and fast else "-")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print("Median ns/step over %s runs; ratios are <other>/<fast> (how many times faster Fast is)." %
          sorted(set(counts.values())))
    for label, _, lib in nps:
        print("  %s: %s" % (label, lib))
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")

    print("\nGoals (issue 6), as measured:")
    for s in shapes:
        d = dims_of(s)
        ref, fast = go.get((s, "reference")), go.get((s, "fast"))
        if not fast:
            continue
        checks = []
        if max(d) <= 8:
            if ref:
                checks.append(("Fast ≥ 5× Reference", ref / fast, 5))
            for label, data, _ in nps:
                best = min(v for v in (data.get((s, "naive")), data.get((s, "thin"))) if v)
                checks.append(("Fast ≥ 30× %s (faster order)" % label, best / fast, 30))
        if d[0] == 128 and d[-1] == 1:
            for label, data, _ in nps:
                v = data.get((s, "thin"))
                if v:
                    checks.append(("Fast ≥ 4× %s thin-end" % label, v / fast, 4))
        if min(d) >= 64:
            for label, data, _ in nps:
                best = min(v for v in (data.get((s, "naive")), data.get((s, "thin"))) if v)
                checks.append(("Fast no slower than %s (faster order)" % label, best / fast, 1))
        for name, ratio, goal in checks:
            print("  %-40s %-48s %7.2f×  (goal ≥ %g×)  %s" % (s, name, ratio, goal, "MET" if ratio >= goal else "SHORT"))


if __name__ == "__main__":
    main()
