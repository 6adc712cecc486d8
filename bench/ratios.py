#!/usr/bin/python3
"""Ratio tables and issue 12's goals for bench/compare.sh (markdown).

usage: ratios.py GHZ GO_OUT BASE_OUT NUMPY_OUT[=label] [NUMPY_OUT[=label] ...]

GO_OUT: `go test ./model -bench '^(BenchmarkStep|BenchmarkBatchStep)$'`
output (several -count runs): impl=reference, impl=fast, impl=batch lines.
BASE_OUT: BenchmarkStep impl=fast lines of the baseline commit ("today's
Fast" of issue 12), relabelled impl=base by compare.sh. NUMPY_OUT:
bench/numpy_step.py output. Medians over the runs; ratio = other / ours
(how many times faster ours is). The arithmetic limit of a shape is its
multiply-add count per step (mads/op, from model.FastPlan) at the core's
peak of 8 double-precision multiply-adds per cycle (two 256-bit FMA pipes,
AMD Zen 4 / Intel since Haswell) times GHZ.
"""
import re
import statistics
import sys

LINE = re.compile(r"^Benchmark(?:Batch)?Step/shape=(\S+?)/impl=(\w+)(?:-\d+)?\s+\d+\s+(.*)$")
METRIC = re.compile(r"([\d.e+-]+) (\S+)")
FMA_PER_CYCLE = 8


def read_go(path):
    runs = {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            d = runs.setdefault((m.group(1), m.group(2)), {})
            for v, unit in METRIC.findall(m.group(3)):
                d.setdefault(unit, []).append(float(v))
    return runs


def read_numpy(path):
    out, lib = {}, ""
    with open(path) as f:
        for line in f:
            if line.startswith("# numpy"):
                lib = line[2:].strip()
            p = line.split()
            if len(p) >= 6 and p[0] == "numpy":
                out[(p[2], p[1])] = {"wall": float(p[3]), "cpu": float(p[5])}
    return out, lib


def med(runs, key, unit):
    v = runs.get(key, {}).get(unit)
    return statistics.median(v) if v else None


def fmt(x, digits=3):
    if x is None:
        return "-"
    if x >= 1000:
        return "%.0f" % x
    return ("%%.%dg" % digits) % x


def main():
    ghz = float(sys.argv[1])
    go = read_go(sys.argv[2])
    base = read_go(sys.argv[3])
    for (s, _), d in list(base.items()):
        go[(s, "base")] = d
    nps = []
    for arg in sys.argv[4:]:
        path, _, label = arg.partition("=")
        data, lib = read_numpy(path)
        nps.append((label or path, data, lib))
    shapes = []
    for (s, _) in go:
        if s not in shapes:
            shapes.append(s)
    counts = sorted({len(v) for d in go.values() for v in d.values()})
    peak = FMA_PER_CYCLE * ghz  # multiply-adds per ns
    print("Medians over %s runs. Peak %d mads/cycle × %.3g GHz = %.3g mads/ns." % (counts, FMA_PER_CYCLE, ghz, peak))
    for label, _, lib in nps:
        print("%s: %s  " % (label, lib))
    print()
    allocs = [(k, max(d.get("allocs/op", [0]))) for k, d in go.items() if k[1] != "reference"]
    bad = [k for k, a in allocs if a != 0]
    print("Allocations: %d benchmark series of base, fast and batch; %s." %
          (len(allocs), "all 0 B/op, 0 allocs/op" if not bad else "NOT zero: %s" % bad))
    goals = []
    for title, unit_single, unit_batch, np_col in (("Thread CPU time per case per step (ns)", "cpu-ns/op", "case-cpu-ns/op", "cpu"),
                                                   ("Wall-clock time per case per step (ns)", "ns/op", "case-ns/op", "wall")):
        print("\n### %s\n" % title)
        head = ["shape", "mads", "limit", "reference", "base fast", "fast", "batch (lanes)", "fast/limit", "batch/limit",
                "base/fast", "base/batch"]
        for label, _, _ in nps:
            head += ["%s thin/fast" % label, "%s thin/batch" % label]
        rows = []
        for s in shapes:
            mads = med(go, (s, "fast"), "mads/op") or med(go, (s, "batch"), "mads/op")
            lim = mads / peak if mads else None
            ref = med(go, (s, "reference"), unit_single)
            b0 = med(go, (s, "base"), unit_single)
            f = med(go, (s, "fast"), unit_single)
            bt = med(go, (s, "batch"), unit_batch)
            lanes = med(go, (s, "batch"), "lanes")
            r = lambda a, b: a / b if a and b else None
            row = [s, fmt(mads), fmt(lim), fmt(ref), fmt(b0), fmt(f),
                   "%s (%d)" % (fmt(bt), lanes) if bt else "-",
                   "%s %%" % fmt(100 * r(lim, f)) if r(lim, f) else "-",
                   "%s %%" % fmt(100 * r(lim, bt)) if r(lim, bt) else "-",
                   fmt(r(b0, f)), fmt(r(b0, bt))]
            for label, data, _ in nps:
                t = data.get((s, "thin"), {}).get(np_col)
                row += [fmt(r(t, f)), fmt(r(t, bt))]
                if np_col == "cpu" and label == nps[0][0]:
                    if s in ("N3_4x4x4x4",) and bt:
                        goals.append((s, "batch ≥ 200× %s thin-end" % label, r(t, bt), 200, r(t, lim)))
                    if s.startswith("N3_128x") or s.startswith("N8_128x"):
                        goals.append((s, "fast ≥ 20× %s thin-end" % label, r(t, f), 20, r(t, lim)))
            if np_col == "cpu":
                if s in ("N3_2x2x2x2", "N3_4x4x4x4", "N4_8x8x8x8x8", "N6_4x4x4x4x4x4x4"):
                    goals.append((s, "batch ≥ 5× base fast", r(b0, bt), 5, r(b0, lim)))
                if s.startswith("N3_128x") or s.startswith("N8_128x"):
                    goals.append((s, "fast ≥ 2× base fast", r(b0, f), 2, r(b0, lim)))
            rows.append(row)
        widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for x in rows:
            print("| " + " | ".join(str(c).ljust(w) for c, w in zip(x, widths)) + " |")
    print("\n### Goals of issue 12, thread CPU time\n")
    print("*ceiling*: the ratio a step running at the arithmetic limit would reach (other/limit).\n")
    print("| shape | goal | measured | ceiling | verdict |")
    print("|---|---|---|---|---|")
    for s, name, ratio, goal, ceiling in goals:
        verdict = "-" if ratio is None else ("MET" if ratio >= goal else "SHORT")
        print("| %s | %s | %s× | %s× | %s |" % (s, name, fmt(ratio), fmt(ceiling), verdict))


if __name__ == "__main__":
    main()
