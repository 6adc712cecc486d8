#!/usr/bin/python3
"""Time one full-batch GD step of a deep linear network in numpy.

Same loss, gradient and update as dlnverify's model.Reference / model.Fast
(S2 of CLAIMS.md: every dL/dW_j = W_{j+1:N}^T E W_{1:j-1}^T with
E = W_{1:N} - Phi at the same iterate, then W_j -= eta * dL/dW_j), in two
evaluation orders:

  naive:    prefix products P_j = W_{1:j} (from the input) and suffix
            products S_j = W_{j:N} (from the output), then
            G_j = S_{j+1}^T @ E @ P_{j-1}^T evaluated left to right, as the
            formula reads -- O(N d^3) for square shapes.
  thin-end: the order model.Fast uses (bench/../model/fast.go): partials from
            the narrow end, the error carried from the other end, and rank-r
            updates, r = min(d_0, d_N) -- O(r * #params).

Run with OPENBLAS_NUM_THREADS=1 (and OMP_NUM_THREADS=1) for a single-threaded
baseline. Prints one line per shape and order, medians of 5 repetitions:
  numpy <order> <shape-name> <wall ns/step> <steps per repetition> <thread CPU ns/step>
"""
import sys
import time

import numpy as np

SHAPES = [
    [1, 1, 1],
    [2, 2, 2, 2],
    [4, 4, 4, 4],
    [8, 8, 8, 8, 8],
    [4, 4, 4, 4, 4, 4, 4],
    [16, 16, 16, 16],
    [128, 32, 32, 1],
    [128, 32, 32, 32, 32, 32, 32, 32, 1],
    [64, 64, 64, 64, 64],
    [256, 256, 256, 256, 256],
]


def shape_name(dims):
    return "N%d_%s" % (len(dims) - 1, "x".join(str(d) for d in dims))


def problem(dims, seed=1):
    rng = np.random.default_rng(seed)
    ws = []
    for j in range(1, len(dims)):
        w = rng.standard_normal((dims[j], dims[j - 1]))
        ws.append(w / np.linalg.norm(w))  # unit Frobenius, as the Go benchmark
    phi = rng.standard_normal((dims[-1], dims[0])) / np.sqrt(max(dims[0], dims[-1]))
    return ws, phi


def step_naive(ws, phi, eta):
    N = len(ws)
    pre = [None] * (N + 1)  # pre[j] = W_{1:j}; pre[0] = I
    pre[0] = np.eye(ws[0].shape[1])
    for j in range(1, N + 1):
        pre[j] = ws[j - 1] @ pre[j - 1]
    suf = [None] * (N + 2)  # suf[j] = W_{j:N}; suf[N+1] = I
    suf[N + 1] = np.eye(ws[-1].shape[0])
    for j in range(N, 0, -1):
        suf[j] = suf[j + 1] @ ws[j - 1]
    e = pre[N] - phi
    loss = 0.5 * float(np.vdot(e, e))
    grads = [suf[j + 1].T @ e @ pre[j - 1].T for j in range(1, N + 1)]
    for j in range(N):
        ws[j] -= eta * grads[j]
    return loss


def step_thin(ws, phi, eta):
    N = len(ws)
    d_in, d_out = ws[0].shape[1], ws[-1].shape[0]
    if d_out <= d_in:
        # left partials A_j = W_{j+1:N}, j = N-1..0 (A_{N-1} = W_N)
        a = [None] * N
        a[N - 1] = ws[N - 1]
        for j in range(N - 2, -1, -1):
            a[j] = a[j + 1] @ ws[j]
        p = a[0] if N >= 2 else ws[0]
        e = p - phi
        loss = 0.5 * float(np.vdot(e, e))
        r = e  # R_j = E W_{1:j-1}^T
        for j in range(1, N + 1):
            w = ws[j - 1]
            if j == N:
                w -= eta * r
                break
            nxt = r @ w.T
            w -= eta * (a[j].T @ r)
            r = nxt
        return loss
    # thin input: right partials B_j = W_{1:j-1}, B_2 = W_1
    b = [None] * (N + 2)
    if N >= 1:
        b[2] = ws[0]
    for j in range(2, N + 1):
        b[j + 1] = ws[j - 1] @ b[j]
    p = b[N + 1] if N >= 2 else ws[0]
    e = p - phi
    loss = 0.5 * float(np.vdot(e, e))
    q = e  # Q_j = W_{j+1:N}^T E
    for j in range(N, 0, -1):
        w = ws[j - 1]
        if j == 1:
            w -= eta * q
            break
        nxt = w.T @ q
        w -= eta * (q @ b[j].T)
        q = nxt
    return loss


def check_orders_agree():
    for dims in ([3, 2, 4], [5, 3, 1], [1, 3, 4], [2, 2], [4, 5, 5, 1]):
        w1, phi = problem(dims, 7)
        w2 = [w.copy() for w in w1]
        l1, l2 = step_naive(w1, phi, 0.01), step_thin(w2, phi, 0.01)
        assert abs(l1 - l2) <= 1e-12 * max(1, l1), (dims, l1, l2)
        for a, b in zip(w1, w2):
            assert np.allclose(a, b, rtol=0, atol=1e-12), dims


def time_step(step, dims, budget=0.4, reps=5):
    ws, phi = problem(dims)
    eta = 1e-9
    step(ws, phi, eta)
    # calibrate the loop length to about budget seconds per repetition
    k = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(k):
            step(ws, phi, eta)
        dt = time.perf_counter() - t0
        if dt > budget / 4 or k > 1 << 24:
            break
        k *= 2
    k = max(1, int(k * budget / max(dt, 1e-9)))
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(k):
            step(ws, phi, eta)
        wall.append((time.perf_counter() - t0) / k)
        cpu.append((time.thread_time() - c0) / k)
    wall.sort()
    cpu.sort()
    return wall[len(wall) // 2] * 1e9, k, cpu[len(cpu) // 2] * 1e9  # medians, ns/step


def blas_library():
    """The BLAS shared library this process actually loaded."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return ",".join(sorted(libs)) or "unknown"
    except OSError:
        return "unknown"


def main():
    check_orders_agree()
    print("# numpy %s, BLAS %s" % (np.__version__, blas_library()), flush=True)
    only = sys.argv[1:]
    for dims in SHAPES:
        name = shape_name(dims)
        if only and name not in only:
            continue
        for order, step in (("naive", step_naive), ("thin", step_thin)):
            ns, k, cpu = time_step(step, dims)
            print("numpy %s %s %.1f %d %.1f" % (order, name, ns, k, cpu), flush=True)


if __name__ == "__main__":
    main()
