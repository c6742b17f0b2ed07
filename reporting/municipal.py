"""The municipality report pack (`edu-dwh report`): one self-contained HTML note per
municipality and one for the region, in Russian, printable to A4.

Everything shown comes from the published marts (``marts.indicator_values``,
``marts.territory_ratings``, ``marts.gia_early_warning``, ``marts.fct_vpr_objectivity_flags``,
``marts.fct_school_upload_coverage``, ``marts.dim_territories``) and, for the short «Качество
данных» section, from ``audit.loads`` / ``audit.quarantine`` — counts and reasons only, never
a row's values. Every number on a page carries data-* attributes naming the mart row (and
field) it shows, so a test (tests/reporting/test_municipal_reports.py) can check each one
against the database.

Charts are inline SVG drawn by ``html_templates/charts.html`` from geometry computed in
``reporting.charts``; the page has no scripts and no external resource of any kind.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from reporting import charts
from reporting.labels import source_title
from reporting.pages import write_page

REGION = "00"
TREND_YEARS = 3
ATTENTION_LIMIT = 40  # school rows per table; the rest is counted, not listed


# ------------------------------------------------------------------ what the note shows


@dataclass(frozen=True)
class Ind:
    """One indicator row-set: code + the full breakdown of marts.indicator_values."""

    code: str
    title: str
    exam: str | None = None
    subject: int | None = None
    category: str | None = None
    grade: int | None = None
    key: str | None = None

    @property
    def dims(self) -> tuple:
        return (self.exam, self.subject, self.category, self.grade, self.key)


GIA_KEY = (
    Ind("GIA-01", "ЕГЭ, русский язык: доля ниже порога (ВТГ)", "ЕГЭ", 1, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, математика профильная: доля ниже порога (ВТГ)", "ЕГЭ", 2, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, математика базовая: доля ниже порога (ВТГ)", "ЕГЭ", 22, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, физика: доля ниже порога (ВТГ)", "ЕГЭ", 3, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, химия: доля ниже порога (ВТГ)", "ЕГЭ", 4, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, биология: доля ниже порога (ВТГ)", "ЕГЭ", 6, "ВТГ"),
    Ind("GIA-10", "ЕГЭ: участники ниже минимума хотя бы по одному предмету", "ЕГЭ", None, "все"),
    Ind("GIA-03", "ЕГЭ, русский язык: средний тестовый балл (ВТГ)", "ЕГЭ", 1, "ВТГ"),
    Ind("GIA-03", "ЕГЭ, математика профильная: средний тестовый балл (ВТГ)", "ЕГЭ", 2, "ВТГ"),
    Ind("GIA-06", "Выпускники с суммой трёх лучших предметов ЕГЭ ≥ 220"),
    Ind("GIA-09", "П15: получили аттестат, 11 класс", key="11"),
    Ind("GIA-01", "ОГЭ, русский язык: доля отметок «2» (ВТГ)", "ОГЭ", 1, "ВТГ"),
    Ind("GIA-01", "ОГЭ, математика: доля отметок «2» (ВТГ)", "ОГЭ", 2, "ВТГ"),
    Ind("GIA-10", "ОГЭ: участники ниже минимума хотя бы по одному предмету", "ОГЭ", None, "все"),
    Ind("GIA-09", "П15: получили аттестат, 9 класс", key="9"),
)
VPR_KEY = (
    Ind("VPR-01", "ВПР, 4 класс, русский язык: доля «2»", subject=1, grade=4),
    Ind("VPR-01", "ВПР, 4 класс, математика: доля «2»", subject=2, grade=4),
    Ind("VPR-01", "ВПР, 4 класс, окружающий мир: доля «2»", subject=40, grade=4),
    Ind("VPR-02", "ВПР, 4 класс, русский язык: доля «5»", subject=1, grade=4),
    Ind("VPR-04", "ВПР: доля ОО с признаками необъективности"),
)
OLY_KEY = (
    Ind("OLY-01", "Победители и призёры регионального этапа ВсОШ"),
    Ind("OLY-02", "Участники заключительного этапа ВсОШ"),
    Ind("OLY-03", "Участники муниципального этапа ВсОШ с результатом ≥ 75 %"),
)
OLY_EVENTS = ("Большие вызовы", "НТО", "НТО 5-7", "НТО 8-11", "Сириус", "Код будущего",
              "Большая перемена")  # fmt: skip
CAR_KEY = (
    Ind("CAR-01", "Получили рекомендации «Билет в будущее» (6–11 кл.)"),
    Ind("CAR-02", "Участвовали в открытых уроках «Проектория»"),
    Ind("CAR-03", "Выпускники 9 и 11 кл., завершившие профобучение"),
    Ind("CAR-04", "Выпускники 9 кл., продолжившие обучение в 10 кл."),
    Ind("CAR-05", "Выбрали для ГИА предметы профильного уровня"),
    Ind("CAR-06", "Поступили в СПО по профилю", key="СПО"),
    Ind("CAR-06", "Поступили в ВО по профилю", key="ВО"),
    Ind("CAR-08", "Мероприятий с предприятиями"),
)
CAR_LEVELS = ("базовый", "основной", "продвинутый")
TREND_CHARTS = (
    Ind("GIA-01", "ЕГЭ, русский язык: доля ниже порога (ВТГ)", "ЕГЭ", 1, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, математика профильная: доля ниже порога (ВТГ)", "ЕГЭ", 2, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, математика базовая: доля ниже порога (ВТГ)", "ЕГЭ", 22, "ВТГ"),
    Ind("GIA-01", "ЕГЭ, химия: доля ниже порога (ВТГ)", "ЕГЭ", 4, "ВТГ"),
    Ind("GIA-06", "ЕГЭ: сумма трёх лучших предметов ≥ 220"),
    Ind("VPR-01", "ВПР, 4 класс, русский язык: доля «2»", subject=1, grade=4),
)
TREND_TABLE = GIA_KEY[:3] + (GIA_KEY[6], GIA_KEY[9], GIA_KEY[10]) + VPR_KEY[:2] + (
    OLY_KEY[0], CAR_KEY[0],
)  # fmt: skip

VPR_RULES = {
    "a": "завышение отметок относительно журнала (доля «повысили» ≥ 15 %)",
    "b": "средний балл выше среднего по региону на 2 ст. откл.",
}
UPLOAD_SOURCES = {"career": "отчёт по профориентации", "olympiad": "результаты олимпиад"}


# ------------------------------------------------------------------ number formatting


def number_ru(value, digits: int) -> str:
    """1234.5 → '1 234,5' (thin no-break space between thousands, decimal comma)."""
    if value is None:
        return "—"
    text = f"{float(value):,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def digits_for(code: str, unit: str | None) -> int:
    if unit == "%":
        return 1
    if code == "GIA-16":
        return 2
    if unit == "балл":
        return 1
    return 0


def signed_ru(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    shown = round(float(value), digits)
    return ("+" if shown > 0 else "") + number_ru(shown + 0.0, digits).replace("-", "−")


# ------------------------------------------------------------------ the data


@dataclass
class Warehouse:
    """What the pack reads, once for all its notes."""

    year: int
    years: list[int]
    names: dict[str, str]  # municipality code → name (region under '00')
    schools: dict[str, tuple[str, str]]  # school code → (name, municipality code)
    iv: dict[tuple, dict]  # (code, year, territory, dims) → row (region + municipalities)
    catalogue: dict[str, dict]
    ratings: dict[tuple[int, str], dict]  # (year, municipality) → RNK-02 row
    components: dict[str, list[dict]]  # municipality → RNK-01 rows of the year
    school_rows: list[dict]  # GIA-01 / GIA-10 school rows of the year
    flags: list[dict]
    uploads: list[dict]  # fct_school_upload_coverage rows not received, the year
    upload_years: set[str]  # sources with any row in the year
    warning: list[dict]  # gia_early_warning rows of the year
    rejected: list[dict]
    quarantined: list[dict]
    unattributed_files: int
    published_at: dt.datetime | None = None
    subjects: dict[int, str] = field(default_factory=dict)


def _fetch(cur, sql: str, params=()) -> list[dict]:
    cur.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _exists(cur, relation: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (relation,))
    return bool(cur.fetchone()[0])


def latest_year(conn) -> int | None:
    with conn.cursor() as cur:
        if not _exists(cur, "marts.indicator_values"):
            return None
        cur.execute("select max(year) from marts.indicator_values")
        return cur.fetchone()[0]


def _dims(row: dict) -> tuple:
    return (
        row["exam"],
        row["subject_code"],
        row["participant_category"],
        row["grade"],
        row["breakdown_key"],
    )


def read_warehouse(conn, year: int) -> Warehouse:
    years = list(range(year - TREND_YEARS + 1, year + 1))
    with conn.cursor() as cur:
        if not _exists(cur, "marts.indicator_values"):
            raise LookupError("витрины ещё не построены (marts.indicator_values отсутствует)")
        territories = _fetch(
            cur,
            "select territory_level, territory_code, territory_name, municipality_code"
            " from marts.dim_territories",
        )
        names = {
            t["territory_code"]: t["territory_name"]
            for t in territories
            if t["territory_level"] in ("region", "municipality")
        }
        schools = {
            t["territory_code"]: (t["territory_name"], t["municipality_code"])
            for t in territories
            if t["territory_level"] == "school"
        }
        iv = {}
        for row in _fetch(
            cur,
            "select indicator_code, year, territory_level, territory_code, exam, subject_code,"
            " participant_category, grade, breakdown_key, numerator, denominator, value, unit,"
            " direction, target_value, target_met from marts.indicator_values"
            " where year between %s and %s and territory_level in ('region', 'municipality')",
            (years[0], year),
        ):
            iv[(row["indicator_code"], row["year"], row["territory_code"], _dims(row))] = row
        catalogue = {
            r["indicator_code"]: r
            for r in _fetch(
                cur,
                "select indicator_code, name, unit, direction from reference.indicator_catalogue",
            )
        }
        subjects = {
            r["code"]: r["name"] for r in _fetch(cur, "select code, name from reference.subjects")
        }
        ratings = {}
        components: dict[str, list[dict]] = defaultdict(list)
        for row in _fetch(
            cur,
            "select year, territory_code, territory_name, indicator_code, exam, subject_code,"
            " participant_category, grade, breakdown_key, score, place, prev_place,"
            " place_change, traffic_light from marts.territory_ratings"
            " where territory_level = 'municipality' and year between %s and %s",
            (years[0], year),
        ):
            if row["indicator_code"] is None:
                ratings[(row["year"], row["territory_code"])] = row
            elif row["year"] == year:
                components[row["territory_code"]].append(row)
        school_rows = _fetch(
            cur,
            "select v.indicator_code, v.year, v.territory_code, v.exam, v.subject_code,"
            " v.participant_category, v.grade, v.breakdown_key, v.numerator, v.denominator,"
            " v.value, v.unit from marts.indicator_values v"
            " where v.year = %s and v.territory_level = 'school'"
            " and v.participant_category = 'все'"
            " and ((v.indicator_code = 'GIA-10' and v.exam in ('ЕГЭ', 'ОГЭ'))"
            "   or (v.indicator_code = 'GIA-01' and v.exam in ('ЕГЭ', 'ОГЭ')"
            "       and v.subject_code in (1, 2, 22)))",
            (year,),
        )
        flags = (
            _fetch(
                cur,
                "select year, school_code, school_name, ate_code, rule, grade, subject_code,"
                " works, value, threshold from marts.fct_vpr_objectivity_flags where year = %s"
                " order by ate_code, school_code, rule, grade, subject_code",
                (year,),
            )
            if _exists(cur, "marts.fct_vpr_objectivity_flags")
            else []
        )
        uploads, upload_years = [], set()
        if _exists(cur, "marts.fct_school_upload_coverage"):
            coverage = _fetch(
                cur,
                "select source, municipality_code, school_code, school_name, is_received"
                " from marts.fct_school_upload_coverage where year = %s"
                " order by municipality_code, school_code, source",
                (year,),
            )
            upload_years = {r["source"] for r in coverage}
            uploads = [r for r in coverage if not r["is_received"]]
        warning = (
            _fetch(
                cur,
                "select territory_level, territory_code, subject_code, subject_name,"
                " work_number, participants, share_below_at_work, forecast_share,"
                " actual_share, error_pp, target_value from marts.gia_early_warning"
                " where year = %s order by territory_code, subject_code, work_number",
                (year,),
            )
            if _exists(cur, "marts.gia_early_warning")
            else []
        )
        rejected, quarantined, unattributed, published_at = _audit(cur, year, schools)
    return Warehouse(
        year=year,
        years=years,
        names=names,
        schools=schools,
        iv=iv,
        catalogue=catalogue,
        ratings=ratings,
        components=dict(components),
        school_rows=school_rows,
        flags=flags,
        uploads=uploads,
        upload_years=upload_years,
        warning=warning,
        rejected=rejected,
        quarantined=quarantined,
        unattributed_files=unattributed,
        published_at=published_at,
        subjects=subjects,
    )


# Rejected files of the year per municipality: a file names its municipalities in its scope
# (audit.loads.scope: the codes of its accepted rows, or of its schools). A file rejected
# before its rows were read (encoding, header) covers no known territory: counted apart.
REJECTED_SQL = """
    with rejected as (
        select l.load_id, l.source, coalesce(l.message, '') as reason, l.scope
        from audit.loads l
        where l.status = 'rejected'
          and (l.scope -> 'year' is null or l.scope -> 'year' ? %(year)s)
    ),
    codes as (
        select load_id, jsonb_array_elements_text(scope -> 'ate_code') as ate_code
        from rejected where jsonb_typeof(scope -> 'ate_code') = 'array'
        union
        select r.load_id, s.municipality_code
        from rejected r
        cross join lateral jsonb_array_elements_text(
            case when jsonb_typeof(r.scope -> 'school_code') = 'array'
                 then r.scope -> 'school_code' else '[]'::jsonb end) as sc(code)
        join marts.dim_territories s
          on s.territory_level = 'school' and s.territory_code = sc.code
    )
    select r.load_id, r.source, r.reason, c.ate_code
    from rejected r left join codes c using (load_id)
"""

# Quarantined rows of the year's current loads: counts per municipality, source and reason
# (row_data holds pseudonymised rows; only its codes and year are read here).
QUARANTINE_SQL = """
    select coalesce(q.row_data ->> 'ate_code', s.municipality_code) as ate_code,
           l.source, q.reason, count(*) as n_rows
    from audit.quarantine q
    join audit.loads l on l.load_id = q.load_id and l.status = 'loaded'
    left join marts.dim_territories s
      on s.territory_level = 'school' and s.territory_code = q.row_data ->> 'school_code'
    where q.row_data ->> 'year' = %(year)s
    group by 1, 2, 3
"""


def _audit(cur, year: int, schools) -> tuple[list[dict], list[dict], int, dt.datetime | None]:
    if not _exists(cur, "audit.loads"):
        return [], [], 0, None
    params = {"year": str(year)}
    rows = _fetch(cur, REJECTED_SQL, params)
    rejected = [r for r in rows if r["ate_code"] is not None]
    unattributed = len({r["load_id"] for r in rows if r["ate_code"] is None})
    quarantined = _fetch(cur, QUARANTINE_SQL, params)
    cur.execute("select max(finished_at) from audit.runs where status = 'published'")
    published_at = cur.fetchone()[0]
    return rejected, quarantined, unattributed, published_at


# ------------------------------------------------------------------ one note


def iv_attrs(ind: Ind, year: int, territory: str, field_name: str = "value") -> dict[str, str]:
    """The data-* attributes naming a marts.indicator_values row (and its column)."""
    attrs = {
        "data-src": "indicator_values",
        "data-indicator": ind.code,
        "data-year": str(year),
        "data-territory": territory,
        "data-field": field_name,
    }
    for name, value in zip(("exam", "subject", "category", "grade", "key"), ind.dims, strict=True):
        if value is not None:
            attrs[f"data-{name}"] = str(value)
    return attrs


@dataclass
class Num:
    """A number cell: its printed text and the attributes naming its source."""

    text: str
    attrs: dict[str, str] = field(default_factory=dict)
    tone: str = ""


@dataclass
class Txt:
    text: str
    tone: str = ""


class Note:
    """Builds the context of one note (a municipality's, or the region's)."""

    def __init__(self, wh: Warehouse, territory: str):
        self.wh = wh
        self.territory = territory
        self.is_region = territory == REGION
        self.year = wh.year

    # -- cells

    def row(self, ind: Ind, year: int, territory: str) -> dict | None:
        return self.wh.iv.get((ind.code, year, territory, ind.dims))

    def unit(self, ind: Ind) -> str:
        return (self.wh.catalogue.get(ind.code) or {}).get("unit") or ""

    def value(self, ind: Ind, year: int, territory: str, field_name: str = "value") -> Num | Txt:
        row = self.row(ind, year, territory)
        if row is None or row[field_name] is None:
            return Txt("—")
        digits = digits_for(ind.code, row["unit"]) if field_name in ("value", "target_value") else 0
        return Num(number_ru(row[field_name], digits), iv_attrs(ind, year, territory, field_name))

    def met(self, ind: Ind, territory: str) -> Num | Txt:
        row = self.row(ind, self.year, territory)
        if row is None or row["target_met"] is None:
            return Txt("—")
        ok = bool(row["target_met"])
        return Num(
            "✓" if ok else "✗",
            iv_attrs(ind, self.year, territory, "target_met"),
            "ok" if ok else "bad",
        )

    # -- sections

    def indicator_table(self, title: str, inds: tuple[Ind, ...]) -> dict | None:
        """Indicator | territory | region | target | met — for the municipality's note;
        for the region: indicator | region | target | met | best and worst municipality."""
        rows = []
        for ind in inds:
            if self.row(ind, self.year, self.territory) is None and (
                self.is_region or self.row(ind, self.year, REGION) is None
            ):
                continue
            unit = self.unit(ind)
            cells = [Txt(ind.title), Txt(unit)]
            cells.append(self.value(ind, self.year, self.territory))
            if not self.is_region:
                cells.append(self.value(ind, self.year, REGION))
            cells += [
                self.value(ind, self.year, self.territory, "target_value"),
                self.met(ind, self.territory),
            ]
            rows.append(cells)
        if not rows:
            return None
        head = ["Показатель", "ед.", self.short_name, "Регион", "Цель", "Выполнена"]
        if self.is_region:
            head = ["Показатель", "ед.", "Регион", "Цель", "Выполнена"]
        return {"title": title, "head": head, "rows": rows}

    def municipality_matrix(self, title: str, inds: tuple[Ind, ...]) -> list[dict]:
        """Region note: municipalities × indicators, at most 5 indicators per table."""
        present = [i for i in inds if any(self.row(i, self.year, m) for m in self.municipalities)]
        tables = []
        for start in range(0, len(present), 5):
            chunk = present[start : start + 5]
            rows = []
            for code in [*self.municipalities, REGION]:
                cells: list = [
                    Txt(self.wh.names.get(code, code), "strong" if code == REGION else "")
                ]
                for ind in chunk:
                    cell = self.value(ind, self.year, code)
                    met = self.row(ind, self.year, code)
                    if isinstance(cell, Num) and met and met["target_met"] is not None:
                        cell.tone = "ok" if met["target_met"] else "bad"
                    cells.append(cell)
                rows.append(cells)
            head = ["Муниципалитет"] + [f"{i.title}, {self.unit(i)}" for i in chunk]
            part = f" (часть {start // 5 + 1})" if len(present) > 5 else ""
            tables.append({"title": title + part, "head": head, "rows": rows})
        return tables

    @property
    def municipalities(self) -> list[str]:
        return sorted(c for c in self.wh.names if c != REGION)

    @property
    def short_name(self) -> str:
        return self.wh.names.get(self.territory, self.territory)

    def rating(self) -> dict:
        wh = self.wh
        this_year = sorted(
            (r for (y, _), r in wh.ratings.items() if y == self.year),
            key=lambda r: (r["place"] if r["place"] is not None else 10**6, r["territory_name"]),
        )
        bars = []
        for r in this_year:
            attrs = _rating_attrs(self.year, r["territory_code"], "score")
            bars.append({**r, "label": number_ru(r["score"], 1), "attrs": attrs})
        chart = charts.ranking_chart(
            f"Интегральный индекс (RNK-02) муниципалитетов, {self.year}",
            bars,
            None if self.is_region else self.territory,
        )
        table = []
        for r in this_year:
            code = r["territory_code"]
            table.append(
                {
                    "highlighted": code == self.territory,
                    "cells": [
                        _rating_num(r, "place", self.year),
                        Txt(r["territory_name"]),
                        _rating_num(r, "score", self.year),
                        _rating_num(r, "prev_place", self.year),
                        _rating_num(r, "place_change", self.year),
                        Txt(r["traffic_light"] or "—", _light_tone(r["traffic_light"])),
                    ],
                }
            )
        own = wh.ratings.get((self.year, self.territory))
        history = []
        for y in wh.years:
            r = wh.ratings.get((y, self.territory))
            if r:
                history.append(
                    [Txt(str(y)), _rating_num(r, "place", y), _rating_num(r, "score", y),
                     Txt(r["traffic_light"] or "—", _light_tone(r["traffic_light"]))]
                )  # fmt: skip
        components = []
        for r in sorted(
            wh.components.get(self.territory, []),
            key=lambda r: (r["indicator_code"], r["exam"] or "", r["subject_code"] or 0,
                           r["grade"] or 0, r["breakdown_key"] or ""),
        ):  # fmt: skip
            components.append([Txt(self._component_title(r)), _component_num(r)])
        return {
            "chart": chart,
            "own": own,
            "own_cells": (
                [
                    _rating_num(own, "place", self.year),
                    Txt(str(len(this_year))),
                    _rating_num(own, "score", self.year),
                    Txt(own["traffic_light"] or "—", _light_tone(own["traffic_light"])),
                    _rating_num(own, "prev_place", self.year),
                    _rating_num(own, "place_change", self.year),
                ]
                if own
                else None
            ),
            "table": table if self.is_region else [],
            "history": history,
            "components": components,
        }

    def _component_title(self, r: dict) -> str:
        name = (self.wh.catalogue.get(r["indicator_code"]) or {}).get("name", "")
        parts = [f"{r['indicator_code']} {name}"]
        if r["exam"]:
            parts.append(r["exam"])
        if r["subject_code"] is not None:
            parts.append(_subject_name(self.wh.subjects, r["subject_code"]))
        if r["grade"] is not None:
            parts.append(f"{r['grade']} класс")
        if r["breakdown_key"]:
            parts.append(
                f"{r['breakdown_key']} класс"
                if r["indicator_code"] == "GIA-09"
                else r["breakdown_key"]
            )
        return ", ".join(parts)

    def trends(self) -> dict:
        years = self.wh.years
        chart_list = []
        for n, ind in enumerate(TREND_CHARTS):
            lines = []
            for code in [REGION] if self.is_region else [self.territory, REGION]:
                pts = {}
                for y in years:
                    row = self.row(ind, y, code)
                    if row and row["value"] is not None:
                        digits = digits_for(ind.code, row["unit"])
                        pts[y] = (
                            float(row["value"]),
                            number_ru(row["value"], digits),
                            iv_attrs(ind, y, code),
                        )
                lines.append((self.wh.names.get(code, code) if code != REGION else "Регион", pts))
            chart = charts.line_chart(ind.title, self.unit(ind), years, lines)
            if chart:
                chart.chart_id = f"trend-{n}"
                chart_list.append(chart)
        rows = []
        for ind in TREND_TABLE:
            for code in [REGION] if self.is_region else [self.territory, REGION]:
                cells = [self.value(ind, y, code) for y in years]
                if all(isinstance(c, Txt) for c in cells):
                    continue
                who = "регион" if code == REGION else "муниципалитет"
                first, last = self.row(ind, years[0], code), self.row(ind, years[-1], code)
                change: Num | Txt = Txt("—")
                if first and last and first["value"] is not None and last["value"] is not None:
                    digits = digits_for(ind.code, last["unit"])
                    delta = float(last["value"]) - float(first["value"])
                    change = Txt(signed_ru(delta, digits), _change_tone(delta, last["direction"]))
                rows.append([Txt(ind.title), Txt(who), *cells, change])
        head = ["Показатель", "", *[str(y) for y in years], f"Изменение {years[0]}→{years[-1]}"]
        return {"charts": chart_list, "table": {"title": "", "head": head, "rows": rows}}

    def attention(self) -> dict:
        wh = self.wh
        mine = self._my_school
        region_values = {
            (r["indicator_code"], r["exam"], r["subject_code"]): r
            for (code, year, terr, dims), r in wh.iv.items()
            if year == self.year and terr == REGION and code in ("GIA-01", "GIA-10")
            and dims[2] == "все" and dims[3] is None and dims[4] is None
        }  # fmt: skip
        high = []
        for r in wh.school_rows:
            if not mine(r["territory_code"]) or r["numerator"] is None or r["numerator"] < 2:
                continue
            reg = region_values.get((r["indicator_code"], r["exam"], r["subject_code"]))
            if reg is None or reg["value"] is None or r["value"] <= reg["value"]:
                continue
            high.append((r, reg))
        high.sort(key=lambda p: (-float(p[0]["value"]), p[0]["territory_code"]))
        high_rows = []
        for r, reg in high[:ATTENTION_LIMIT]:
            ind = Ind(r["indicator_code"], "", r["exam"], r["subject_code"], "все")
            school = r["territory_code"]
            what = r["exam"] + (
                ", " + _subject_name(wh.subjects, r["subject_code"])
                if r["subject_code"] is not None
                else ", хотя бы один предмет"
            )
            cells = [Txt(self._school_label(school))]
            if self.is_region:
                cells.append(Txt(wh.names.get(wh.schools.get(school, ("", ""))[1], "")))
            cells += [
                Txt(f"{r['indicator_code']}: {what}"),
                Num(number_ru(r["value"], 1), iv_attrs(ind, self.year, school, "value"), "bad"),
                Num(number_ru(r["numerator"], 0), iv_attrs(ind, self.year, school, "numerator")),
                Num(
                    number_ru(r["denominator"], 0), iv_attrs(ind, self.year, school, "denominator")
                ),
                Num(number_ru(reg["value"], 1), iv_attrs(ind, self.year, REGION, "value")),
            ]
            high_rows.append(cells)
        flags = []
        for f in wh.flags:
            if not mine(f["school_code"]):
                continue
            attrs = {
                "data-src": "vpr_flags",
                "data-year": str(f["year"]),
                "data-school": f["school_code"],
                "data-rule": f["rule"],
            }
            if f["grade"] is not None:
                attrs["data-grade"] = str(f["grade"])
                attrs["data-subject"] = str(f["subject_code"])
            cells = [Txt(self._school_label(f["school_code"]))]
            if self.is_region:
                cells.append(Txt(wh.names.get(f["ate_code"], f["ate_code"] or "")))
            what = VPR_RULES.get(f["rule"], f["rule"])
            if f["grade"] is not None:
                what += f"; {f['grade']} класс, {_subject_name(wh.subjects, f['subject_code'])}"
            cells += [
                Txt(what),
                Num(number_ru(f["works"], 0), {**attrs, "data-field": "works"}),
                Num(number_ru(f["value"], 1), {**attrs, "data-field": "value"}, "bad"),
                Num(number_ru(f["threshold"], 1), {**attrs, "data-field": "threshold"}),
            ]
            flags.append(cells)
        missing: dict[str, list[str]] = defaultdict(list)
        for u in wh.uploads:
            if mine(u["school_code"]):
                missing[u["school_code"]].append(u["source"])
        missing_rows = []
        for school in sorted(missing):
            cells = [Txt(self._school_label(school))]
            if self.is_region:
                cells.append(Txt(wh.names.get(wh.schools.get(school, ("", ""))[1], "")))
            for source in ("career", "olympiad"):
                if source not in wh.upload_years:
                    cells.append(Txt("нет данных за год"))
                elif source in missing[school]:
                    attrs = {
                        "data-src": "uploads",
                        "data-year": str(self.year),
                        "data-school": school,
                        "data-source": source,
                        "data-field": "is_received",
                    }
                    cells.append(Num("✗ не представлен", attrs, "bad"))
                else:
                    cells.append(Txt("✓", "ok"))
            missing_rows.append(cells)
        muni = ["Муниципалитет"] if self.is_region else []
        return {
            "high": high_rows[:ATTENTION_LIMIT],
            "high_more": max(0, len(high) - ATTENTION_LIMIT),
            "high_head": [
                "Школа",
                *muni,
                "Показатель",
                "Доля, %",
                "Ниже порога",
                "Всего",
                "Регион, %",
            ],
            "flags": flags[:ATTENTION_LIMIT],
            "flags_more": max(0, len(flags) - ATTENTION_LIMIT),
            "flags_head": ["Школа", *muni, "Признак", "Работ", "Значение", "Порог"],
            "missing": missing_rows[:ATTENTION_LIMIT],
            "missing_more": max(0, len(missing_rows) - ATTENTION_LIMIT),
            "missing_head": ["Школа", *muni, "Отчёт по профориентации", "Результаты олимпиад"],
            "upload_sources": [UPLOAD_SOURCES[s] for s in sorted(wh.upload_years)],
        }

    def _my_school(self, school: str | None) -> bool:
        if school is None:
            return False
        if self.is_region:
            return True
        return self.wh.schools.get(school, ("", None))[1] == self.territory

    def _school_label(self, school: str) -> str:
        name = self.wh.schools.get(school, (None, None))[0]
        return f"{name} ({school})" if name else school

    def olympiads_and_career(self) -> dict:
        oly_events = tuple(
            Ind("OLY-04", f"{e}: участники заключительного этапа / завершившие", key=e)
            for e in OLY_EVENTS
        )
        levels = tuple(
            Ind("CAR-07", f"ОО на уровне «{lv}» единой модели профориентации", key=lv)
            for lv in CAR_LEVELS
        )
        if self.is_region:
            return {
                "tables": [
                    t
                    for t in (
                        self.indicator_table("Олимпиады (регион)", OLY_KEY + oly_events),
                        self.indicator_table("Профориентация (регион)", CAR_KEY + levels),
                    )
                    if t
                ]
                + self.municipality_matrix("Олимпиады по муниципалитетам", OLY_KEY)
                + self.municipality_matrix("Профориентация по муниципалитетам", CAR_KEY[:4])
            }
        return {
            "tables": [
                t
                for t in (
                    self.indicator_table("Олимпиады", OLY_KEY + oly_events),
                    self.indicator_table("Профориентация", CAR_KEY + levels),
                )
                if t
            ]
        }

    def early_warning(self) -> dict | None:
        rows = [r for r in self.wh.warning if r["territory_code"] == self.territory]
        if not rows:
            return None
        out = []
        for r in rows:
            attrs = {
                "data-src": "gia_early_warning",
                "data-year": str(self.year),
                "data-territory": self.territory,
                "data-subject": str(r["subject_code"]),
                "data-work": str(r["work_number"]),
            }

            def num(name, digits=1, attrs=attrs, r=r):
                if r[name] is None:
                    return Txt("—")
                return Num(number_ru(r[name], digits), {**attrs, "data-field": name})

            out.append(
                [
                    Txt(_subject_name(self.wh.subjects, r["subject_code"])),
                    Txt(f"ДР{r['work_number']}"),
                    num("participants", 0),
                    num("share_below_at_work"),
                    num("forecast_share"),
                    num("actual_share"),
                    num("error_pp"),
                    num("target_value"),
                ]
            )
        has_ege = any(r["actual_share"] is not None for r in rows)
        return {
            "rows": out,
            "has_ege": has_ege,
            "head": ["Предмет", "Работа", "Участников", "Ниже порога на ДР, %",
                     "Прогноз ЕГЭ (DR-02), %", "ЕГЭ ВТГ, факт, %", "Ошибка, п.п.", "Цель, %"],
        }  # fmt: skip

    def data_quality(self) -> dict:
        wh = self.wh
        mine = (lambda code: True) if self.is_region else (lambda code: code == self.territory)
        files: dict[tuple[str, str], set[int]] = defaultdict(set)
        for r in wh.rejected:
            if mine(r["ate_code"]):
                files[(r["source"], _reason(r["reason"]))].add(r["load_id"])
        rows: dict[tuple[str, str], int] = defaultdict(int)
        for r in wh.quarantined:
            if r["ate_code"] is not None and mine(r["ate_code"]):
                rows[(r["source"], _reason(r["reason"]))] += int(r["n_rows"])
        who = {"data-territory": self.territory, "data-year": str(self.year)}
        file_rows = [
            [Txt(source_title(s)), Txt(reason),
             Num(str(len(ids)), {"data-src": "audit", "data-kind": "rejected_files",
                                 "data-source": s, **who})]
            for (s, reason), ids in sorted(files.items())
        ]  # fmt: skip
        row_rows = [
            [Txt(source_title(s)), Txt(reason),
             Num(number_ru(n, 0), {"data-src": "audit", "data-kind": "quarantine_rows",
                                   "data-source": s, **who})]
            for (s, reason), n in sorted(rows.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
        ]  # fmt: skip
        files_total = len({i for ids in files.values() for i in ids})
        return {
            "files": file_rows,
            "files_total": Num(
                str(files_total), {"data-src": "audit", "data-kind": "rejected_files_total", **who}
            ),
            "rows_total": Num(
                number_ru(sum(rows.values()), 0),
                {"data-src": "audit", "data-kind": "quarantine_rows_total", **who},
            ),
            "rows": row_rows,
            "unattributed": wh.unattributed_files,
        }

    def context(self) -> dict:
        name = self.short_name
        where = name if not self.is_region or name == "Регион" else f"{name} (регион)"
        title = f"Аналитическая справка о качестве образования: {where}, {self.year} год"
        key = [
            t
            for t in (
                self.indicator_table("ГИА", GIA_KEY),
                self.indicator_table("ВПР", VPR_KEY),
            )
            if t
        ]
        if self.is_region:
            key += self.municipality_matrix("ГИА по муниципалитетам", GIA_KEY[:5])
            key += self.municipality_matrix("ВПР по муниципалитетам", VPR_KEY[:3])
        met = [row for t in key[:2] for row in t["rows"] if isinstance(row[-1], Num)]
        return {
            "title": title,
            "name": name,
            "year": self.year,
            "years": self.wh.years,
            "is_region": self.is_region,
            "generated": dt.date.today().strftime("%d.%m.%Y"),
            "published_at": self.wh.published_at.strftime("%d.%m.%Y %H:%M")
            if self.wh.published_at
            else None,
            "targets_total": len(met),
            "targets_met": sum(1 for row in met if row[-1].text == "✓"),
            "key_tables": key,
            "rating": self.rating(),
            "trends": self.trends(),
            "attention": self.attention(),
            "oly_car": self.olympiads_and_career(),
            "early_warning": self.early_warning(),
            "quality": self.data_quality(),
            "traffic_colours": charts.TRAFFIC_COLOURS,
        }


def _reason(text: str) -> str:
    """A reason as a group label: the first sentence, numbers of rows/lines left out (the
    same reason of many rows is one group)."""
    first = re.split(r"(?<=[.;])\s", text.strip(), maxsplit=1)[0] if text else "причина не указана"
    return first[:200]


def _subject_name(subjects: dict[int, str], code) -> str:
    name = subjects.get(code)
    return re.sub(r";[^)]*\)", ")", name) if name else f"предмет {code}"


def _rating_attrs(year: int, territory: str, field_name: str) -> dict[str, str]:
    return {
        "data-src": "territory_ratings",
        "data-year": str(year),
        "data-territory": territory,
        "data-field": field_name,
    }


def _rating_num(r: dict, name: str, year: int) -> Num | Txt:
    value = r[name]
    if value is None:
        return Txt("—")
    if name == "place_change":
        text = signed_ru(value, 0)
    else:
        text = number_ru(value, 1 if name == "score" else 0)
    return Num(text, _rating_attrs(year, r["territory_code"], name))


def _component_num(r: dict) -> Num | Txt:
    if r["score"] is None:
        return Txt("—")
    attrs = {
        "data-src": "territory_ratings",
        "data-year": str(r["year"]),
        "data-territory": r["territory_code"],
        "data-indicator": r["indicator_code"],
        "data-field": "score",
    }
    for name, col in (("exam", "exam"), ("subject", "subject_code"),
                      ("category", "participant_category"), ("grade", "grade"),
                      ("key", "breakdown_key")):  # fmt: skip
        if r[col] is not None:
            attrs[f"data-{name}"] = str(r[col])
    return Num(number_ru(r["score"], 1), attrs)


def _light_tone(light: str | None) -> str:
    return {"оптимальный": "light-1", "допустимый": "light-2", "недостаточный": "light-3",
            "критический": "light-4"}.get(light or "", "")  # fmt: skip


def _change_tone(delta: float, direction: str | None) -> str:
    if delta == 0 or direction not in ("↑", "↓"):
        return ""
    better = delta > 0 if direction == "↑" else delta < 0
    return "ok" if better else "bad"


# ------------------------------------------------------------------ the pack


def file_name(code: str, name: str) -> str:
    """'01', 'Город Первый' → '01_Город_Первый.html' (no characters a file system dislikes)."""
    safe = re.sub(r"[^\w\-]+", "_", name, flags=re.UNICODE).strip("_")[:60]
    return f"{code}_{safe}.html" if safe else f"{code}.html"


def write_pack(conn, year: int, out_dir: Path, municipality: str | None = None) -> list[Path]:
    """The notes of `year` into `out_dir`: the region's and every municipality's (or only
    `municipality`'s). Returns the paths written, the region's first."""
    wh = read_warehouse(conn, year)
    if municipality is not None and municipality not in wh.names:
        raise LookupError(f"муниципалитет с кодом {municipality} не найден в реестре")
    codes = [REGION, *sorted(c for c in wh.names if c != REGION)]
    if municipality is not None:
        codes = [municipality]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for code in codes:
        note = Note(wh, code)
        name = "Регион" if code == REGION else wh.names[code]
        path = out_dir / file_name(code, name if code != REGION else "регион")
        write_page(path, "municipal.html", **note.context())
        written.append(path)
    return written
