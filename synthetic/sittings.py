"""From a participant's final result in a subject to the sittings that produced it.

The generator first decides each result's final (best) quantile u, then writes the
history backwards: a failure in the main sitting followed by a pass in the reserve or
September sitting, repeated failures, an absence followed by a reserve sitting. Every
earlier sitting gets a quantile not above the final one, so the best valid sitting is the
final result and the calibrated shares hold after best-of-retakes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schedule import RESERVE, SEPTEMBER

VALID, ABSENT, ANNULLED, REMOVED, APPEAL = range(5)
STATUSES: tuple[str, ...] = ("действителен", "не явился", "аннулирован", "удалён", "на апелляции")

# Passing results this close above the failure quantile may have failed first
# (within NEAR_WIDTH × the failure share).
NEAR_WIDTH = 1.5
ABSENT_FIRST_SHARE = 0.008


@dataclass
class Sittings:
    """One entry per sitting: index of its result, stage code, quantile, status code."""

    result: np.ndarray
    stage: np.ndarray
    u: np.ndarray
    status: np.ndarray


def expand(
    rng: np.random.Generator,
    u: np.ndarray,
    p_fail: np.ndarray,
    main_stage: np.ndarray,
    reserve_prob: np.ndarray,
    september_prob: np.ndarray,
    fixed_stage: np.ndarray | None = None,
) -> Sittings:
    """Sittings of n results.

    u, p_fail: final quantile and the failure quantile (u < p_fail fails);
    main_stage: досрочный or основной; reserve_prob / september_prob: chance of a retake
    in the reserve / September sitting (0 where the rules forbid it); fixed_stage: ≥ 0 for
    results sat once at that stage (e.g. base mathematics after failing profile).
    """
    n = len(u)
    idx = np.arange(n)
    if fixed_stage is None:
        fixed_stage = np.full(n, -1)
    fixed = fixed_stage >= 0
    r = rng.random((n, 8))
    fail = u < p_fail
    near = ~fail & (u < p_fail * (1 + NEAR_WIDTH))
    failed_first = ~fixed & near & (r[:, 0] < reserve_prob)
    to_september = failed_first & (r[:, 1] < september_prob * 0.5)
    fail_reserve = ~fixed & fail & (r[:, 2] < reserve_prob)
    fail_september = ~fixed & fail & (r[:, 3] < september_prob)
    absent_first = (
        ~fixed & ~fail & ~failed_first & (main_stage != 0) & (r[:, 4] < ABSENT_FIRST_SHARE)
    )
    single = ~(failed_first | fail_reserve | fail_september | absent_first)

    def u_fail(mask: np.ndarray, col: int) -> np.ndarray:
        return p_fail[mask] * (0.35 + 0.649 * r[mask, col])

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(mask: np.ndarray, stage: int | np.ndarray, uu: np.ndarray, status: int) -> None:
        k = int(mask.sum())
        if k == 0:
            return
        st = stage[mask] if isinstance(stage, np.ndarray) else np.full(k, stage)
        parts.append((idx[mask], st, uu, np.full(k, status)))

    stage_single = np.where(fixed, fixed_stage, main_stage)
    add(single, stage_single, u[single], VALID)
    # absent at the main sitting, sat the reserve one
    add(absent_first, main_stage, np.full(int(absent_first.sum()), np.nan), ABSENT)
    add(absent_first, RESERVE, u[absent_first], VALID)
    # failed the main sitting, passed in reserve
    m = failed_first & ~to_september
    add(m, main_stage, u_fail(m, 5), VALID)
    add(m, RESERVE, u[m], VALID)
    # failed main and reserve (or missed reserve), passed in September
    m = to_september
    add(m, main_stage, u_fail(m, 5), VALID)
    missed = m & (r[:, 6] < 0.3)
    add(m & ~missed, RESERVE, u_fail(m & ~missed, 7), VALID)
    add(missed, RESERVE, np.full(int(missed.sum()), np.nan), ABSENT)
    add(m, SEPTEMBER, u[m], VALID)
    # failed for good: the last sitting holds the best (still failing) result
    chain = fail & (fail_reserve | fail_september)
    add(chain, main_stage, u[chain] * (0.5 + 0.5 * r[chain, 5]), VALID)
    both = fail_reserve & fail_september
    add(both, RESERVE, u[both] * (0.5 + 0.5 * r[both, 7]), VALID)
    add(fail_reserve & ~fail_september, RESERVE, u[fail_reserve & ~fail_september], VALID)
    add(fail_september, SEPTEMBER, u[fail_september], VALID)

    return Sittings(
        result=np.concatenate([p[0] for p in parts]),
        stage=np.concatenate([p[1] for p in parts]).astype(np.int64),
        u=np.concatenate([p[2] for p in parts]),
        status=np.concatenate([p[3] for p in parts]).astype(np.int64),
    )
