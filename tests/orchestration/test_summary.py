"""The run summary's section «Диагностические работы и прогноз ЕГЭ» (reporting/summary.py):
seed 002's table computed from marts.gia_early_warning, with hand-set values."""

from __future__ import annotations

import psycopg2

from reporting.summary import EARLY_WARNING_FIELDS, early_warning_lines, early_warning_table


def row(year, subject, name, work, share, forecast, actual, error, target, participants=100):
    return dict(
        zip(
            EARLY_WARNING_FIELDS,
            (year, subject, name, work, participants, share, forecast, actual, error, target),
            strict=True,
        )
    )


# 2023: an old year with ЕГЭ (not shown: 2024 is later); 2024: ДР and ЕГЭ; 2025: ДР only.
ROWS = [
    row(2023, 4, "Химия", 3, 9.0, 20.0, 22.0, -2.0, 23.18),
    row(2024, 4, "Химия", 1, 43.8, 21.5, 18.7, 2.8, 18.38),
    row(2024, 4, "Химия", 2, 18.7, 19.9, 18.7, 1.2, 18.38),
    row(2024, 4, "Химия", 3, 5.1, 17.2, 18.7, -1.5, 18.38),
    row(2024, 2, "Математика (профильная; ОГЭ: математика)", 1, 24.28, 7.0, 5.74, 1.26, 5.74),
    row(2024, 2, "Математика (профильная; ОГЭ: математика)", 2, 41.38, 9.0, 5.74, 3.26, 5.74),
    row(2024, 2, "Математика (профильная; ОГЭ: математика)", 3, 2.6, 5.0, 5.74, -0.74, 5.74),
    row(2024, 22, "Математика (базовая)", 1, 5.63, 1.0, 0.6, 0.4, 0.6),
    row(2024, 22, "Математика (базовая)", 2, 7.67, 1.1, 0.6, 0.5, 0.6),
    row(2024, 1, "Русский язык", 1, 11.09, 0.3, 0.26, 0.04, 0.14),
    row(2024, 1, "Русский язык", 2, 5.79, 0.22, 0.26, -0.04, 0.14),
    row(2024, 1, "Русский язык", 3, 0.7, 0.36, 0.26, 0.1, 0.14),
    row(2025, 4, "Химия", 1, 40.0, 20.05, None, None, 18.3),
    row(2025, 4, "Химия", 2, 20.0, 18.0, None, None, 18.3),
]


def test_table_for_the_latest_year_with_ege_and_a_year_without():
    lines = early_warning_table(ROWS)
    text = "\n".join(lines)
    assert lines[0].startswith("Диагностические работы и прогноз ЕГЭ")
    assert "2023" not in text  # only the latest year with the ЕГЭ loaded
    i24 = next(i for i, line in enumerate(lines) if line.startswith("  2024:"))
    i25 = next(i for i, line in enumerate(lines) if line.startswith("  2025:"))
    assert "ЕГЭ ещё не загружен" in lines[i25] and "только прогноз" in lines[i25]
    header = lines[i24 + 1]
    for column in ("предмет", "ДР1", "ДР2", "ДР3", "прогноз", "ЕГЭ ВТГ", "ошибка", "цель"):
        assert column in header
    # subjects in the usual order: base maths, profile maths, then the rest
    block = lines[i24 + 2 : i25]
    assert [b.split("  ")[1].strip() for b in block] == [
        "Математика (базовая)",
        "Математика (профильная)",
        "Русский язык",
        "Химия",
    ]
    chemistry = block[3].split()
    # ДР1 ДР2 ДР3 | forecast of the last work | actual | error | target | errors per work
    assert chemistry[1:8] == ["43,8", "18,7", "5,1", "17,2", "18,7", "-1,5", "18,38"]
    assert chemistry[8:] == ["+2,8", "/", "+1,2", "/", "-1,5"]
    # errors that round to zero are shown without a sign
    russian = block[2].split()
    assert russian[7] == "+0,1" and russian[9:] == ["0,0", "/", "0,0", "/", "+0,1"]
    # a subject without the third work: its last work's forecast, a dash for ДР3
    base = block[0].split()
    assert base[2:9] == ["5,6", "7,7", "—", "1,1", "0,6", "+0,5", "0,60"]
    # the year without the ЕГЭ: forecast of ДР2, no actual share, no error
    chemistry25 = lines[i25 + 2].split()
    assert chemistry25[1:] == ["40,0", "20,0", "18,0", "—", "—", "18,30"]


def test_no_rows_no_section():
    assert early_warning_table([]) == []
    only_future = [r for r in ROWS if r["year"] == 2025]
    lines = early_warning_table(only_future)
    assert len(lines) == 4 and "ЕГЭ ещё не загружен" in lines[1]


def test_reads_the_mart(warehouse):
    """The query matches marts.gia_early_warning's published columns; absent mart: nothing."""
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        assert early_warning_lines(cur) == []
        cur.execute(
            """
            create schema marts;
            create table marts.gia_early_warning (
                year int, territory_level text, territory_code text, territory_name text,
                subject_code int, subject_name text, work_number int, breakdown_key text,
                participants int, below_at_work int, share_below_at_work numeric,
                linked_students int, p1 numeric, p0 numeric, p1_is_fallback boolean,
                p0_is_fallback boolean, forecast_below numeric, forecast_share numeric,
                ege_results_vtg int, ege_below_vtg int, actual_share numeric,
                error_pp numeric, signal_recall numeric, target_value numeric)
            """
        )
        for r in ROWS:
            for level, code in (("region", "00"), ("municipality", "01")):
                cur.execute(
                    "insert into marts.gia_early_warning (year, territory_level, territory_code,"
                    " subject_code, subject_name, work_number, breakdown_key, participants,"
                    " share_below_at_work, forecast_share, actual_share, error_pp, target_value)"
                    " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        r["year"], level, code, r["subject_code"], r["subject_name"],
                        r["work_number"], f"ДР{r['work_number']}", r["participants"],
                        r["share_below_at_work"] if level == "region" else 99,
                        r["forecast_share"], r["actual_share"], r["error_pp"],
                        r["target_value"],
                    ),
                )  # fmt: skip
        assert early_warning_lines(cur) == early_warning_table(ROWS)
