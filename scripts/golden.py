#!/usr/bin/python3
"""Golden tables for internal/selfcheck, computed outside the Go module.

Every measurement and bound of the suite (CLAIMS.md D1, D2, sigma_min, the
spectral norm, [S]^p, P_W and its eigenvalues, the Theorem 1 bounds
delta*, eta*, T(eps), L2's layer bound, L6's bound and nu, whitening) is
recomputed here with numpy (LAPACK SVD / eigh, explicit Kronecker sums) and,
for the closed-form bounds, with Python's decimal module at 50 digits from
the formulas of CLAIMS.md typed again. The inputs are exact binary
fractions (k/8) drawn from a fixed numpy seed, so Go reads them bit for bit.

The inputs are chosen where the plausible alternatives differ (the script
asserts it and records the alternatives): differences of rank >= 2 in D1
(spectral != Frobenius), N >= 3 with several non-zero pairs (max != sum),
wide, tall, d_N = 1 and d_0 = 1 shapes, rank-deficient W for P_W's 0^0 = 1
convention, features of very different scales for whitening.

Usage:  /usr/bin/python3 scripts/golden.py > internal/selfcheck/testdata/golden.json
(needs python3-numpy: apt-get install -y python3-numpy). Output is
deterministic for a given numpy version; the provenance block records it.
"""
import decimal
import hashlib
import json
import platform
import sys

import numpy as np

D = decimal.Decimal
decimal.getcontext().prec = 50
rng = np.random.default_rng(20190501)


def frac(r, c, lo=-8, hi=8):
    """An r x c matrix of exact binary fractions k/8, k in [lo, hi]."""
    return rng.integers(lo, hi + 1, size=(r, c)).astype(np.float64) / 8.0


def fullrank(r, c):
    while True:
        a = frac(r, c)
        s = np.linalg.svd(a, compute_uv=False)
        if s[-1] > 0.2 * s[0]:
            return a


def mat(a):
    return [[float(v) for v in row] for row in np.atleast_2d(a)]


def differ(a, b, rel=1e-3):
    return abs(a - b) > rel * max(abs(a), abs(b), 1e-300)


def sympow(s, p):
    """[S]^p by eigh, eigenvalues <= 4u*n*lambda_max clamped to 0, 0^0 = 1."""
    n = s.shape[0]
    if p == 0:
        return np.eye(n)
    w, v = np.linalg.eigh(0.5 * (s + s.T))
    floor = 4 * np.finfo(float).eps * n * max(w[-1], 0.0)
    w = np.where(w <= floor, 0.0, w)
    return (v * w ** p) @ v.T


# ---- D1 (imbalance) on networks -----------------------------------------
def imbalance_case(name, dims):
    layers = [fullrank(dims[j + 1], dims[j]) for j in range(len(dims) - 1)]
    pairs, spec, wrong_side = [], [], []
    for j in range(len(layers) - 1):
        d = layers[j + 1].T @ layers[j + 1] - layers[j] @ layers[j].T
        pairs.append(float(np.linalg.norm(d, 'fro')))
        spec.append(float(np.linalg.norm(d, 2)))
        ranks = np.linalg.matrix_rank(d)
        assert ranks >= 2 or d.shape[0] == 1, (name, j, ranks)
    d1 = max(pairs) if pairs else 0.0
    alt = {"spectral": max(spec) if spec else 0.0, "sum": sum(pairs)}
    if len(pairs) >= 1 and dims[1] > 1:
        assert differ(d1, alt["spectral"]), name
    if len(pairs) >= 2:
        assert differ(d1, alt["sum"]), name
    # Measurements of the end-to-end product (D2, sigma_min, max ||W_j||).
    w = np.eye(dims[0])
    for l in layers:
        w = l @ w
    phi = fullrank(dims[-1], dims[0]) * 2
    sv_phi = np.linalg.svd(phi, compute_uv=False)
    margin = float(sv_phi[-1] - np.linalg.norm(w - phi, 'fro'))
    sigmin = float(np.linalg.svd(w, compute_uv=False)[-1])
    maxspec = float(max(np.linalg.norm(l, 2) for l in layers))
    return {"name": name, "dims": dims, "layers": [mat(l) for l in layers], "phi": mat(phi),
            "pairs": pairs, "imbalance": d1, "margin": margin, "sigma_min_product": sigmin,
            "max_layer_spectral": maxspec, "alternatives": alt}


nets = [
    imbalance_case("N3-wide-tall", [3, 5, 4, 2]),
    imbalance_case("N4-three-pairs", [2, 3, 4, 3, 2]),
    imbalance_case("N2-tall-output", [2, 4, 5]),
    imbalance_case("N3-d0-1-dN-1", [1, 3, 3, 1]),
    imbalance_case("N3-square", [3, 3, 3, 3]),
    imbalance_case("N1", [3, 2]),
]

# ---- singular values of single matrices ---------------------------------
svals = []
for name, (r, c) in [("wide-2x5", (2, 5)), ("tall-5x2", (5, 2)), ("square-3x3", (3, 3)),
                     ("row-1x4", (1, 4)), ("column-4x1", (4, 1)), ("tall-4x3", (4, 3))]:
    a = fullrank(r, c)
    s = np.linalg.svd(a, compute_uv=False)
    svals.append({"name": name, "a": mat(a), "sv": [float(v) for v in s],
                  "alternatives": {"frobenius": float(np.linalg.norm(a, 'fro')),
                                   "max_abs_entry": float(np.max(np.abs(a)))}})

# ---- [S]^p --------------------------------------------------------------
sympows = []
for name, n, rank in [("pd-3", 3, 3), ("pd-4", 4, 4), ("rank2-of-3", 3, 2), ("1x1", 1, 1)]:
    b = fullrank(rank, n)
    s = b.T @ b
    if rank == n:
        s = s + 0.25 * np.eye(n)
    for p in [0.5, 1.0 / 3.0, 2.0 / 3.0, 1.5, 0.0]:
        sympows.append({"name": f"{name}^{p:.4f}", "s": mat(s), "p": p, "out": mat(sympow(s, p))})

# ---- P_W by the explicit Kronecker sum ----------------------------------
pws = []
for name, (r, c), N, rank in [("wide-2x3-N3", (2, 3), 3, 2), ("tall-3x2-N2", (3, 2), 2, 2),
                              ("row-1x3-N4", (1, 3), 4, 1), ("column-3x1-N3", (3, 1), 3, 1),
                              ("rank2-3x3-N3", (3, 3), 3, 2), ("square-2x2-N1", (2, 2), 1, 2)]:
    w = fullrank(rank, c)
    if rank < r:
        w = fullrank(r, rank) @ w
    elif rank == r:
        pass
    else:
        raise AssertionError(name)
    if w.shape != (r, c):
        w = fullrank(r, c)
    e = frac(r, c)
    wwt, wtw = w @ w.T, w.T @ w
    # vec (column-major) of L E R is (R^T kron L) vec(E); both powers are symmetric.
    P = sum(np.kron(sympow(wtw, (N - j) / N), sympow(wwt, (j - 1) / N)) for j in range(1, N + 1))
    vec_e = e.reshape(-1, order='F')
    out = (P @ vec_e).reshape((r, c), order='F')
    eig = np.sort(np.linalg.eigvalsh(0.5 * (P + P.T)))
    # The closed form, indexed [a][b]: sigma_a of the left, sigma_b of the right vectors.
    s = np.linalg.svd(w, compute_uv=False)
    sig = lambda i: s[i] if i < len(s) else 0.0
    pw = lambda x, q: 1.0 if q == 0 else x ** q
    closed = [[sum(pw(sig(a), 2 * (N - j) / N) * pw(sig(b), 2 * (j - 1) / N) for j in range(1, N + 1))
               for b in range(c)] for a in range(r)]
    assert np.allclose(np.sort(np.ravel(closed)), eig, atol=1e-12 * max(1, eig[-1])), name
    pws.append({"name": name, "w": mat(w), "e": mat(e), "N": N, "apply": mat(out),
                "eigenvalues_sorted": [float(v) for v in eig], "eigenvalues": closed})

# ---- bounds: CLAIMS.md formulas in 50-digit decimal ---------------------
def dpow(x, y):
    return (D(y) * D(x).ln()).exp()


def f(x):
    return float(x)


bounds = []
for N in [1, 2, 3, 5]:
    for c in [0.3, 0.7, 1.9]:
        for phiF in [0.6, 1.7, 3.2]:
            n = D(N)
            delta = D(c) ** 2 / (256 * n ** 3 * dpow(phiF, 2 * (n - 1) / n))
            eta = dpow(c, (4 * n - 2) / n) / (6144 * n ** 3 * dpow(phiF, (6 * n - 4) / n))
            rate = D(1e-4) * dpow(c, 2 * (n - 1) / n)
            bounds.append({"N": N, "c": c, "phiF": phiF, "delta_bound": f(delta), "eta_bound": f(eta),
                           "rate_eta_1e-4": f(rate)})
horizons = []
for (loss0, eps, eta, c, N) in [(2.5, 1e-3, 1e-4, 0.3, 3), (0.8, 1e-6, 2e-3, 0.9, 2), (10.0, 0.5, 1e-7, 1.9, 5),
                                (0.4, 0.4, 1e-3, 0.5, 2), (0.3, 0.5, 1e-3, 0.5, 2), (3.0, 1e-2, 1e-3, 0.6, 1)]:
    n = D(N)
    if D(loss0) <= D(eps):
        h = D(0)
    else:
        h = (D(loss0) / D(eps)).ln() / (D(eta) * dpow(c, 2 * (n - 1) / n))
    horizons.append({"loss0": loss0, "eps": eps, "eta": eta, "c": c, "N": N, "horizon": f(h)})
layer_bounds = []
for N in [1, 2, 3, 7]:
    for x in [0.6, 1.7, 3.2]:
        n = D(N)
        layer_bounds.append({"N": N, "x": x,
                             "l2_spectral_bound": f(dpow(4 * D(x), 1 / n)),  # (4 ||Phi||_F)^{1/N}
                             "l6_bound": f(dpow(2, 1 / n) * dpow(x, 2 / n)),  # 2^{1/N} C^{2/N}
                             "l6_nu": f(dpow(x, 2 / n) / (30 * n * n))})      # C^{2/N} / (30 N^2)

# ---- whitening: rotation-invariant outputs -------------------------------
whitens = []
for name, dx, dy, m, scales in [("dx1-m5", 1, 1, 5, [3.0]), ("dx3-dy2-m7", 3, 2, 7, [1.0, 1.0, 1.0]),
                                ("dx2-scaled-m6", 2, 1, 6, [1000.0, 0.01]), ("dx2-dy3-m4", 2, 3, 4, [1.0, 0.5])]:
    while True:
        x = frac(dx, m) * np.array(scales)[:, None] + 1.5
        xc = x - x.mean(axis=1, keepdims=True)
        if np.linalg.matrix_rank(xc) == dx:
            break
    y = frac(dy, m) + 0.75
    yc = y - y.mean(axis=1, keepdims=True)
    cov = xc @ xc.T / m
    lam, u = np.linalg.eigh(cov)
    xw = np.diag(lam ** -0.5) @ u.T @ xc
    gram = xw.T @ xw  # = m * xc^T (xc xc^T)^{-1} xc, independent of the whitening rotation
    assert np.allclose(gram, m * xc.T @ np.linalg.solve(xc @ xc.T, xc))
    phi = yc @ xw.T / m
    sv = np.linalg.svd(phi, compute_uv=False)
    kappa = 0.5 * np.trace(yc @ yc.T / m) - 0.5 * np.linalg.norm(phi, 'fro') ** 2
    whitens.append({"name": name, "x": mat(x), "y": mat(y), "gram": mat(gram), "y_centred": mat(yc),
                    "phi_singular_values": [float(v) for v in sv], "kappa": float(kappa)})

# ---- R1's residual margin c = 1 - 2 ||Phi - I||_F, and the rate eta c^{2(N-1)/N}
residual = []
for name, d in [("d1", 1), ("d2", 2), ("d3", 3)]:
    phi = np.eye(d) + frac(d, d) / 16
    residual.append({"name": name, "phi": mat(phi), "c": float(1 - 2 * np.linalg.norm(phi - np.eye(d), 'fro'))})

body = {"nets": nets, "singular_values": svals, "sympow": sympows, "pw": pws, "bounds": bounds,
        "horizons": horizons, "layer_bounds": layer_bounds, "whiten": whitens,
        "residual_margin": residual}
src = open(__file__, 'rb').read()
out = {"provenance": {"script": "scripts/golden.py", "script_sha256": hashlib.sha256(src).hexdigest(),
                      "python": platform.python_version(), "numpy": np.__version__,
                      "seed": 20190501, "decimal_digits": 50,
                      "note": "computed outside the Go module; regenerate with the command in the script's docstring"},
       **body}
json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
