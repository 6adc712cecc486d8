#!/usr/bin/env python3
"""A dlnverify peer: gradient descent on a deep linear network in numpy.

Run the paper's claim suite against it:

    dlnverify verify --impl exec:'python3 examples/numpy_stepper.py'

It speaks the protocol of docs/external.md on stdin/stdout (binary,
little-endian, float64) and is deliberately simple: one function, `step`,
is the implementation under test; the rest is framing.

Options (for testing the suite itself):
  --broken sequential   update W_1, W_2, … one after the other, each
                        gradient taken at the partly updated iterate
                        (a classic bug: not GD); the suite must reject it
  --float32             compute in float32 and declare precision 32
  --stats               at exit, print to stderr the CPU seconds spent in
                        `step` and in the whole session (the benchmark's
                        split of compute and protocol overhead)
Everything on stdout is protocol: diagnostics go to stderr.
"""
import struct
import sys
import time

import numpy as np

MAGIC = b"DLNV"
VERSION = 1
HELLO, HELLO_REPLY, STEP, STEP_REPLY, ERROR = 1, 2, 3, 4, 5
HEADER = struct.Struct("<4sIIQ")  # magic, version, kind, request id


def step(ws, phi, eta, sequential=False):
    """One GD step on L(W_1..W_N) = ½‖W_N⋯W_1 − Φ‖_F².

    ws[j] is W_{j+1} with shape (d_{j+1}, d_j); returns the loss before the
    step and the new layers. ∂L/∂W_j = (W_N⋯W_{j+1})ᵀ (W_{1:N} − Φ) (W_{j−1}⋯W_1)ᵀ,
    every gradient taken at the current iterate.
    """
    n = len(ws)
    if sequential:  # the planted bug: each layer sees the already-updated ones
        ws = [w.copy() for w in ws]
        loss = None
        for j in range(n):
            left, right, e = _factors(ws, phi)
            if loss is None:
                loss = 0.5 * float(np.sum(e * e))
            ws[j] = ws[j] - eta * (left[j].T @ e @ right[j].T)
        return loss, ws
    left, right, e = _factors(ws, phi)
    loss = 0.5 * float(np.sum(e * e))
    return loss, [ws[j] - eta * (left[j].T @ e @ right[j].T) for j in range(n)]


def _factors(ws, phi):
    """right[j] = W_j⋯W_1 (identity for j = 0), left[j] = W_N⋯W_{j+2}
    (identity for the last layer), e = W_N⋯W_1 − Φ."""
    n = len(ws)
    right = [np.eye(ws[0].shape[1], dtype=ws[0].dtype)]
    for w in ws[:-1]:
        right.append(w @ right[-1])
    e = ws[-1] @ right[-1] - phi
    left = [None] * n
    acc = np.eye(ws[-1].shape[0], dtype=ws[0].dtype)
    for j in range(n - 1, -1, -1):
        left[j] = acc
        acc = acc @ ws[j]
    return left, right, e


def read_exact(f, n):
    b = f.read(n)
    if len(b) != n:
        if not b:
            return None
        raise EOFError("truncated frame")
    return b


def main(argv):
    sequential = "--broken" in argv and argv[argv.index("--broken") + 1] == "sequential"
    dtype = np.float32 if "--float32" in argv else np.float64
    name = "numpy" + ("-float32" if dtype == np.float32 else "") + ("-broken-sequential" if sequential else "")
    stats = "--stats" in argv
    steps, compute, session = 0, 0.0, None
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = read_exact(inp, HEADER.size)
        if head is None:  # end of input: the session is over
            if stats and session is not None:
                sys.stderr.write("numpy_stepper stats: steps=%d compute_cpu_s=%.6f session_cpu_s=%.6f\n"
                                 % (steps, compute, time.process_time() - session))
            return 0
        magic, version, kind, rid = HEADER.unpack(head)
        if magic != MAGIC or version != VERSION:
            sys.stderr.write("numpy_stepper: not a dlnverify v1 frame\n")
            return 1
        if kind == HELLO:
            nb = name.encode()
            bits = 32 if dtype == np.float32 else 64
            out.write(HEADER.pack(MAGIC, VERSION, HELLO_REPLY, rid) + struct.pack("<II", bits, len(nb)) + nb)
            out.flush()
            continue
        if kind != STEP:
            sys.stderr.write("numpy_stepper: unexpected frame kind %d\n" % kind)
            return 1
        if session is None:
            session = time.process_time()
        n, k, eta = struct.unpack("<IId", read_exact(inp, 16))
        dims = struct.unpack("<%dI" % (n + 1), read_exact(inp, 4 * (n + 1)))
        phi = np.frombuffer(read_exact(inp, 8 * dims[n] * dims[0]), "<f8").reshape(dims[n], dims[0]).astype(dtype)
        ws = [np.frombuffer(read_exact(inp, 8 * dims[j] * dims[j - 1]), "<f8").reshape(dims[j], dims[j - 1]).astype(dtype)
              for j in range(1, n + 1)]
        parts = [HEADER.pack(MAGIC, VERSION, STEP_REPLY, rid), struct.pack("<II", n, k), struct.pack("<%dI" % (n + 1), *dims)]
        try:
            for _ in range(k):
                t0 = time.process_time() if stats else 0.0
                loss, ws = step(ws, phi, dtype(eta), sequential)
                if stats:
                    compute += time.process_time() - t0
                    steps += 1
                parts.append(struct.pack("<d", loss))
                parts.extend(w.astype("<f8").tobytes() for w in ws)
        except Exception as exc:  # answer with an error frame; the session goes on
            msg = ("%s: %s" % (type(exc).__name__, exc)).encode()
            parts = [HEADER.pack(MAGIC, VERSION, ERROR, rid), struct.pack("<I", len(msg)), msg]
        out.write(b"".join(parts))
        out.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
