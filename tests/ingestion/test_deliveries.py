"""Several files, re-deliveries and corrections (sources.md), through a real PostgreSQL:
files add up, a new version of a name replaces its predecessor, a row corrected by another
file keeps both in the audit trail, the same bytes load once, withdraw and re-deliver —
and every replacement is printed and audited.

`test_two_parts_per_year_equal_one_file_per_year` runs dbt twice (slow)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import zlib

import psycopg2
import pytest

from ingestion.encoding import detect_encoding
from orchestration.cli import main as cli_main
from tests.fixtures.landing import ege_row, write_ege, write_reference
from tests.fixtures.pg import create_database, warehouse_env

CURRENT = (
    "select subject_code, stage, test_score from raw.gia_results where replaced_by is null"
    " order by 1, 2"
)


def query(dsn, sql, params=()):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params or None)
        return cur.fetchall()


def run(landing, capsys=None) -> tuple[int, str]:
    rc = cli_main(["run", "--landing", str(landing), "--quiet", "--skip-dbt"])
    out = ""
    if capsys is not None:
        captured = capsys.readouterr()
        out = captured.out + captured.err
    return rc, out


def touch_later(path, seconds=5):
    """A new delivery of the same file: a later modification time."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    write_reference(root)
    return root


def test_new_version_under_same_name_replaces_everything_it_loaded(warehouse, landing, capsys):
    path = landing / "fis_gia/ege/ege_2023.csv"
    write_ege(path, [ege_row(test=20), ege_row(subject=2, test=40), ege_row(subject=6, test=55)])
    assert run(landing)[0] == 0
    write_ege(path, [ege_row(test=25), ege_row(subject=2, test=40)])  # biology row removed
    touch_later(path)
    rc, out = run(landing, capsys)
    assert rc == 0
    assert query(warehouse, "select subject_code, test_score from raw.gia_results order by 1") == [
        (1, 25),
        (2, 40),
    ]
    loads = query(
        warehouse,
        "select load_id, status, superseded_by from audit.loads where rel_path = %s"
        " order by load_id",
        (str(path.relative_to(landing)),),
    )
    (old_id, old_status, by), (new_id, new_status, _) = loads
    assert (old_status, new_status, by) == ("superseded", "loaded", new_id)
    assert query(
        warehouse, "select event, load_id, by_load_id, rows_removed from audit.load_events"
    ) == [("new_version", old_id, new_id, 3)]
    assert "файл fis_gia/ege/ege_2023.csv заменён новой версией" in out
    assert "замен: файлов новой версией — 1 (удалено строк прежних версий: 3)" in out


def test_row_corrected_by_another_file_new_value_wins_audit_has_both(warehouse, landing, capsys):
    write_ege(landing / "fis_gia/ege/a.csv", [ege_row(test=20), ege_row(subject=2, test=40)])
    assert run(landing)[0] == 0
    write_ege(landing / "fis_gia/ege/b_fix.csv", [ege_row(test=24)])
    rc, out = run(landing, capsys)
    assert rc == 0
    assert query(warehouse, CURRENT) == [(1, "основной", 24), (2, "основной", 40)]
    # the displaced row stays in raw, marked with the load that corrected it
    assert query(
        warehouse,
        "select r.test_score, l.rel_path from raw.gia_results r join audit.loads l"
        " on l.load_id = r.replaced_by",
    ) == [(20, "fis_gia/ege/b_fix.csv")]
    trail = query(
        warehouse,
        "select o.rel_path, r.old_source_row, n.rel_path, r.new_source_row,"
        " r.old_values ->> 'test_score', r.new_values ->> 'test_score', r.changed_columns"
        " from audit.row_replacements r join audit.loads o on o.load_id = r.old_load_id"
        " join audit.loads n on n.load_id = r.new_load_id where r.event = 'replaced'",
    )
    assert trail == [("fis_gia/ege/a.csv", 1, "fis_gia/ege/b_fix.csv", 1, "20", "24",
                      ["test_score"])]  # fmt: skip
    assert "файл fis_gia/ege/b_fix.csv исправил 1 строку файла fis_gia/ege/a.csv" in out
    assert "строк исправлено другими файлами — 1" in out
    from reporting.audit_report import write_audit_report

    page = write_audit_report().read_text(encoding="utf-8")
    assert "строки исправлены более поздним файлом" in page and "fis_gia/ege/b_fix.csv" in page


def test_same_bytes_under_two_names_load_once(warehouse, landing, capsys):
    rows = [ege_row(test=20), ege_row(subject=2, test=40)]
    write_ege(landing / "fis_gia/ege/a.csv", rows)
    shutil.copy(landing / "fis_gia/ege/a.csv", landing / "fis_gia/ege/a_copy.csv")
    rc, out = run(landing, capsys)
    assert rc == 0
    assert "ПРОПУЩЕН fis_gia/ege/a_copy.csv: то же содержимое уже загружено" in out
    assert query(warehouse, "select count(*) from raw.gia_results") == [(2,)]
    assert query(
        warehouse, "select rel_path, status from audit.loads where source = 'ege' order by 1"
    ) == [("fis_gia/ege/a.csv", "loaded"), ("fis_gia/ege/a_copy.csv", "duplicate")]
    msg = query(warehouse, "select message from audit.loads where rel_path like '%a_copy.csv'")
    assert "то же содержимое уже загружено из файла fis_gia/ege/a.csv" in msg[0][0]
    # and a second run: nothing new, nothing replaced
    run(landing)
    assert query(warehouse, "select count(*) from raw.gia_results") == [(2,)]
    assert query(warehouse, "select count(*) from audit.row_replacements") == [(0,)]


def test_withdraw_then_redeliver(warehouse, landing, capsys):
    a = write_ege(landing / "fis_gia/ege/a.csv", [ege_row(test=20), ege_row(subject=2, test=40)])
    assert run(landing)[0] == 0
    b = write_ege(landing / "fis_gia/ege/b.csv", [ege_row(test=24)])
    assert run(landing)[0] == 0
    capsys.readouterr()

    # unknown names: a clear error, exit 2, nothing changed
    assert cli_main(["withdraw", "nope.csv"]) == 2
    assert "файл «nope.csv» не загружен" in capsys.readouterr().err
    assert cli_main(["withdraw", "999999"]) == 2

    # withdraw b: its row goes, a's corrected row is current again
    assert cli_main(["withdraw", "b.csv", "--reason", "доставлен по ошибке"]) == 0
    out = capsys.readouterr().out
    assert "Файл fis_gia/ege/b.csv" in out and "отозван: удалено строк: 1" in out
    assert "Строки файла fis_gia/ege/a.csv снова действуют" in out and "строк: 1" in out
    assert query(warehouse, CURRENT) == [(1, "основной", 20), (2, "основной", 40)]
    events = query(warehouse, "select event, rows_removed, reason from audit.load_events")
    assert events == [("withdrawn", 1, "доставлен по ошибке")]

    # b still lies in the landing folder unchanged: it stays withdrawn
    rc, out = run(landing, capsys)
    assert rc == 0 and "отозван оператором" in out
    assert query(warehouse, CURRENT) == [(1, "основной", 20), (2, "основной", 40)]
    assert query(warehouse, "select status from audit.loads where rel_path = 'fis_gia/ege/b.csv'"
                 " order by load_id") == [("withdrawn",), ("skipped",)]  # fmt: skip

    # delivered again: restored exactly (its row wins again)
    touch_later(b)
    rc, out = run(landing, capsys)
    assert rc == 0 and "доставлен повторно после отзыва" in out
    assert query(warehouse, CURRENT) == [(1, "основной", 24), (2, "основной", 40)]

    # withdrawing and re-delivering the EARLIER file keeps the later file's correction
    assert cli_main(["withdraw", "fis_gia/ege/a.csv"]) == 0
    assert query(warehouse, CURRENT) == [(1, "основной", 24)]
    touch_later(a)
    assert run(landing)[0] == 0
    assert query(warehouse, CURRENT) == [(1, "основной", 24), (2, "основной", 40)]

    # the operator's list
    capsys.readouterr()
    assert cli_main(["loads", "--source", "ege"]) == 0
    listing = capsys.readouterr().out
    assert "fis_gia/ege/a.csv" in listing and "отозван" in listing
    assert "Всего:" in listing and "действующих файлов: 2" in listing
    assert cli_main(["loads", "--year", "2023", "--source", "fis_gia/ege"]) == 0
    assert "fis_gia/ege/b.csv" in capsys.readouterr().out


def test_files_of_one_run_add_in_delivery_order(warehouse, landing):
    """Two files delivered together: the one written later (modification time) wins a
    shared key, whatever the names; rows with other keys simply add."""
    late = write_ege(landing / "fis_gia/ege/a_late.csv", [ege_row(test=30)])
    early = write_ege(
        landing / "fis_gia/ege/z_early.csv", [ege_row(test=10), ege_row(subject=2, test=40)]
    )
    st = early.stat()
    os.utime(early, ns=(st.st_atime_ns, late.stat().st_mtime_ns - 10**9))
    assert run(landing)[0] == 0
    assert query(warehouse, CURRENT) == [(1, "основной", 30), (2, "основной", 40)]


# ---------------------------------------------------------------------------------------
# the region of the bug report: every year's ЕГЭ in two complementary parts


def _read_rows(path):
    text = path.read_bytes().decode(detect_encoding(path))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    header = next(reader)
    return header, [r for r in reader if r]


def _write(path, header, rows, encoding):
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))


def _split_landings(generated, single, parts):
    """`single`: one ЕГЭ file per year; `parts`: the same rows in two files per year
    (part1 Windows-1251, part2 UTF-8 with BOM and an extra column), split by person so
    both parts cover every school, subject and stage."""
    for target in (single, parts):
        shutil.copytree(generated / "reference", target / "reference")
        (target / "fis_gia/ege").mkdir(parents=True)
    by_year: dict[str, tuple[list, list]] = {}
    for path in sorted((generated / "fis_gia/ege").glob("*.csv")):
        header, rows = _read_rows(path)
        canon = sorted(header)
        idx = [header.index(h) for h in canon]
        year_col = canon.index("Год")
        for r in rows:
            row = [r[i] for i in idx]
            by_year.setdefault(row[year_col], (canon, []))[1].append(row)
    total = 0
    for year, (header, rows) in sorted(by_year.items()):
        total += len(rows)
        _write(single / f"fis_gia/ege/ege_{year}.csv", header, rows, "utf-8")
        who = [header.index(h) for h in ("СНИЛС", "Серия документа", "Номер документа")]
        part1, part2 = [], []
        for row in rows:
            (part1 if zlib.crc32("|".join(row[i] for i in who).encode()) % 2 else part2).append(row)
        _write(parts / f"fis_gia/ege/ege_{year}_part1.csv", header, part1, "cp1251")
        _write(
            parts / f"fis_gia/ege/ege_{year}_part2.csv",
            [*header, "Примечание"],
            [[*r, "выгрузка РЦОИ"] for r in part2],
            "utf-8-sig",
        )
    return total


MARTS = (
    "select * from marts.indicator_values order by indicator_code, year, territory_level,"
    " territory_code, exam, subject_code, participant_category, grade, breakdown_key",
    "select * from marts.territory_ratings order by year, territory_level, territory_code,"
    " indicator_code, exam, subject_code, participant_category, grade, breakdown_key",
)


@pytest.mark.slow
def test_two_parts_per_year_equal_one_file_per_year(pg_server, tmp_path, capsys):
    from synthetic import generate

    generated = tmp_path / "generated"
    generate(generated, seed=11, scale=0.05)
    single, parts = tmp_path / "single", tmp_path / "parts"
    total = _split_landings(generated, single, parts)

    results = {}
    for name, folder in (("single", single), ("parts", parts)):
        dsn = create_database(pg_server)
        with warehouse_env(dsn, tmp_path / f"state_{name}"):
            rc = cli_main(["run", "--landing", str(folder), "--quiet"])
            assert rc in (0, 3), capsys.readouterr().err
            out = capsys.readouterr().out
            results[name] = {
                "marts": [query(dsn, sql) for sql in MARTS],
                "read": query(dsn, "select sum(rows_read) from audit.loads where source = 'ege'")[
                    0
                ][0],
                "current": query(
                    dsn, "select count(*) from raw.gia_results where replaced_by is null"
                )[0][0],
                "statuses": query(
                    dsn, "select distinct status from audit.loads where source = 'ege'"
                ),
                "replaced": query(dsn, "select count(*) from audit.row_replacements")[0][0],
                "out": out,
            }
    s, p = results["single"], results["parts"]
    assert s["read"] == p["read"] == total  # every row counted
    assert s["current"] == p["current"] > 0
    assert p["statuses"] == [("loaded",)] and p["replaced"] == 0
    assert "замен: файлов новой версией — 0" in p["out"]
    assert len(s["marts"][0]) > 100
    assert p["marts"] == s["marts"]  # every indicator and rating as with one file per year


def test_rows_loaded_before_natural_keys_get_them_on_the_next_run(warehouse, landing):
    """A warehouse upgraded from a version without natural keys: the next run computes the
    keys of the old rows and keeps the later delivery's row current."""
    assert run(landing)[0] == 0  # schema + reference
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            "insert into audit.loads (run_id, source, rel_path, file_name, sha256, status)"
            " values (1, 'ege', 'fis_gia/ege/old.csv', 'old.csv', 'x1', 'loaded'),"
            " (1, 'ege', 'fis_gia/ege/old_fix.csv', 'old_fix.csv', 'x2', 'loaded')"
            " returning load_id"
        )
        first, second = (r[0] for r in cur.fetchall())
        for load_id, score in ((first, 20), (second, 23)):
            cur.execute(
                "insert into raw.gia_results (load_id, source_row, gia_level, year, stage,"
                " exam_date, form, ate_code, school_code, category, person_key,"
                " subject_code, test_score, status) values (%s, 1, 11, 2023, 'основной',"
                " '2023-06-03', 'ЕГЭ', '01', '270001', 'ВТГ', 'p1', 1, %s, 'действителен')",
                (load_id, score),
            )
    assert run(landing)[0] == 0
    assert query(
        warehouse,
        "select test_score, replaced_by from raw.gia_results order by load_id",
    ) == [(20, second), (23, None)]
    assert query(warehouse, "select count(*) from raw.gia_results where nk is null") == [(0,)]


def test_new_version_hands_a_key_back_to_the_next_latest_file(warehouse, landing, capsys):
    """a < b < c hold the same key; c's new version drops it: b's row is current again and
    the run says that b now corrects a (a pair of two other files)."""
    write_ege(landing / "fis_gia/ege/a.csv", [ege_row(test=20)])
    assert run(landing)[0] == 0
    write_ege(landing / "fis_gia/ege/b.csv", [ege_row(test=22)])
    assert run(landing)[0] == 0
    c = write_ege(landing / "fis_gia/ege/c.csv", [ege_row(test=24)])
    assert run(landing)[0] == 0
    write_ege(c, [ege_row(subject=2, test=40)])
    touch_later(c)
    rc, out = run(landing, capsys)
    assert rc == 0
    assert query(warehouse, CURRENT) == [(1, "основной", 22), (2, "основной", 40)]
    assert "файл fis_gia/ege/b.csv исправил 1 строку файла fis_gia/ege/a.csv" in out
    assert "строки файла fis_gia/ege/b.csv снова действуют" in out


_RAW_SLICES = (
    "select r.load_id, r.year::integer, array[coalesce(r.stage::text, ''),"
    " coalesce(r.form::text, ''), coalesce(r.ate_code::text, ''),"
    " coalesce(r.subject_code::text, '')], count(*)::bigint from raw.gia_results r"
    " join audit.loads l on l.load_id = r.load_id and l.status = 'loaded'"
    " group by 1, 2, 3 order by 1, 2, 3"
)


def test_row_count_baseline_counts_follow_the_loaded_files(warehouse, landing):
    """The row count's baseline comes from per-load counts by slice written at commit
    (ingestion/baseline.py): they equal a count over the raw rows of the loaded files, go
    with a superseded version, and give the previous year's rows of the file's slices."""
    old = landing / "fis_gia/ege/ege_2023.csv"
    rows = [ege_row(snils=f"111-222-333 {n:02d}") for n in range(10, 13)]
    rows += [ege_row(snils="111-222-333 20", category="ВПЛ", school="")]  # NULL school
    rows += [ege_row(snils=f"111-222-333 {n:02d}", subject=2) for n in (30, 31)]
    write_ege(old, rows)
    assert run(landing)[0] == 0
    (first,) = query(warehouse, "select load_id from audit.loads where rel_path like '%2023%'")
    counts = (
        "select c.load_id, c.year, c.slice, c.rows from audit.load_slice_counts c"
        " join audit.loads l using (load_id) where l.source = 'ege' order by 1, 2, 3"
    )
    assert query(warehouse, counts) == [
        (first[0], 2023, ["основной", "ЕГЭ", "01", "1"], 4),
        (first[0], 2023, ["основной", "ЕГЭ", "01", "2"], 2),
    ]

    new = landing / "fis_gia/ege/ege_2024.csv"
    write_ege(
        new,
        [ege_row(snils=f"111-222-333 {n:02d}", year=2024, date="03.06.2024") for n in (40, 41)],
    )
    assert run(landing)[0] == 0
    # 4 rows of 2023 in the file's one slice (основной, ЕГЭ, 01, предмет 1): range 2–8
    (kwargs,) = query(
        warehouse,
        "select v.kwargs from audit.validation_results v join audit.loads l using (load_id)"
        " where l.rel_path like '%2024%'"
        " and v.expectation_type = 'expect_table_row_count_to_be_between'",
    )
    assert (kwargs[0]["min_value"], kwargs[0]["max_value"]) == (2, 8)

    write_ege(old, rows[:2])  # a new version of 2023: its predecessor's counts go
    touch_later(old)
    assert run(landing)[0] == 0
    assert query(warehouse, counts) == query(warehouse, _RAW_SLICES)
    # the reference files: one count per load, no year (all rows of the current version)
    assert query(
        warehouse,
        "select l.source, c.year, c.slice, c.rows from audit.load_slice_counts c"
        " join audit.loads l using (load_id) where l.source <> 'ege' order by 1",
    ) == [("municipalities", None, [], 2), ("schools", None, [], 3)]
    assert [r[1:] for r in query(warehouse, counts)] == [
        (2024, ["основной", "ЕГЭ", "01", "1"], 2),
        (2023, ["основной", "ЕГЭ", "01", "1"], 2),  # the new version, a later load
    ]
