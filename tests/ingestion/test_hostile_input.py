"""Hostile and careless input through the real pipeline (PostgreSQL, GX, dbt): a link out of
the landing folder, headerless files, a supplier's extra «ФИО» column, markup in a value,
a file named like a formula, an impossible career report, a malformed СНИЛС, a formula
without a cached value. One run over all of them (module fixture); one test per point.

Personal values of the test files must appear nowhere the run writes: no table column, no
file outside the quarantine folder."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path

import psycopg2
import pytest
from openpyxl import Workbook, load_workbook

from orchestration.cli import main as cli_main
from sources import SOURCES
from tests.fixtures.landing import EGE_HEADER, ege_row, write_csv, write_ege, write_reference
from tests.fixtures.pg import create_database, warehouse_env

pytestmark = pytest.mark.slow

CAREER_HEADERS = list(SOURCES["career"].headers)
OLY_HEADERS = list(SOURCES["olympiad"].headers)
SECRET_LINE = "root:x:0:0:секретная-строка"
# personal values of the test files (surnames, first/middle names, СНИЛС in both spellings,
# document numbers): none of them may reach a table or an output file
PERSONAL = (
    "Кузнецова", "Самойлова", "Петровна", "Мария Ивановна", "Самойлова Анна Игоревна",
    "111-222-333 44", "11122233344", "222-333-444 55", "22233344455", "555-666-777 88",
    "55566677788", "987654",
)  # fmt: skip
# digits-only values are matched as whole words (a hash or uuid may contain any digit run),
# and not after a point: the six digits of "987654" are also the microseconds of one
# timestamp in a million ("00:14:22.987654" in dbt.log), or a fraction of a duration
WORD = {v for v in PERSONAL if v.isdigit()}


def _personal_pattern(value: str) -> str:
    """The pattern for one personal value; Python's re and PostgreSQL's regex read it alike."""
    v = re.escape(value)
    return rf"(?<![0-9A-Za-z.]){v}(?![0-9A-Za-z])" if value in WORD else v


def test_personal_pattern_finds_a_value_but_not_a_fraction_of_a_second():
    found = [re.search(_personal_pattern("987654"), t) is not None for t in (
        "4510;987654;", "4510 987654", '"number": "987654"', "987654",
        "00:14:22.987654 [debug]", "in 1.987654s", "1987654", "9876540", "a987654",
    )]  # fmt: skip
    assert found == [True, True, True, True, False, False, False, False, False]


def career_row(school="270001", students=100, grads_9=20, continued=15):
    return ["2023/2024", "01", school, students, 40, 30, 25, grads_9, 10, continued, 3, 12, 4,
            5, 2, "основной"]  # fmt: skip


def xlsx(path: Path, sheet: str, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.active.title = sheet
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def build_landing(root: Path, outside: Path) -> None:
    write_reference(root)
    ege = root / "fis_gia/ege"
    write_ege(
        ege / "good.csv",
        [
            ege_row(),
            ege_row(subject=2, test=55),
            ege_row(snils="222-333-444 55", surname="Кузнецова", test=64, school="270002"),
            ege_row(snils="555-666-777 88", surname="Самойлова", test=81, school="270003",
                    ate="02"),
            # malformed СНИЛС with a document: falls back to the document
            ege_row(snils="12-34", series="4510", number="987654", surname="Кузнецова",
                    subject=6, test=50),
            # malformed СНИЛС without a document: quarantined
            ege_row(snils="12-34", surname="Кузнецова", subject=7, test=60),
        ],
    )  # fmt: skip
    # a supplier's extra «ФИО» column: loaded, the column itself not stored
    rows = [ege_row(snils="222-333-444 55", subject=12, test=70)]
    header = [*EGE_HEADER, "ФИО"]
    write_csv(
        ege / "with_fio.csv",
        header,
        [[*(r.get(h) for h in EGE_HEADER), "Самойлова Анна Игоревна"] for r in rows],
    )
    # markup in a value: the row is quarantined; GX samples the value for Data Docs
    bad = ege_row(snils="555-666-777 88", subject=1, test=80)
    bad["Этап"] = "<img src=x onerror=alert(1)>"
    write_ege(ege / "markup.csv", [ege_row(snils="555-666-777 88", subject=9, test=66), bad])
    # no header row: the first line is data with names and a СНИЛС
    first = ege_row(snils="222-333-444 55", surname="Кузнецова")
    first["Имя"], first["Отчество"] = "Мария Ивановна", "Петровна"
    lines = [";".join("" if first[h] is None else str(first[h]) for h in EGE_HEADER)]
    (ege / "headerless.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    # a link to a file outside the landing folder
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "passwd").write_text(SECRET_LINE + "\n", encoding="utf-8")
    os.symlink(outside / "passwd", ege / "passwd.csv")

    # broken files: the parser's and the zip reader's English must not reach the message
    good_lines = write_ege(ege / "broken_fields.csv", [ege_row(), ege_row(subject=2)])
    lines = good_lines.read_text(encoding="utf-8").splitlines()
    lines[2] += ";лишнее;ещё"
    good_lines.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    # a folder the contract does not name, and a file outside every folder
    (root / "regional/other").mkdir(parents=True)
    (root / "regional/other/dr_2024.csv").write_text("Учебный год;Номер ДР\n", "utf-8")
    (root / "readme.txt").write_text("пояснения поставщика", encoding="utf-8")

    career = root / "uploads/career"
    xlsx(career / "=1+1.xlsx", "Отчёт", [CAREER_HEADERS, career_row()])
    xlsx(
        career / "impossible.xlsx",
        "Отчёт",
        [CAREER_HEADERS, career_row(school="270002"),
         career_row(school="270003", grads_9=20, continued=25)],
    )  # fmt: skip
    whole = xlsx(career / "truncated.xlsx", "Отчёт", [CAREER_HEADERS, career_row()])
    whole.write_bytes(whole.read_bytes()[:1500])
    oly = root / "uploads/olympiad"
    xlsx(
        oly / "headerless.xlsx",
        "Результаты",
        [["2023/2024", "ВсОШ", "школьный", "Химия", 8, "01", "270001", "111-222-333 44", 10,
          20, "участник"]],
    )  # fmt: skip
    xlsx(
        oly / "formula.xlsx",
        "Результаты",
        [
            OLY_HEADERS,
            ["2023/2024", "ВсОШ", "школьный", "Химия", 8, "01", "270001", "111-222-333 44", 10,
             20, "участник"],
            ["2023/2024", "ВсОШ", "школьный", "Физика", 8, "01", "=G2", "222-333-444 55", 12,
             20, "призёр"],
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def hostile(pg_server, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    landing = base / "landing"
    build_landing(landing, base / "outside")
    dsn = create_database(pg_server)
    state = base / "state"
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with warehouse_env(dsn, state):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli_main(["run", "--landing", str(landing), "--quiet"])
        yield {
            "dsn": dsn,
            "rc": rc,
            "out": out.getvalue() + err.getvalue(),
            "state": state,
            "landing": landing,
        }


def q(dsn, sql, params=None):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def load_of(hostile, rel):
    rows = q(
        hostile["dsn"],
        "select load_id, status, message from audit.loads where rel_path = %s"
        " order by load_id desc limit 1",
        (rel,),
    )
    assert rows, f"{rel} not in audit.loads"
    return rows[0]


def test_parser_and_zip_errors_are_told_in_russian(hostile):
    expected = {
        "fis_gia/ege/broken_fields.csv": "в строке 3 полей 21, а в заголовке 19",
        "uploads/career/truncated.xlsx": "файл не является книгой Excel (.xlsx)",
    }
    for rel, text in expected.items():
        _, status, message = load_of(hostile, rel)
        assert status == "rejected" and text in message, message
        words = set(re.findall(r"[A-Za-z]{3,}", message.split("Копия файла")[0]))
        assert words <= {"CSV", "XLSX", "xlsx", "Excel"}, (rel, message)


def test_files_outside_loaded_sources_are_reported_not_silently_ignored(hostile):
    for rel, text in (
        ("regional/other/dr_2024.csv", "вне папок источников"),
        ("readme.txt", "вне папок источников"),
    ):
        _, status, message = load_of(hostile, rel)
        assert status == "skipped" and text in message, message
        assert f"ПРОПУЩЕН {rel}" in hostile["out"]


def test_region_still_publishes(hostile):
    assert hostile["rc"] == 3, hostile["out"][-3000:]  # published, some files rejected
    assert q(hostile["dsn"], "select status from audit.runs") == [("published",)]
    assert q(hostile["dsn"], "select count(*) from marts.indicator_values")[0][0] > 0


def test_link_out_of_landing_is_rejected_unread(hostile):
    _, status, message = load_of(hostile, "fis_gia/ege/passwd.csv")
    assert status == "rejected" and "символическая ссылка" in message
    assert "root:" not in hostile["out"] and "секретная" not in hostile["out"]
    quarantine = hostile["state"] / "quarantine"
    for path in quarantine.iterdir():
        assert SECRET_LINE.encode() not in path.read_bytes()
    dump = q(hostile["dsn"], "select string_agg(coalesce(message, ''), ' ') from audit.loads")
    assert "root:" not in dump[0][0]


def test_headerless_files_rejected_without_quoting_their_first_row(hostile):
    for rel in ("fis_gia/ege/headerless.csv", "uploads/olympiad/headerless.xlsx"):
        _, status, message = load_of(hostile, rel)
        assert status == "rejected", rel
        assert "строка заголовка пропущена" in message, message
        for value in PERSONAL:
            assert value not in message, (rel, value)


def test_extra_fio_column_is_not_stored_only_named(hostile):
    load_id, status, message = load_of(hostile, "fis_gia/ege/with_fio.csv")
    assert status == "loaded"
    assert "неизвестные столбцы не сохраняются: ФИО" in message
    assert q(hostile["dsn"], "select count(*) from raw.gia_results where extra is not null") == [
        (0,)
    ]


def test_markup_never_becomes_an_element_in_data_docs(hostile):
    from html.parser import HTMLParser

    docs = hostile["state"] / "data_docs"
    pages = list(docs.rglob("*.html"))
    assert pages

    class Tags(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            if "onerror" in values or (tag == "img" and values.get("src") == "x"):
                self.found.append((tag, attrs))

    sampled = False
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        sampled |= "img src=x onerror" in text.replace("‹", "").replace("&lt;", "")
        parser = Tags()
        parser.feed(text)
        assert parser.found == [], page
    assert sampled, "the markup value was not sampled anywhere: the test would prove nothing"
    # the row itself is quarantined with a reason
    reasons = q(
        hostile["dsn"],
        "select reason from audit.quarantine join audit.loads using (load_id)"
        " where rel_path = 'fis_gia/ege/markup.csv'",
    )
    assert len(reasons) == 1 and "«Этап»: недопустимое значение" in reasons[0][0]


def test_formula_like_file_name_is_text_in_every_workbook(hostile):
    books = list((hostile["state"] / "reports").rglob("*.xlsx"))
    assert any("_1_1" in p.name for p in books)  # the file name is made safe
    texts = []
    for path in books:
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, cell.coordinate, cell.value)
                    texts.append(str(cell.value))
    assert any("=1+1.xlsx" in t for t in texts)


def test_impossible_career_row_quarantined_and_named_in_feedback(hostile):
    load_id, status, _ = load_of(hostile, "uploads/career/impossible.xlsx")
    assert status == "loaded"
    rows = q(
        hostile["dsn"],
        "select source_row, reason from audit.quarantine where load_id = %s",
        (load_id,),
    )
    assert len(rows) == 1
    assert "продолживших обучение в 10 классе» больше, чем «Выпускников 9 классов»" in rows[0][1]
    assert q(hostile["dsn"], "select school_code from raw.career_reports order by 1") == [
        ("270001",),
        ("270002",),
    ]
    page = next((hostile["state"] / "reports").rglob("*impossible*.html")).read_text("utf-8")
    assert "продолживших обучение в 10 классе" in page and ">3<" in page  # Excel row 3


def test_malformed_snils_falls_back_to_document_or_is_quarantined(hostile):
    import hashlib
    import hmac

    from tests.fixtures.pg import TEST_KEY

    doc_key = hmac.new(TEST_KEY.encode(), b"4510987654", hashlib.sha256).hexdigest()
    assert q(
        hostile["dsn"], "select subject_code from raw.gia_results where person_key = %s", (doc_key,)
    ) == [(6,)]
    reasons = q(
        hostile["dsn"],
        "select reason from audit.quarantine join audit.loads using (load_id)"
        " where rel_path = 'fis_gia/ege/good.csv'",
    )
    assert [r[0] for r in reasons] == [
        "«СНИЛС» не из 11 цифр, а серии и номера документа нет — участника нельзя идентифицировать"
    ]


def test_formula_without_cached_value_is_named(hostile):
    load_id, status, _ = load_of(hostile, "uploads/olympiad/formula.xlsx")
    assert status == "loaded"
    reasons = q(
        hostile["dsn"], "select source_row, reason from audit.quarantine where load_id = %s",
        (load_id,),
    )  # fmt: skip
    assert len(reasons) == 1
    assert "«Код ОО»: формула без вычисленного значения (ячейка G3)" in reasons[0][1]
    assert q(hostile["dsn"], "select count(*) from raw.olympiad_results") == [(1,)]


def test_quarantine_copies_readable_by_the_service_user_only(hostile):
    folder = hostile["state"] / "quarantine"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    copies = list(folder.iterdir())
    assert copies  # the rejected headerless files
    for path in copies:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert cli_main(["quarantine", "purge", "--days", "0"]) == 0
    assert list(folder.iterdir()) == []


def test_no_personal_value_in_any_table_or_output_file(hostile):
    dsn = hostile["dsn"]
    pattern = "|".join(_personal_pattern(v) for v in PERSONAL)
    # PostgreSQL reads the pattern as Python does (a leak found, a timestamp not)
    assert q(dsn, "select %s ~ %s, %s ~ %s, %s ~ %s", (
        "4510;987654;", pattern, "00:14:22.987654", pattern, "Анна Кузнецова", pattern,
    )) == [(True, False, True)]  # fmt: skip
    columns = q(
        dsn,
        "select table_schema, table_name, column_name from information_schema.columns c"
        " join information_schema.tables t using (table_schema, table_name)"
        " where table_schema not in ('pg_catalog', 'information_schema')"
        " and t.table_type = 'BASE TABLE'"
        " and data_type in ('text', 'jsonb', 'json', 'character varying', 'ARRAY')",
    )
    assert len(columns) > 50
    for schema, table, column in columns:
        hits = q(
            dsn,
            f'select count(*) from "{schema}"."{table}" where "{column}"::text ~ %s',
            (pattern,),
        )
        assert hits == [(0,)], f"personal data in {schema}.{table}.{column}"
    checked = 0
    for path in hostile["state"].rglob("*"):
        if not path.is_file() or "quarantine" in path.parts:
            continue
        data = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                data = b"".join(zf.read(n) for n in zf.namelist())
        text = data.decode("utf-8", errors="ignore")
        for value in PERSONAL:
            found = re.search(_personal_pattern(value), text)
            assert not found, (str(path.relative_to(hostile["state"])), value)
        checked += 1
    assert checked > 10
    for value in PERSONAL:
        assert value not in hostile["out"], value
