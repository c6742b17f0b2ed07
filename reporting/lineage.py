"""`edu-dwh explain`: where one published number comes from (issue 11, part 1).

The card of one row of marts.indicator_values, in Russian: the indicator's name and formula
(seeds indicator_catalogue, indicator_formulas), the row's numerator, denominator and value,
the reference values used (minimum score in force and the seed year it came from), and every
contributing file (marts.indicator_row_sources → audit.loads): how many of its units counted,
how many of its rows for this territory were quarantined and why (audit.quarantine), how many
were corrected by a later file (audit.row_replacements) and the validation it passed
(audit.validation_results, the audit page and the GX Data Docs).

No personal data: the card reads counts, reasons and file names only (audit.quarantine's
row_data and audit.row_replacements' values are used for their territory codes alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from reporting.pages import write_page

KEY_COLUMNS = (
    "indicator_code", "year", "territory_level", "territory_code",
    "exam", "subject_code", "participant_category", "grade", "breakdown_key",
)  # fmt: skip
# option of `edu-dwh explain` → column of indicator_values
OPTIONS = {
    "exam": "--exam",
    "subject_code": "--subject",
    "participant_category": "--category",
    "grade": "--grade",
    "breakdown_key": "--breakdown",
}
LEVEL_RU = {"region": "регион", "municipality": "муниципалитет", "school": "ОО"}
SOURCE_RU = {
    "ege": "ФИС ГИА, ЕГЭ/ГВЭ-11",
    "oge": "ФИС ГИА, ОГЭ/ГВЭ-9",
    "vpr": "ФИС ОКО, ВПР",
    "olympiad": "олимпиады (выгрузка ОО)",
    "career": "профориентация (выгрузка ОО)",
    "diagnostic": "диагностические работы",
}
# indicators whose denominator is not a count of units: what their lineage counts instead
OWN_UNIT_RU = {
    "GIA-16": "результаты ЕГЭ по русскому языку и профильной математике, из которых сложены"
    " средние баллы школ 10 % лучших и 10 % худших",
}
MIN_SCORE_CODES = ("GIA-01", "GIA-02", "GIA-09", "GIA-10", "DR-01", "DR-02", "DR-03")


class ExplainError(LookupError):
    """An unknown indicator, no matching row, or several (the message says which option)."""


@dataclass
class FileLine:
    load_id: int
    rel_path: str | None
    source: str | None
    sha256: str | None
    delivered: object
    loaded: object
    status: str | None
    rows_counted: int
    quarantined: list[tuple[str, int]] = field(default_factory=list)
    corrected_later: list[tuple[str, int]] = field(default_factory=list)
    corrected_earlier: list[tuple[str, int]] = field(default_factory=list)
    checks_total: int = 0
    checks_ok: int = 0
    checks_failed: list[str] = field(default_factory=list)


@dataclass
class Card:
    row: dict
    name: str
    formula: str | None
    unit: str | None
    territory_name: str | None
    subject_name: str | None
    references: list[str]
    files: list[FileLine]
    audit_page: Path | None
    data_docs: Path | None

    @property
    def rows_counted(self) -> int:
        return sum(f.rows_counted for f in self.files)


def find_rows(cur, code: str, year: int, territory: str, **dims) -> list[dict]:
    """Rows of indicator_values for code × year × territory whose given dims match
    (None = not given)."""
    cur.execute("select 1 from reference.indicator_catalogue where indicator_code = %s", (code,))
    if cur.fetchone() is None:
        raise ExplainError(f"нет показателя {code} в каталоге (reference.indicator_catalogue)")
    where = ["indicator_code = %s", "year = %s", "territory_code = %s"]
    params: list = [code, year, territory]
    for column, value in dims.items():
        if value is not None:
            where.append(f"{column}::text = %s")
            params.append(str(value))
    cur.execute(
        f"select * from marts.indicator_values where {' and '.join(where)}"
        " order by territory_level, exam, subject_code, participant_category, grade,"
        " breakdown_key",
        params,
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _describe(row: dict) -> str:
    parts = [f"{LEVEL_RU.get(row['territory_level'], row['territory_level'])}"]
    for column, option in OPTIONS.items():
        if row.get(column) is not None:
            parts.append(f"{option} {row[column]}")
    return " ".join(parts)


def choose_row(cur, code: str, year: int, territory: str, **dims) -> dict:
    rows = find_rows(cur, code, year, territory, **dims)
    if not rows:
        raise ExplainError(
            f"нет опубликованной строки {code} за {year} год по территории {territory}"
            + "".join(f", {OPTIONS[c]} {v}" for c, v in dims.items() if v is not None)
        )
    if len(rows) == 1:
        return rows[0]
    missing = [OPTIONS[c] for c in OPTIONS if len({r[c] for r in rows}) > 1 and dims.get(c) is None]
    lines = [
        f"подходит строк: {len(rows)}; уточните {', '.join(missing) or 'параметры'}.",
        "Варианты:",
    ] + [f"  {_describe(r)}" for r in rows[:40]]
    if len(rows) > 40:
        lines.append(f"  … и ещё {len(rows) - 40}")
    raise ExplainError("\n".join(lines))


def build_card(cur, row: dict) -> Card:
    code = row["indicator_code"]
    cur.execute(
        "select c.name, c.unit, f.formula from reference.indicator_catalogue c"
        " left join reference.indicator_formulas f using (indicator_code)"
        " where c.indicator_code = %s",
        (code,),
    )
    name, unit, formula = cur.fetchone()
    subject_name = None
    if row.get("subject_code") is not None:
        cur.execute("select name from reference.subjects where code = %s", (row["subject_code"],))
        found = cur.fetchone()
        subject_name = found[0] if found else None
    return Card(
        row=row,
        name=name,
        formula=formula,
        unit=unit,
        territory_name=row.get("territory_name"),
        subject_name=subject_name,
        references=_references(cur, row),
        files=_files(cur, row),
        audit_page=None,
        data_docs=None,
    )


def _references(cur, row: dict) -> list[str]:
    code, year, subject = row["indicator_code"], row["year"], row.get("subject_code")
    if code not in MIN_SCORE_CODES:
        return []
    out = []
    mark_based = row.get("exam") in ("ОГЭ", "ГВЭ") or subject == 22
    if not mark_based:
        where, params = "year = %s", [year]
        if subject is not None:
            where += " and subject_code = %s"
            params.append(subject)
        cur.execute(
            "select subject_code, min_score, univ_score, seed_year"
            f" from intermediate.int_min_scores_in_force where {where} order by subject_code",
            params,
        )
        for subj, min_score, univ_score, seed_year in cur.fetchall():
            text = f"предмет {subj}: минимальный балл {min_score}"
            if code == "GIA-02":
                text += f", минимум для поступления в вуз {univ_score}"
            out.append(f"{text} (действует в {year} г., из семени min_scores за {seed_year} г.)")
    if mark_based or code in ("GIA-09", "GIA-10") or subject is None:
        cur.execute(
            "select below_min_mark, seed_year from intermediate.int_score_levels_in_force"
            " where year = %s",
            (year,),
        )
        found = cur.fetchone()
        if found:
            out.append(
                f"отметочные результаты (базовая математика, ГВЭ, ОГЭ): ниже минимума —"
                f" отметка {found[0]} (семя score_levels за {found[1]} г.)"
            )
    return out


def _territory_filter(column: str, row: dict) -> tuple[str, list]:
    """SQL condition on a jsonb column holding a raw row: the row belongs to the territory."""
    level, code = row["territory_level"], row["territory_code"]
    if level == "municipality":
        return f" and {column} ->> 'ate_code' = %s", [code]
    if level == "school":
        return f" and {column} ->> 'school_code' = %s", [code]
    return "", []


def _files(cur, row: dict) -> list[FileLine]:
    cond = " and ".join(f"s.{c} is not distinct from %s" for c in KEY_COLUMNS)
    cur.execute(
        "select s.load_id, l.rel_path, l.source, l.sha256, l.file_mtime_ns, l.finished_at,"
        " l.status, s.rows_counted from marts.indicator_row_sources s"
        f" left join audit.loads l using (load_id) where {cond} order by s.load_id",
        [row[c] for c in KEY_COLUMNS],
    )
    files = []
    for lid, rel, source, sha, mtime_ns, finished, status, counted in cur.fetchall():
        delivered = None
        if mtime_ns:
            from datetime import UTC, datetime

            delivered = datetime.fromtimestamp(mtime_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M")
        files.append(FileLine(lid, rel, source, sha, delivered, finished, status, int(counted)))
    for f in files:
        where, params = _territory_filter("q.row_data", row)
        cur.execute(
            "select q.reason, count(*) from audit.quarantine q where q.load_id = %s"
            f"{where} group by 1 order by 2 desc, 1",
            [f.load_id, *params],
        )
        f.quarantined = [(r, int(n)) for r, n in cur.fetchall()]
        where, params = _territory_filter("r.old_values", row)
        cur.execute(
            "select coalesce(n.rel_path, 'файл №' || r.new_load_id), count(*)"
            " from audit.row_replacements r left join audit.loads n on n.load_id = r.new_load_id"
            f" where r.event = 'replaced' and r.old_load_id = %s{where}"
            " and not exists (select 1 from audit.row_replacements b where b.event = 'restored'"
            " and b.old_load_id = r.old_load_id and b.old_source_row = r.old_source_row"
            " and b.id > r.id) group by 1 order by 1",
            [f.load_id, *params],
        )
        f.corrected_later = [(r, int(n)) for r, n in cur.fetchall()]
        where, params = _territory_filter("r.new_values", row)
        cur.execute(
            "select coalesce(o.rel_path, 'файл №' || r.old_load_id), count(*)"
            " from audit.row_replacements r left join audit.loads o on o.load_id = r.old_load_id"
            f" where r.event = 'replaced' and r.new_load_id = %s{where} group by 1 order by 1",
            [f.load_id, *params],
        )
        f.corrected_earlier = [(r, int(n)) for r, n in cur.fetchall()]
        cur.execute(
            "select count(*), count(*) filter (where success),"
            " array_agg(distinct severity || ': ' || suite_name || ' · ' || expectation_type"
            " || coalesce(' (' || column_name || ')', '')) filter (where not success)"
            " from audit.validation_results where load_id = %s",
            (f.load_id,),
        )
        total, ok, failed = cur.fetchone()
        f.checks_total, f.checks_ok, f.checks_failed = int(total), int(ok), sorted(failed or [])
    return files


def _number(value) -> str:
    if value is None:
        return "—"
    text = f"{value:.6f}".rstrip("0").rstrip(".") if not isinstance(value, int) else str(value)
    return text.replace(".", ",")


def card_lines(card: Card) -> list[str]:
    """The card as plain Russian text (what `edu-dwh explain` prints)."""
    r = card.row
    level = LEVEL_RU.get(r["territory_level"], r["territory_level"])
    head = [
        f"{r['indicator_code']} «{card.name}»",
        f"Год: {r['year']}; территория: {level} {r['territory_code']}"
        + (f" «{card.territory_name}»" if card.territory_name else ""),
    ]
    dims = []
    if r.get("exam"):
        dims.append(f"экзамен {r['exam']}")
    if r.get("subject_code") is not None:
        dims.append(
            f"предмет {r['subject_code']}"
            + (f" «{card.subject_name}»" if card.subject_name else "")
        )
    if r.get("participant_category"):
        dims.append(f"категория {r['participant_category']}")
    if r.get("grade") is not None:
        dims.append(f"класс {r['grade']}")
    if r.get("breakdown_key"):
        dims.append(f"разрез {r['breakdown_key']}")
    if dims:
        head.append("Разрез: " + ", ".join(dims))
    head.append(f"Формула: {card.formula or '—'}")
    head.append(
        f"Числитель: {_number(r['numerator'])}; знаменатель: {_number(r['denominator'])};"
        f" значение: {_number(r['value'])} {card.unit or ''}".rstrip()
    )
    if r.get("target_value") is not None:
        met = {True: "достигнут", False: "не достигнут"}.get(r.get("target_met"), "—")
        head.append(f"Целевое значение: {_number(r['target_value'])} ({met})")
    if card.references:
        head.append("Нормативы:")
        head += [f"  {x}" for x in card.references]
    if not card.files:
        if r["denominator"] is None and r["numerator"] == 0:
            head.append("Файлы-источники: нет — в строке не учтено ни одной единицы (значение 0).")
        else:
            head.append("Файлы-источники: сведений о происхождении для этой строки нет.")
        return head
    if r["indicator_code"] in OWN_UNIT_RU:
        basis = OWN_UNIT_RU[r["indicator_code"]]
    else:
        basis = "знаменатель" if r["denominator"] is not None else "значение"
        basis += " " + _number(r["denominator"] if r["denominator"] is not None else r["numerator"])
    head.append(f"Файлы-источники: {len(card.files)}; учтено единиц: {card.rows_counted} ({basis})")
    for f in card.files:
        head.append(f"  • {f.rel_path or 'файл №' + str(f.load_id)} (загрузка №{f.load_id})")
        head.append(
            f"    источник: {SOURCE_RU.get(f.source, f.source or '—')}; sha256:"
            f" {(f.sha256 or '—')[:12]}…; доставлен: {f.delivered or '—'};"
            f" загружен: {f.loaded.strftime('%Y-%m-%d %H:%M') if f.loaded else '—'}"
        )
        head.append(f"    учтено в строке: {f.rows_counted}")
        where = "по территории" if r["territory_level"] != "region" else "всего"
        if f.quarantined:
            reasons = "; ".join(f"{reason} — {n}" for reason, n in f.quarantined)
            head.append(
                f"    отклонено строк {where}: {sum(n for _, n in f.quarantined)} ({reasons})"
            )
        else:
            head.append(f"    отклонено строк {where}: 0")
        if f.corrected_later:
            head += [f"    исправлено позднее файлом {p} строк: {n}" for p, n in f.corrected_later]
        if f.corrected_earlier:
            head += [f"    исправил строки файла {p}: {n}" for p, n in f.corrected_earlier]
        if f.checks_total:
            text = f"    проверки Great Expectations: {f.checks_ok} из {f.checks_total} пройдены"
            head.append(text)
            head += [f"      не пройдена — {x}" for x in f.checks_failed]
        else:
            head.append("    проверки Great Expectations: не записаны")
    if card.audit_page:
        head.append(f"Страница проверки данных: {card.audit_page}")
    if card.data_docs:
        head.append(f"Data Docs Great Expectations: {card.data_docs}")
    return head


def explain(code: str, year: int, territory: str, **dims) -> Card:
    """The card of the one published row that matches (ExplainError otherwise)."""
    from ingestion import db
    from ingestion.config import data_docs_dir

    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('marts.indicator_row_sources')")
        if cur.fetchone()[0] is None:
            raise ExplainError("витрины ещё не построены (нет marts.indicator_row_sources)")
        card = build_card(cur, choose_row(cur, code.upper(), year, territory, **dims))
    docs = data_docs_dir()
    card.audit_page = docs / "audit.html" if (docs / "audit.html").exists() else None
    card.data_docs = docs / "index.html" if (docs / "index.html").exists() else None
    return card


def card_file_name(row: dict) -> str:
    parts = [str(row[c]) for c in KEY_COLUMNS if row.get(c) is not None]
    return re.sub(r"[^0-9A-Za-zА-Яа-яЁё_-]+", "_", "_".join(parts)) + ".html"


def write_card_html(card: Card, path: Path) -> Path:
    """The card as a self-contained page (html_templates/lineage_card.html)."""
    lines = card_lines(card)
    return write_page(
        path,
        "lineage_card.html",
        title=lines[0],
        lines=lines[1:],
        audit_href=_relative(card.audit_page, path),
        docs_href=_relative(card.data_docs, path),
    )


def _relative(target: Path | None, page: Path) -> str | None:
    if target is None:
        return None
    import os

    return os.path.relpath(target, page.parent)


def write_rating_set_cards(
    cur, out_dir: Path, audit_page: Path | None
) -> list[tuple[str, str, frozenset[int]]]:
    """Cards of the region and municipality rows of the rating-set indicators (seed
    rating_set), each indicator's latest year; returns (label, link relative to out_dir's
    parent, the card's contributing load ids)."""
    cols = ", ".join(f"v.{c}" for c in KEY_COLUMNS)
    # set-wise (one pass over each mart): the rating-set indicators that have lineage rows,
    # each with its latest year; a per-row subquery over 10^5–10^6 rows would be quadratic
    cur.execute(
        "with traced as (select distinct indicator_code from marts.indicator_row_sources),"
        " latest as (select indicator_code, max(year) as year from marts.indicator_values"
        " where indicator_code in (select indicator_code from reference.rating_set)"
        " group by indicator_code)"
        " select v.* from marts.indicator_values v"
        " join latest l on l.indicator_code = v.indicator_code and l.year = v.year"
        " join traced t on t.indicator_code = v.indicator_code"
        " join reference.rating_set s on s.indicator_code = v.indicator_code"
        " and coalesce(s.exam, '') = coalesce(v.exam, '')"
        " and coalesce(s.subject_code, -1) = coalesce(v.subject_code, -1)"
        " and coalesce(s.participant_category, '') = coalesce(v.participant_category, '')"
        " and coalesce(s.grade, -1) = coalesce(v.grade, -1)"
        " and coalesce(s.breakdown_key, '') = coalesce(v.breakdown_key, '')"
        " where v.territory_level in ('region', 'municipality')"
        f" order by {cols}"
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    links = []
    for row in rows:
        card = build_card(cur, row)
        card.audit_page = audit_page
        path = write_card_html(card, out_dir / card_file_name(row))
        lines = card_lines(card)
        label = " · ".join(lines[:3] if lines[2].startswith("Разрез") else lines[:2])
        links.append(
            (label, f"{out_dir.name}/{path.name}", frozenset(f.load_id for f in card.files))
        )
    return links


def _null_free(column: str) -> str:
    """A join key PostgreSQL can hash (`is not distinct from` makes a join quadratic)."""
    if column.rsplit(".", 1)[-1] in ("subject_code", "grade", "year"):
        return f"coalesce({column}, -1)"
    return f"coalesce({column}, '')"


def _breakdown_text(row: dict) -> str:
    parts = []
    for column, title in (
        ("exam", "экзамен"), ("subject_code", "предмет"), ("participant_category", "категория"),
        ("grade", "класс"), ("breakdown_key", "разрез"),
    ):  # fmt: skip
        if row.get(column) is not None:
            parts.append(f"{title} {row[column]}")
    return ", ".join(parts) or "—"


def write_file_pages(
    cur,
    loads: list[tuple[int, str | None, str | None]],
    out_dir: Path,
    audit_page: Path | None,
    cards: list[tuple[str, str, frozenset[int]]] = (),
) -> dict[int, tuple[int, str]]:
    """One page per loaded file (load_id, source, rel_path) of `loads`: the published
    indicators its rows counted in (marts.indicator_row_sources) — per indicator and year the
    rows it contributed to, by level —, every region row with the file's units beside the
    row's denominator (a sum over rows would count a unit once per breakdown), and the links
    to the cards of
    `cards` it contributed to. Returns load_id → (number of indicators, link relative to
    out_dir's parent), for the files that contributed to any."""
    from reporting.pages import write_page

    ids = [load_id for load_id, _, _ in loads]
    if not ids:
        return {}
    # set-wise: one pass over the lineage mart for all the files of the run
    cur.execute(
        "select s.load_id, s.indicator_code, c.name, s.year,"
        " count(*), count(*) filter (where s.territory_level = 'region'),"
        " count(*) filter (where s.territory_level = 'municipality'),"
        " count(*) filter (where s.territory_level = 'school')"
        " from marts.indicator_row_sources s"
        " left join reference.indicator_catalogue c using (indicator_code)"
        " where s.load_id = any(%s) group by 1, 2, 3, 4 order by 1, 2, 4",
        (ids,),
    )
    summary: dict[int, list[tuple]] = {}
    for load_id, code, name, year, n, n_region, n_mun, n_school in cur.fetchall():
        summary.setdefault(load_id, []).append((code, name, year, n, n_region, n_mun, n_school))
    key = ", ".join(f"s.{c}" for c in KEY_COLUMNS)
    cur.execute(
        f"with region as (select {key}, s.load_id, s.rows_counted,"
        f" count(*) over (partition by {key}) as n_files"
        " from marts.indicator_row_sources s where s.territory_level = 'region')"
        f" select {', '.join(f's.{c}' for c in KEY_COLUMNS)}, s.load_id, s.rows_counted,"
        " s.n_files, v.numerator, v.denominator from region s"
        " join marts.indicator_values v on v.territory_level = 'region'"
        " and v.indicator_code = s.indicator_code and v.year = s.year"
        + "".join(
            f" and {_null_free('v.' + c)} = {_null_free('s.' + c)}"
            for c in KEY_COLUMNS
            if c not in ("indicator_code", "year", "territory_level")
        )
        + f" where s.load_id = any(%s) order by s.load_id, {key}",
        (ids,),
    )
    names = [d[0] for d in cur.description]
    region_rows: dict[int, list[tuple]] = {}
    for values in cur.fetchall():
        r = dict(zip(names, values, strict=True))
        total = r["denominator"] if r["denominator"] is not None else r["numerator"]
        region_rows.setdefault(r["load_id"], []).append(
            (r["indicator_code"], r["year"], _breakdown_text(r), r["rows_counted"],
             _number(total), r["n_files"])
        )  # fmt: skip
    links = {}
    for load_id, source, rel_path in loads:
        if load_id not in summary:
            continue
        path = out_dir / f"load_{load_id}.html"
        write_page(
            path,
            "lineage_file.html",
            title=f"Вклад файла в показатели: {rel_path or 'файл №' + str(load_id)}",
            facts=[
                ("Файл", rel_path),
                ("Загрузка", f"№{load_id}"),
                ("Источник", SOURCE_RU.get(source, source)),
                ("Показателей", len({x[0] for x in summary[load_id]})),
            ],
            indicators=summary[load_id],
            region_rows=region_rows.get(load_id, []),
            cards=[
                (label, f"../{href}") for label, href, card_loads in cards if load_id in card_loads
            ],
            audit_href=_relative(audit_page, path),
        )
        links[load_id] = (len({x[0] for x in summary[load_id]}), f"{out_dir.name}/{path.name}")
    return links
