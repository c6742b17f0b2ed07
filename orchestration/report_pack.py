"""The municipality report pack: `edu-dwh report` and the DAG's `report_pack` task (after
`publish`) call `write_municipal_pack`. The notes themselves are built by
`reporting.municipal` from the published marts."""

from __future__ import annotations

from pathlib import Path

from ingestion import db
from ingestion.config import reports_dir


def pack_dir(year: int) -> Path:
    """Where the DAG writes a year's pack: <state>/reports/municipal/<year>/."""
    return reports_dir() / "municipal" / str(year)


def latest_pack() -> Path | None:
    """The newest year's pack folder holding notes (for the demo's closing lines)."""
    base = reports_dir() / "municipal"
    years = sorted(
        (p for p in base.glob("*") if p.is_dir() and p.name.isdigit() and any(p.glob("*.html"))),
        key=lambda p: int(p.name),
    )
    return years[-1] if years else None


def write_municipal_pack(
    year: int | None = None, municipality: str | None = None, out: Path | None = None
) -> list[Path]:
    """The notes of `year` (default: the latest year of marts.indicator_values) for the
    region and every municipality (or one), into `out` (default `pack_dir(year)`).
    Returns the files written, the region's first; nothing when no marts are published."""
    from reporting.municipal import latest_year, write_pack

    with db.transaction() as conn:
        if year is None:
            year = latest_year(conn)
            if year is None:
                return []
        target = Path(out) if out is not None else pack_dir(year)
        written = write_pack(conn, year, target, municipality=municipality)
    return written
