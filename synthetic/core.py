"""``generate()``: the synthetic region's landing folder, exactly per sources.md."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .career import CAREER_YEARS, career_rows, profile_choice, write_career
from .diagnostic import diagnostic_rows, headline, write_diagnostic
from .ege import ege_sittings
from .gia_export import write_ege, write_oge
from .oge import oge_sittings
from .olympiad import OLY_YEARS, olympiad_rows, write_olympiad
from .population import Region
from .reference import write_reference
from .vpr import VPR_YEARS, unobjective_schools, vpr_works, write_vpr

EGE_YEARS: tuple[int, ...] = (2022, 2023, 2024)
OGE_YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
SOURCES: tuple[str, ...] = ("ege", "oge", "vpr", "olympiad", "career", "diagnostic")


def generate(
    out_dir: Path,
    seed: int = 42,
    scale: float = 1.0,
    inject_errors: bool = True,
    ege_years: Sequence[int] = EGE_YEARS,
    oge_years: Sequence[int] = OGE_YEARS,
    sources: Sequence[str] = SOURCES,
) -> dict:
    """Write a landing folder for a synthetic Хабаровский край.

    Files: reference/{municipalities,schools,targets}.csv, fis_gia/ege/ege_<year>_<stage>.csv,
    fis_gia/oge/oge_<year>[_<municipality group>].csv, fis_oko/vpr/vpr_<year>_<АТЕ>.csv|.xlsx,
    uploads/olympiad/olimpiady_<АТЕ>_<2023-2024>.xlsx and
    uploads/career/proforientatsiya_<АТЕ>_<2023-2024>.xlsx and
    regional/diagnostic/dr_<year>_<n>.csv. Existing files of the same names
    are overwritten; nothing else in ``out_dir`` is touched. The output is a pure function of
    (seed, scale, inject_errors, years, sources): the same arguments give identical bytes.
    ``sources`` (a subset of ``SOURCES``) selects what besides the reference data is written;
    each source has its own random streams, so leaving one out changes none of the others.

    ``scale`` multiplies the number of participants (schools stay ~350). With
    ``inject_errors`` the основной-stage ЕГЭ file of the last ЕГЭ year gets three invalid rows,
    the file of that year's last diagnostic work two, and one olympiad book and one career book
    each get layout mistakes and one invalid row (all listed in the summary's
    ``injected_errors``) to exercise the quarantine.

    Returns a small summary: files written with their data-row counts and encodings,
    participant and row counts, the injected errors, and the elapsed seconds.
    """
    started = time.perf_counter()
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources: {sorted(unknown)}")
    out = Path(out_dir)
    region = Region(seed=seed, scale=scale, first_ege_year=min(ege_years))
    files = write_reference(out, region)

    rows: dict[str, int] = {}
    participants: dict[str, dict[int, int]] = {}
    errors = []
    highlights: dict[str, dict] = {}
    # One year at a time (then dropped), so memory stays bounded at large scales.
    if "oge" in sources:
        rows["oge"], participants["oge"] = 0, {}
        for year in sorted(oge_years):
            sittings = oge_sittings(region, year)
            files.update(write_oge(out, region, year, sittings))
            rows["oge"] += len(sittings)
            participants["oge"][year] = int(sittings["person_id"].nunique())
    profile: dict[int, pd.Series] = {}
    if "ege" in sources or "diagnostic" in sources:
        last_ege = max(ege_years)
        for year in sorted(ege_years):
            sittings = ege_sittings(region, year)
            if "ege" in sources:
                written, injected = write_ege(
                    out, region, year, sittings, inject_errors and year == last_ege
                )
                files.update(written)
                errors += injected
                rows["ege"] = rows.get("ege", 0) + len(sittings) + len(injected)
                participants.setdefault("ege", {})[year] = int(sittings["person_id"].nunique())
                if year in CAREER_YEARS:
                    profile[year] = profile_choice(sittings)
            if "diagnostic" in sources:
                # the year's 11th-graders, linked to their own ЕГЭ results (diagnostic.py)
                dr = diagnostic_rows(region, year, sittings)
                written, injected = write_diagnostic(
                    out, region, year, dr, inject_errors and year == last_ege
                )
                files.update(written)
                errors += injected
                rows["diagnostic"] = rows.get("diagnostic", 0) + len(dr) + len(injected)
                highlights.setdefault("diagnostic", {})[str(year)] = headline(dr)

    if "vpr" in sources:
        rows["vpr"] = 0
        unobjective = unobjective_schools(region, VPR_YEARS)
        for year in VPR_YEARS:
            works = vpr_works(region, year, unobjective)
            files.update(write_vpr(out, region, year, works))
            rows["vpr"] += len(works)
        highlights["vpr_unobjective"] = {
            "rule_a": list(unobjective.rule_a),
            "rule_b": {
                str(y): {code: list(combo) for code, combo in b.items()}
                for y, b in unobjective.boosted.items()
            },
        }
    if "olympiad" in sources:
        rows["olympiad"] = 0
        highlights["olympiad"] = {}
        for year in OLY_YEARS:
            oly = olympiad_rows(region, year)
            written, injected = write_olympiad(out, region, year, oly, inject_errors)
            files.update(written)
            errors += injected
            rows["olympiad"] += len(oly)
            highlights["olympiad"][str(year)] = _olympiad_counts(oly)
    if "career" in sources:
        rows["career"] = 0
        for year in CAREER_YEARS:
            car = career_rows(region, year, profile.get(year))
            written, injected = write_career(out, region, year, car, inject_errors)
            files.update(written)
            errors += injected
            rows["career"] += len(car)

    return {
        "out_dir": str(out),
        "seed": seed,
        "scale": scale,
        "files": files,
        "rows": rows,
        "participants": participants,
        "schools": len(region.schools),
        "municipalities": len(region.municipalities),
        "injected_errors": [vars(e) for e in errors],
        "highlights": highlights,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _olympiad_counts(rows: pd.DataFrame) -> dict[str, int]:
    """Headline counts of a school year (before any injected mistake)."""
    vsosh = rows[rows["event"] == "ВсОШ"]
    regional = vsosh[vsosh["stage"] == "региональный"]
    muni = vsosh[vsosh["stage"] == "муниципальный"]
    done = rows[rows["stage"].isin(["заключительный", "обучение завершено"])]
    return {
        "rows": len(rows),
        "vsosh_regional": len(regional),
        "vsosh_regional_winners_prizewinners": int(
            regional["status"].isin(["победитель", "призёр"]).sum()
        ),
        "vsosh_final": int((vsosh["stage"] == "заключительный").sum()),
        "vsosh_municipal_75pct": int((muni["score"] >= 0.75 * muni["max_score"]).sum()),
        **{
            f"{event} final/completed": int(done.loc[done["event"] == event, "person_id"].nunique())
            for event in ("Большие вызовы", "НТО", "Большая перемена", "Сириус", "Код будущего")
        },
    }
