"""Score scales: from a result's quantile u in (0, 1) to primary score, test score, mark.

Every result of a (year, exam, form, subject) group gets u = its rank among the group's
latent abilities, (rank + 0.5) / n. The scales below are monotone in u, so the share of
results below the minimum is the calibration target exactly (up to 1/n), whatever the
ability model, and earlier (worse) sittings of the same person get a smaller u.
"""

from __future__ import annotations

import numpy as np

from .subjects import EGE_MIN_SCORE, EGE_PRIMARY_MAX, EGE_SCALE

_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)  # fmt: skip
_P_LOW = 0.02425


def ndtri(p: np.ndarray | float) -> np.ndarray:
    """Inverse of the standard normal CDF (Acklam's approximation, |error| < 1.2e-9)."""
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    out = np.empty_like(p)
    low = p < _P_LOW
    high = p > 1 - _P_LOW
    mid = ~(low | high)
    q = np.sqrt(-2 * np.log(p[low]))
    out[low] = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
        (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1
    )
    q = np.sqrt(-2 * np.log(1 - p[high]))
    out[high] = -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
        (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1
    )
    q = p[mid] - 0.5
    r = q * q
    out[mid] = (
        (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
        * q
        / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1)
    )
    return out


def ege_test_score(subject: int, below_min_share: float, u: np.ndarray) -> np.ndarray:
    """ЕГЭ test score (0–100) of quantile u; exactly the share below_min_share of a
    uniform u gets a score below the subject's minimum."""
    median, p95, perfect = EGE_SCALE[subject]
    minimum = EGE_MIN_SCORE[subject]
    z = ndtri(u)
    z_min = float(ndtri(below_min_share)[()])
    z_top = float(ndtri(1 - perfect)[()]) if perfect > 0 else 4.5
    z_95 = 1.6449
    z_lo = min(z_min - 1.5, -3.5)
    lo_score = minimum / 3.0
    xs = [z_lo, z_min, 0.0, z_95, max(z_top, z_95 + 0.3)]
    ys = [lo_score, minimum - 0.5, median, p95, 99.5]
    # Linear extrapolation beyond the outer anchors, then clip to 0–100.
    slope_lo = (ys[1] - ys[0]) / (xs[1] - xs[0])
    slope_hi = (ys[4] - ys[3]) / (xs[4] - xs[3])
    score = np.interp(z, xs, ys)
    score = np.where(z < xs[0], ys[0] + (z - xs[0]) * slope_lo, score)
    score = np.where(z > xs[4], ys[4] + (z - xs[4]) * slope_hi, score)
    return np.clip(np.floor(score + 0.5), 0, 100).astype(np.int64)


def ege_primary_score(subject: int, test: np.ndarray) -> np.ndarray:
    """Primary score consistent with a test score (a concave ЕГЭ-like scale)."""
    pmax = EGE_PRIMARY_MAX[subject]
    return np.floor(pmax * (test / 100.0) ** 1.15 + 0.5).astype(np.int64)


def mark_of(u: np.ndarray, shares: tuple[float, float, float]) -> np.ndarray:
    """Mark 2–5 of quantile u given the shares of marks 2, 3 and 4."""
    cuts = np.cumsum(shares)
    return 2 + np.searchsorted(cuts, u, side="right")


def mark_primary_score(
    u: np.ndarray, shares: tuple[float, float, float], bands: tuple[int, int, int, int]
) -> np.ndarray:
    """Primary score inside the band of the mark of quantile u (higher u, higher score)."""
    cuts = np.concatenate([[0.0], np.cumsum(shares), [1.0]])
    lows = np.array([0, bands[0] + 1, bands[1] + 1, bands[2] + 1])
    highs = np.array(bands)
    k = np.clip(np.searchsorted(cuts, u, side="right") - 1, 0, 3)
    frac = (u - cuts[k]) / np.maximum(cuts[k + 1] - cuts[k], 1e-12)
    width = highs[k] - lows[k] + 1
    return lows[k] + np.minimum(np.floor(frac * width), width - 1).astype(np.int64)


def group_quantile(group: np.ndarray, z: np.ndarray) -> np.ndarray:
    """u = (rank of z within its group + 0.5) / group size, for every element."""
    n = len(z)
    if n == 0:
        return np.empty(0)
    order = np.lexsort((z, group))
    g_sorted = group[order]
    starts = np.r_[0, np.flatnonzero(g_sorted[1:] != g_sorted[:-1]) + 1]
    counts = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, counts)
    u = np.empty(n)
    u[order] = (rank + 0.5) / np.repeat(counts, counts)
    return u
