"""ОГЭ and ГВЭ-9 results of one year (fis_gia/oge)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .gia_results import Registrations, assemble, latent, quantiles
from .population import Region, gumbel_top
from .subjects import ELECTIVES, MATH, RUSSIAN

RESERVE_P = 0.65  # a failed ОГЭ subject may be retaken in reserve ...
SEPTEMBER_P = 0.6  # ... and again in September
NO_RESULT_SHARE = 0.01

_ELECTIVES = np.array(ELECTIVES)


def oge_sittings(region: Region, year: int) -> pd.DataFrame:
    """Sitting rows of ОГЭ and ГВЭ-9 in ``year`` (columns: see gia_results)."""
    part = region.grade9_cohort(year)
    rng = region.rng("oge", year)
    gve = part["gve"].to_numpy()
    ability = part["ability"].to_numpy()
    electives = part[["oge_elective_1", "oge_elective_2"]].to_numpy()
    oge_rows = np.flatnonzero(~gve)
    gve_rows = np.flatnonzero(gve)
    k, g = len(oge_rows), len(gve_rows)
    pidx = np.concatenate([oge_rows] * 4 + [gve_rows] * 2)
    subject = np.concatenate(
        [
            np.full(k, RUSSIAN),
            np.full(k, MATH),
            electives[oge_rows, 0],
            electives[oge_rows, 1],
            np.full(g, RUSSIAN),
            np.full(g, MATH),
        ]
    )
    form = np.where(np.arange(len(pidx)) >= 4 * k, "ГВЭ", "ОГЭ")
    m = len(pidx)
    reg = Registrations(
        pidx, subject, form, np.full(m, RESERVE_P), np.full(m, SEPTEMBER_P), np.full(m, -1)
    )
    u = quantiles(reg, latent(rng, ability[pidx]))

    # Registrations for a further elective without a result (mostly absent).
    nr = np.sort(rng.choice(oge_rows, size=int(round(k * NO_RESULT_SHARE)), replace=False))
    taken = (_ELECTIVES[None, :] == electives[nr, 0][:, None]) | (
        _ELECTIVES[None, :] == electives[nr, 1][:, None]
    )
    nr_subject = _ELECTIVES[gumbel_top(rng, np.where(taken, -np.inf, 0.0), 1)[:, 0]]
    return assemble("oge", year, rng, part, reg, u, nr, nr_subject, "ОГЭ")
