"""The short Russian summary printed after a run (and by `edu-dwh summary`).

Published reference values — decision: the summary describes whatever region was loaded and
never prints another region's numbers beside it. The one exception is the demo: its
synthetic region (synthetic/, shaped like Хабаровский край) is calibrated to the ЕГЭ
below-minimum shares Хабаровский край published (seed 002_0c7684862f5a35f2.txt), so
`edu-dwh demo` — and only it, by passing ``demo=True`` — prints those published shares in
brackets, labelled as the calibration targets of the synthetic region, to show the pipeline
recomputes what the generator aimed at. `edu-dwh run` and `edu-dwh summary` never show them.
"""

from __future__ import annotations

import re

from ingestion import db
from ingestion.config import data_docs_dir
from reporting.labels import decimal_ru

SUBJECT_ORDER = (22, 2, 1, 3, 4, 6, 5, 7, 8, 9, 12, 18)

# Demo only (see the module docstring): ЕГЭ below-minimum shares, %, published for
# Хабаровский край (seed 002_0c7684862f5a35f2.txt) — the synthetic region's calibration targets.
DEMO_PUBLISHED_BELOW_MIN = {
    22: {2023: 0.98, 2024: 0.6},
    2: {2023: 8.31, 2024: 5.74},
    1: {2023: 0.26, 2024: 0.14},
    3: {2023: 7.7, 2024: 6.25},
    4: {2023: 23.18, 2024: 18.38},
    6: {2023: 20.49, 2024: 16.67},
}


def _subject(name, code) -> str:
    """'Математика (профильная; ОГЭ: математика)' → 'Математика (профильная)'."""
    return re.sub(r";[^)]*\)", ")", name) if name else str(code)


def summary_lines(demo: bool = False) -> list[str]:
    """The summary; `demo=True` (the demo's synthetic region only) adds the published
    reference shares the generator is calibrated to."""
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('marts.indicator_values') is not null")
        if not cur.fetchone()[0]:
            return ["Витрины ещё не построены (marts.indicator_values отсутствует)."]
        cur.execute(
            "select max(year) from marts.indicator_values where indicator_code = 'GIA-01'"
            " and exam = 'ЕГЭ'"
        )
        year = cur.fetchone()[0]
        lines: list[str] = []
        if year is None:
            lines.append("Результатов ЕГЭ в витринах нет.")
        else:
            cur.execute(
                """
                select v.subject_code, s.name, v.year, v.value, v.numerator, v.denominator
                from marts.indicator_values v
                left join reference.subjects s on s.code = v.subject_code
                where v.indicator_code = 'GIA-01' and v.year in (%s, %s) and v.exam = 'ЕГЭ'
                  and v.territory_level = 'region' and v.participant_category = 'все'
                """,
                (year - 1, year),
            )
            rows: dict[int, dict] = {}
            for code, name, y, value, num, den in cur.fetchall():
                rows.setdefault(code, {"name": name})[y] = (value, num, den)
            title = "ЕГЭ: доля результатов ниже минимального порога по региону, %"
            if demo:
                title += (
                    " (в скобках — опубликованное значение Хабаровского края, по которому"
                    " откалиброван синтетический регион демо)"
                )
            lines.append(title)
            width = 25 if demo else 17
            lines.append(f"  {'предмет':<26} {year - 1:^{width}}  {year:^{width}}")
            ordered = [c for c in SUBJECT_ORDER if c in rows] + sorted(
                c for c in rows if c not in SUBJECT_ORDER
            )
            for code in ordered:
                cells = []
                for y in (year - 1, year):
                    value, num, den = rows[code].get(y, (None, 0, 0))
                    counts = f"{int(num):>4}/{int(den):<5}"
                    if demo:
                        published = DEMO_PUBLISHED_BELOW_MIN.get(code, {}).get(y)
                        ref = f"({decimal_ru(published)})" if published is not None else ""
                        cells.append(f"{decimal_ru(value):>6} {ref:>7} {counts}")
                    else:
                        cells.append(f"{decimal_ru(value):>6} {counts}")
                lines.append(f"  {_subject(rows[code]['name'], code):<26} " + "  ".join(cells))
            cur.execute(
                """
                select territory_name, value, numerator, denominator
                from marts.indicator_values
                where indicator_code = 'GIA-10' and year = %s and exam = 'ЕГЭ'
                  and territory_level = 'municipality' and participant_category = 'все'
                order by value desc, territory_name
                limit 3
                """,
                (year,),
            )
            worst = cur.fetchall()
            if worst:
                lines.append(
                    f"Муниципалитеты с наибольшей долей участников ЕГЭ {year}, не преодолевших"
                    " минимум хотя бы по одному предмету:"
                )
                for i, (name, value, num, den) in enumerate(worst, 1):
                    lines.append(f"  {i}. {name}: {decimal_ru(value)} % ({int(num)} из {int(den)})")
        lines += early_warning_lines(cur)
        lines += _family_lines(cur)
        cur.execute(
            "select count(*) filter (where status = 'loaded'),"
            " count(*) filter (where status = 'rejected'),"
            " coalesce(sum(rows_quarantined) filter (where status = 'loaded'), 0)"
            " from audit.loads"
        )
        loaded, rejected, quarantined = cur.fetchone()
    lines.append(
        f"Загружено файлов: {loaded}, отклонено: {rejected}, строк в карантине: {quarantined}"
        " (подробности: audit.loads, audit.quarantine)"
    )
    lines.append(
        f"Проверка данных для аудиторов: {data_docs_dir() / 'audit.html'}"
        f" (подробно — Great Expectations Data Docs: {data_docs_dir() / 'index.html'})"
    )
    return lines


EARLY_WARNING_SQL = """
    select year, subject_code, subject_name, work_number, participants, share_below_at_work,
           forecast_share, actual_share, error_pp, target_value
    from marts.gia_early_warning
    where territory_level = 'region'
    order by year, subject_code, work_number
"""
EARLY_WARNING_FIELDS = (
    "year", "subject_code", "subject_name", "work_number", "participants",
    "share_below_at_work", "forecast_share", "actual_share", "error_pp", "target_value",
)  # fmt: skip


def early_warning_lines(cur) -> list[str]:
    """The section «Диагностические работы и прогноз ЕГЭ» from marts.gia_early_warning
    (region rows); nothing when the mart is absent or empty."""
    cur.execute("select to_regclass('marts.gia_early_warning') is not null")
    if not cur.fetchone()[0]:
        return []
    cur.execute(EARLY_WARNING_SQL)
    return early_warning_table([dict(zip(EARLY_WARNING_FIELDS, r, strict=True)) for r in cur])


def _signed(value) -> str:
    """An error in p.p. with its sign, one decimal: +2,2 / -0,4 / 0,0 (never «-0,0»)."""
    if value is None:
        return "—"
    shown = round(float(value), 1)
    return ("+" if shown > 0 else "") + decimal_ru(shown + 0.0, 1)


def early_warning_table(rows: list[dict]) -> list[str]:
    """Seed 002's table «ДИАГНОСТИЧЕСКАЯ РАБОТА 3», computed: per subject the shares below
    the minimum at each work, the forecast of the last work written (DR-02), the actual ЕГЭ
    share of current-year graduates (ВТГ), the error in p.p. and the GIA-01 target — for the
    latest year whose ЕГЭ is loaded, and (forecast only) for a later year without it.

    ``rows``: region rows of marts.gia_early_warning as dicts (``EARLY_WARNING_FIELDS``)."""
    by_year: dict[int, list[dict]] = {}
    for row in rows:
        by_year.setdefault(int(row["year"]), []).append(row)
    with_ege = [y for y, rs in by_year.items() if any(r["actual_share"] is not None for r in rs)]
    without = [y for y in by_year if y not in with_ege and (not with_ege or y > max(with_ege))]
    years = ([max(with_ege)] if with_ege else []) + ([max(without)] if without else [])
    if not years:
        return []
    lines = ["Диагностические работы и прогноз ЕГЭ (выпускники текущего года, регион)"]
    for year in years:
        lines += _early_warning_year(year, by_year[year], year in with_ege)
    return lines


def _early_warning_year(year: int, rows: list[dict], has_ege: bool) -> list[str]:
    works = sorted({int(r["work_number"]) for r in rows})
    subjects: dict[int, dict[int, dict]] = {}
    names: dict[int, str] = {}
    for r in rows:
        subjects.setdefault(int(r["subject_code"]), {})[int(r["work_number"])] = r
        names[int(r["subject_code"])] = _subject(r["subject_name"], r["subject_code"])
    if has_ege:
        title = f"  {year}: доля ниже минимального порога, %; прогноз — по последней ДР (DR-02)"
    else:
        title = f"  {year}: ЕГЭ ещё не загружен — только прогноз по последней ДР (DR-02), %"
    lines = [title]
    head = "".join(f"{'ДР' + str(w):>7}" for w in works)
    head += f"{'прогноз':>9}{'ЕГЭ ВТГ':>9}{'ошибка':>8}{'цель':>7}"
    if has_ege and len(works) > 1:
        head += "   ошибка прогноза по " + "/".join(f"ДР{w}" for w in works) + ", п.п."
    lines.append(f"  {'предмет':<26}{head}")
    ordered = [c for c in SUBJECT_ORDER if c in subjects] + sorted(
        c for c in subjects if c not in SUBJECT_ORDER
    )
    for code in ordered:
        per_work = subjects[code]
        last = per_work[max(per_work)]
        cells = "".join(
            f"{decimal_ru(per_work[w]['share_below_at_work'], 1) if w in per_work else '—':>7}"
            for w in works
        )
        cells += f"{decimal_ru(last['forecast_share'], 1):>9}"
        cells += f"{decimal_ru(last['actual_share'], 1):>9}"
        cells += f"{_signed(last['error_pp']):>8}"
        cells += f"{decimal_ru(last['target_value'], 2):>7}"
        if has_ege and len(works) > 1:
            errors = (_signed(per_work[w]["error_pp"]) if w in per_work else "—" for w in works)
            cells += "   " + " / ".join(errors)
        lines.append(f"  {names[code]:<26}{cells}")
    return lines


FAMILY_HEADLINES = (
    # (title, indicator, extra condition, unit)
    ("ВПР: доля отметок «2», 4 класс, русский язык", "VPR-01", "grade = 4 and subject_code = 1"),
    ("ВПР: доля ОО с признаками необъективности", "VPR-04", "true"),
    ("Победители и призёры регионального этапа ВсОШ", "OLY-01", "breakdown_key is null"),
    ("Участники заключительного этапа ВсОШ", "OLY-02", "breakdown_key is null"),
    ("Доля обучающихся 6–11 классов с рекомендациями «Билет в будущее»", "CAR-01", "true"),
    ("Доля выпускников 9 и 11 классов, завершивших профобучение", "CAR-03", "true"),
)


def _family_lines(cur) -> list[str]:
    """Headline region values of the ВПР, olympiad and career families (latest year)."""
    lines = []
    for title, code, condition in FAMILY_HEADLINES:
        cur.execute(
            f"select year, value, unit from marts.indicator_values where indicator_code = %s"
            f" and territory_level = 'region' and {condition} order by year desc limit 1",
            (code,),
        )
        row = cur.fetchone()
        if row:
            year, value, unit = row
            shown = decimal_ru(value) if unit == "%" else f"{int(value)}"
            lines.append(f"{title} ({year}): {shown} {unit or ''}".rstrip())
    if lines:
        lines.insert(0, "Другие семейства показателей (регион, последний год):")
    cur.execute("select count(*), count(distinct indicator_code) from marts.indicator_values")
    total, codes = cur.fetchone()
    lines.append(f"Всего в marts.indicator_values: {total} строк, {codes} показателей")
    return lines


def print_summary(demo: bool = False) -> None:
    print("\n".join(summary_lines(demo)), flush=True)
