"""The inbox check (orchestration/inbox.py) against a real warehouse and real runs."""

from __future__ import annotations

import os
import time

import psycopg2

from orchestration import pipeline
from orchestration.inbox import check_inbox
from tests.fixtures.landing import write_reference

HOUR_AGO = time.time() - 3600


def age(path, when=HOUR_AGO):
    os.utime(path, (when, when))
    return path


def test_empty_new_same_changed_and_being_written(warehouse, tmp_path):
    landing = tmp_path / "inbox"
    landing.mkdir()

    empty = check_inbox(landing, settle=60)
    assert (empty.new, empty.settling, empty.known, empty.due) == ([], [], 0, False)
    assert "новых или изменённых файлов нет" in empty.line()

    write_reference(landing)
    for p in landing.rglob("*.csv"):
        age(p)
    (landing / ".hidden.csv").write_text("x")  # hidden names: ignored, as the pipeline does
    first = check_inbox(landing, settle=60)
    assert first.new == ["reference/municipalities.csv", "reference/schools.csv"]
    assert first.due and "новых или изменённых файлов 2" in first.line()

    pipeline.run_all(landing, skip_dbt=True)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute("select rel_path, status from audit.loads order by 1")
        assert cur.fetchall() == [
            ("reference/municipalities.csv", "loaded"),
            ("reference/schools.csv", "loaded"),
        ]
    after = check_inbox(landing, settle=60)
    assert (after.new, after.settling, after.known, after.due) == ([], [], 2, False)
    assert after.hashed == 0  # size and time as recorded: not even read

    # the same bytes copied again (a new modification time): still nothing to do
    schools = landing / "reference/schools.csv"
    age(schools, HOUR_AGO + 60)
    again = check_inbox(landing, settle=60)
    assert (again.new, again.known, again.hashed, again.due) == ([], 2, 1, False)

    # new bytes under the old name: a new version
    schools.write_bytes(
        schools.read_bytes() + "270004;02;Школа № 4;село;муниципальная;0;0\r\n".encode("cp1251")
    )
    age(schools)
    changed = check_inbox(landing, settle=60)
    assert changed.new == ["reference/schools.csv"] and changed.due

    # a file still being written (touched a moment ago), and a writer's temporary name
    ege = landing / "fis_gia/ege"
    ege.mkdir(parents=True)
    (ege / "ege_2024.csv").write_text("Год;Этап\r\n")
    (ege / "ege_2025.csv.part").write_text("Год;Этап\r\n")
    writing = check_inbox(landing, settle=60)
    assert writing.settling == ["fis_gia/ege/ege_2024.csv", "fis_gia/ege/ege_2025.csv.part"]
    assert writing.new == ["reference/schools.csv"] and not writing.due
    assert "ещё записываются" in writing.line()

    # settled: the finished file is new; an old temporary name is left alone
    age(ege / "ege_2024.csv")
    age(ege / "ege_2025.csv.part")
    settled = check_inbox(landing, settle=60)
    assert settled.settling == []
    assert settled.new == ["fis_gia/ege/ege_2024.csv", "reference/schools.csv"]
    assert settled.due


def test_a_live_run_postpones_the_check(warehouse, tmp_path):
    landing = tmp_path / "inbox"
    write_reference(landing)
    for p in landing.rglob("*.csv"):
        age(p)
    run_id = pipeline.prepare(landing, owner="airflow manual__test")
    busy = check_inbox(landing, settle=60)
    assert busy.busy_run == run_id and busy.new and not busy.due
    assert f"идёт запуск №{run_id}" in busy.line()
    pipeline.fail(run_id, "test")
    assert check_inbox(landing, settle=60).due


def test_rejected_files_stay_known_and_a_withdrawn_file_is_new_when_delivered_again(
    warehouse, tmp_path
):
    from orchestration.operations import withdraw_file

    landing = tmp_path / "inbox"
    write_reference(landing)
    (landing / "reference/notes.txt").write_text("не файл источника")  # rejected by a run
    (landing / "readme.docx").write_bytes(b"PK")  # outside the sources: skipped by a run
    for p in landing.rglob("*.*"):
        age(p)
    assert check_inbox(landing, settle=60).new == [
        "readme.docx", "reference/municipalities.csv", "reference/notes.txt",
        "reference/schools.csv",
    ]  # fmt: skip
    pipeline.run_all(landing, skip_dbt=True)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute("select rel_path, status from audit.loads order by 1")
        assert dict(cur.fetchall()) == {
            "readme.docx": "skipped",
            "reference/municipalities.csv": "loaded",
            "reference/notes.txt": "rejected",
            "reference/schools.csv": "loaded",
        }
    # a run would only reject and skip them again: no reason to start one
    quiet = check_inbox(landing, settle=60)
    assert (quiet.new, quiet.known, quiet.due) == ([], 4, False)

    # withdrawn by an operator, the file lying unchanged: a run would skip it
    withdraw_file("reference/schools.csv")
    assert check_inbox(landing, settle=60).new == []
    pipeline.run_all(landing, skip_dbt=True)  # records it as skipped (withdrawn)
    assert check_inbox(landing, settle=60).new == []
    # the same bytes delivered again (a new copy): its rows come back, so it is new
    age(landing / "reference/schools.csv", HOUR_AGO + 120)
    assert check_inbox(landing, settle=60).new == ["reference/schools.csv"]
