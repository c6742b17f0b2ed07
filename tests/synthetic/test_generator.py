"""The synthetic region generator (synthetic): layout, format, calibration."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sources import SOURCES
from synthetic import generate

EGE_COLUMNS = [
    "Год", "Этап", "Дата экзамена", "Форма", "Код АТЕ", "Код ОО", "Категория участника",
    "Фамилия", "Имя", "Отчество", "СНИЛС", "Серия документа", "Номер документа",
    "Код предмета", "Предмет", "Первичный балл", "Тестовый балл", "Отметка",
    "Статус результата",
]  # fmt: skip
OGE_COLUMNS = [c for c in EGE_COLUMNS if c != "Тестовый балл"]
STATUSES = {"действителен", "аннулирован", "не явился", "удалён", "на апелляции"}
STAGES = {"досрочный", "основной", "резервный", "дополнительный"}
MIN_SCORE = {1: 24, 2: 27, 3: 36, 4: 36, 5: 40, 6: 36, 7: 32, 8: 37, 9: 22, 10: 22, 11: 22,
             29: 22, 12: 42, 18: 32}  # fmt: skip
# Seed 002: share of ЕГЭ results below the minimum, Хабаровский край (percent).
PUBLISHED = {
    2023: {22: 0.98, 2: 8.31, 1: 0.26, 3: 7.7, 4: 23.18, 6: 20.49},
    2024: {22: 0.6, 2: 5.74, 1: 0.14, 3: 6.25, 4: 18.38, 6: 16.67},
}
GIA_FILES = {
    "reference/municipalities.csv",
    "reference/schools.csv",
    "reference/targets.csv",
    *(f"fis_gia/ege/ege_{y}_{s}.csv" for y in (2022, 2023, 2024)
      for s in ("dosrochny", "osnovnoy", "rezervny", "dopolnitelny")),
    *(f"fis_gia/oge/oge_{y}.csv" for y in (2020, 2021, 2022)),
    *(f"fis_gia/oge/oge_{y}_{g}.csv" for y in (2023, 2024)
      for g in ("khabarovsk", "other_municipalities")),
}  # fmt: skip
MUNICIPALITY_CODES = [f"{i:02d}" for i in range(1, 20)]
UPLOAD_YEARS = (2023, 2024)
OLYMPIAD_FILES = {
    f"uploads/olympiad/olimpiady_{a}_{y - 1}-{y}.xlsx" for y in UPLOAD_YEARS
    for a in MUNICIPALITY_CODES
}  # fmt: skip
CAREER_FILES = {
    f"uploads/career/proforientatsiya_{a}_{y - 1}-{y}.xlsx" for y in UPLOAD_YEARS
    for a in MUNICIPALITY_CODES
}  # fmt: skip
VPR_STEMS = {f"fis_oko/vpr/vpr_{y}_{a}" for y in UPLOAD_YEARS for a in MUNICIPALITY_CODES}
DR_FILES = {f"regional/diagnostic/dr_{y}_{n}.csv" for y in (2022, 2023, 2024) for n in (1, 2, 3)}


def decode(raw: bytes) -> tuple[str, str]:
    """(encoding, text) the way the contract asks: BOM, else strict UTF-8, else cp1251."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", raw[3:].decode("utf-8")
    try:
        return "utf-8", raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1251", raw.decode("cp1251")


def read_csv(path: Path) -> pd.DataFrame:
    _, text = decode(path.read_bytes())
    return pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)


def to_int(col: pd.Series) -> pd.Series:
    """'23', '23,0' -> 23; '' -> <NA>."""
    return pd.to_numeric(col.str.replace(",", ".", regex=False), errors="coerce").astype("Int64")


def load(folder: Path, source: str) -> pd.DataFrame:
    frames = []
    for path in sorted((folder / "fis_gia" / source).glob("*.csv")):
        frame = read_csv(path)
        frame["file"] = path.name
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True).fillna("")
    df["year"] = df["Год"].astype(int)
    df["subject"] = df["Код предмета"].astype(int)
    for col, name in (("Первичный балл", "primary"), ("Тестовый балл", "test"),
                      ("Отметка", "mark")):  # fmt: skip
        df[name] = to_int(df[col]) if col in df else pd.Series(pd.NA, index=df.index, dtype="Int64")
    digits = df["СНИЛС"].str.replace(r"\D", "", regex=True)
    doc = df["Серия документа"].str.replace(r"\D", "", regex=True) + df[
        "Номер документа"
    ].str.replace(r"\D", "", regex=True)
    df["person"] = np.where(digits != "", "S" + digits, "D" + doc)
    return df


def best_results(df: pd.DataFrame, schools: set[str]) -> pd.DataFrame:
    """Best valid result per person, year, form and subject (rows the pipeline accepts)."""
    ok = (
        (df["Статус результата"] == "действителен")
        & (df["Код ОО"].isin(schools) | (df["Код ОО"] == ""))
        & ~(df["test"].fillna(0) > 100)
    )
    v = df[ok].copy()
    v["score"] = v["test"].where(v["test"].notna(), v["mark"])
    return v.groupby(["person", "year", "Форма", "subject"], as_index=False).agg(
        score=("score", "max"), ate=("Код АТЕ", "first"), category=("Категория участника", "first")
    )


@pytest.fixture(scope="session")
def landing(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("landing")
    summary = generate(out, seed=42, scale=1.0)
    return out, summary


@pytest.fixture(scope="session")
def ege(landing) -> pd.DataFrame:
    return load(landing[0], "ege")


@pytest.fixture(scope="session")
def oge(landing) -> pd.DataFrame:
    return load(landing[0], "oge")


@pytest.fixture(scope="session")
def school_codes(landing) -> set[str]:
    return set(read_csv(landing[0] / "reference" / "schools.csv")["Код ОО"])


@pytest.fixture(scope="session")
def ege_best(ege, school_codes) -> pd.DataFrame:
    return best_results(ege, school_codes)


def test_layout_and_headers(landing):
    out, summary = landing
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(summary["files"]) == written
    vpr = {w for w in written if w.startswith("fis_oko/vpr/")}
    assert {w.rsplit(".", 1)[0] for w in vpr} == VPR_STEMS and len(vpr) == len(VPR_STEMS)
    assert {w.rsplit(".", 1)[1] for w in vpr} == {"csv", "xlsx"}
    assert sum(w.endswith(".xlsx") for w in vpr) < sum(w.endswith(".csv") for w in vpr)
    assert written == GIA_FILES | vpr | OLYMPIAD_FILES | CAREER_FILES | DR_FILES
    for rel in GIA_FILES:
        header = read_csv(out / rel).columns.tolist()
        if rel.startswith("fis_gia/ege/"):
            assert sorted(header) == sorted(EGE_COLUMNS), rel
        elif rel.startswith("fis_gia/oge/"):
            assert sorted(header) == sorted(OGE_COLUMNS), rel
    # column order varies between files
    orders = {tuple(read_csv(out / r).columns) for r in GIA_FILES if "fis_gia" in r}
    assert len(orders) >= 3
    ref = out / "reference"
    muns = read_csv(ref / "municipalities.csv")
    assert muns.columns.tolist() == ["Код АТЕ", "Наименование", "Тип"]
    assert muns["Код АТЕ"].tolist() == [f"{i:02d}" for i in range(1, 20)]
    assert set(muns.loc[muns["Тип"] == "городской округ", "Наименование"]) == {
        "г. Хабаровск", "г. Комсомольск-на-Амуре"
    }  # fmt: skip
    assert (muns["Тип"] == "муниципальный район").sum() == 17
    schools = read_csv(ref / "schools.csv")
    assert schools.columns.tolist() == [
        "Код ОО", "Код АТЕ", "Наименование", "Тип местности", "Подчинённость", "ШНОР", "ШСУ"
    ]  # fmt: skip
    assert 330 <= len(schools) <= 370
    assert schools["Код ОО"].is_unique and schools["Код ОО"].str.fullmatch(r"\d{6}").all()
    assert set(schools["Код АТЕ"]) == set(muns["Код АТЕ"])
    assert set(schools["Тип местности"]) == {"город", "село"}
    assert set(schools["Подчинённость"]) == {"муниципальная", "региональная", "федеральная",
                                             "частная"}  # fmt: skip
    assert (schools["Подчинённость"] == "муниципальная").mean() > 0.85
    for flag in ("ШНОР", "ШСУ"):
        assert set(schools[flag]) == {"0", "1"}
        assert 0.05 <= (schools[flag] == "1").mean() <= 0.15
    share = schools.groupby("Код АТЕ").size() / len(schools)
    assert share.idxmax() == "01"


def test_targets(landing):
    t = read_csv(landing[0] / "reference" / "targets.csv")
    assert t.columns.tolist() == [
        "Код показателя", "Год", "Уровень", "Код территории", "Предмет", "Целевое значение"
    ]  # fmt: skip
    assert set(t["Уровень"]) == {"регион", "муниципалитет", "ОО"}
    assert set(t.loc[t["Уровень"] == "регион", "Код территории"]) == {"00"}
    value = pd.to_numeric(t["Целевое значение"].str.replace(",", "."))
    region24 = t[(t["Уровень"] == "регион") & (t["Год"] == "2024")].assign(v=value)
    plan = {(r["Код показателя"], r["Предмет"]): r.v for _, r in region24.iterrows()}
    assert plan[("GIA-09", "")] == 100 and plan[("GIA-06", "")] == 50
    assert plan[("GIA-07", "")] == 100 and plan[("GIA-05", "")] == 5
    assert plan[("GIA-08", "")] == 35 and plan[("OLY-01", "")] == 10
    assert plan[("OLY-02", "")] == 2 and plan[("CAR-03", "")] == 30
    assert all(plan[("GIA-01", s)] == 0 for s in ("1", "2", "3", "4", "6"))
    mun = t[(t["Уровень"] == "муниципалитет") & (t["Код показателя"] == "GIA-01")]
    assert set(mun["Код территории"]) == {f"{i:02d}" for i in range(1, 20)}
    assert t["Целевое значение"].str.contains(",").any()  # decimal comma
    assert not t.duplicated(["Код показателя", "Год", "Уровень", "Код территории", "Предмет"]).any()


def test_encodings(landing):
    out, _ = landing
    seen = set()
    for rel in GIA_FILES:
        encoding, _ = decode((out / rel).read_bytes())
        seen.add(encoding)
        if encoding == "cp1251":
            with pytest.raises(UnicodeDecodeError):
                (out / rel).read_bytes().decode("utf-8")
    assert seen == {"cp1251", "utf-8", "utf-8-sig"}
    # decimal comma in an integer column of some file
    raw = [decode((out / r).read_bytes())[1] for r in GIA_FILES if "fis_gia" in r]
    assert any(re.search(r";\d+,0;", text) for text in raw)


def file_hashes(folder: Path, prefixes: tuple[str, ...] = ("",)) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix().startswith(prefixes)
    }


def test_determinism(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, seed=7, scale=0.1)
    generate(b, seed=7, scale=0.1)
    generate(c, seed=8, scale=0.1)
    hashes = file_hashes(a)
    assert any(rel.endswith(".xlsx") for rel in hashes)
    assert hashes == file_hashes(b)  # every file, CSV and XLSX, byte for byte
    other = file_hashes(c)
    for rel in ("fis_gia/ege/ege_2024_osnovnoy.csv", "fis_oko/vpr/vpr_2024_01.csv",
                "uploads/olympiad/olimpiady_01_2023-2024.xlsx",
                "uploads/career/proforientatsiya_01_2023-2024.xlsx",
                "regional/diagnostic/dr_2024_1.csv"):  # fmt: skip
        assert hashes[rel] != other[rel], rel


def test_gia_unchanged_by_new_sources(tmp_path):
    """ВПР, olympiad and career sources draw from their own random streams: the reference
    and ГИА files are the same bytes with or without them."""
    full, gia = tmp_path / "full", tmp_path / "gia"
    generate(full, seed=7, scale=0.1)
    summary = generate(gia, seed=7, scale=0.1, sources=("ege", "oge"))
    prefixes = ("reference/", "fis_gia/")
    assert file_hashes(gia) == file_hashes(gia, prefixes)  # nothing else written
    assert file_hashes(full, prefixes) == file_hashes(gia, prefixes)
    assert set(summary["rows"]) == {"ege", "oge"}
    with pytest.raises(ValueError):
        generate(tmp_path / "x", seed=7, scale=0.1, sources=("nope",))


def test_injected_errors(landing, tmp_path):
    out, summary = landing
    errors = [e for e in summary["injected_errors"] if e["file"].startswith("fis_gia/")]
    assert len(errors) == 3 and {e["file"] for e in errors} == {"fis_gia/ege/ege_2024_osnovnoy.csv"}
    assert all(e["rejected"] for e in errors)
    frame = read_csv(out / errors[0]["file"])
    rows = [frame.iloc[e["source_row"] - 1] for e in errors]
    assert rows[0]["Тестовый балл"] == "105"
    assert rows[1]["Код ОО"] == "999999"
    assert rows[2]["Статус результата"] == "отменён"
    clean = generate(tmp_path / "clean", seed=42, scale=0.1, inject_errors=False)
    assert clean["injected_errors"] == []
    df = load(tmp_path / "clean", "ege")
    assert set(df["Статус результата"]) <= STATUSES
    assert (df["test"].dropna() <= 100).all()
    # without inject_errors the uploads are tidy: header in row 1 of the contract's sheet,
    # no blank rows, every СНИЛС filled, no number typed as text, no invalid career row
    for source, sheet in (("olympiad", "Результаты"), ("career", "Отчёт")):
        rows, layout = load_books(tmp_path / "clean" / "uploads" / source)
        for info in layout.values():
            assert info["sheets"] == [sheet] and info["header_row"] == 1 and not info["blank"]
        if source == "olympiad":
            assert (rows["СНИЛС"] != "").all()
        else:
            assert all(t[h] == "int" for t in rows["_types"] for h in CAREER_INTS)
            participants = rows["Участников «Билет в будущее»"].astype(int)
            recommended = rows["Получили рекомендации «Билет в будущее»"].astype(int)
            assert (recommended <= participants).all()


def test_injected_upload_errors(landing, olympiad):
    """One olympiad book with a title row and a blank row, one with a row without СНИЛС;
    the career book with a renamed sheet, a number typed as text and an invalid row is
    checked in test_career_reports."""
    out, summary = landing
    errors = [e for e in summary["injected_errors"] if e["file"].startswith("uploads/")]
    assert {e["file"].split("/")[1] for e in errors} == {"olympiad", "career"}
    assert sum(e["rejected"] for e in errors) == 2
    rows, layout = olympiad
    oly = [e for e in errors if e["file"].startswith("uploads/olympiad/")]
    missing = rows[rows["СНИЛС"] == ""]
    rejected = [(e["file"], e["source_row"]) for e in oly if e["rejected"]]
    assert list(zip(missing["file"], missing["excel_row"], strict=True)) == rejected
    titled = {rel: info for rel, info in layout.items() if info["header_row"] != 1}
    assert len(titled) == 1
    ((rel, info),) = titled.items()
    assert info["header_row"] == 2 and info["title"].startswith("Результаты олимпиад")
    layout_errors = sorted(e["source_row"] for e in oly if not e["rejected"] and e["file"] == rel)
    assert layout_errors == [1, *info["blank"]] and len(info["blank"]) == 1
    assert all(not i["blank"] for r, i in layout.items() if r != rel)


def test_sizes_and_categories(landing, ege, oge):
    _, summary = landing
    for year in (2022, 2023, 2024):
        part = ege[ege["year"] == year].drop_duplicates("person")
        assert 5_500 <= len(part) <= 6_800, year
        cats = part["Категория участника"].value_counts(normalize=True)
        assert 0.12 <= cats["ВПЛ"] + cats["СПО"] <= 0.18
        assert 0 < cats["ИНО"] < 0.02
        assert (ege[(ege["year"] == year)]["Форма"] == "ГВЭ").any()
    for year in range(2020, 2025):
        part = oge[oge["year"] == year].drop_duplicates("person")
        assert 10_000 <= len(part) <= 12_000, year
        assert set(part["Категория участника"]) == {"ВТГ", "ИНО"}
        assert set(oge.loc[oge["year"] == year, "Форма"]) == {"ОГЭ", "ГВЭ"}
    assert summary["participants"]["oge"][2022] == oge[oge["year"] == 2022]["person"].nunique()


def test_row_values(ege, oge, school_codes):
    assert set(ege["Этап"]) == STAGES and set(oge["Этап"]) == STAGES
    assert set(oge["Статус результата"]) == STATUSES
    assert set(ege["Статус результата"]) == STATUSES | {"отменён"}  # one injected row
    for df in (ege, oge):
        assert df["Дата экзамена"].str.fullmatch(r"\d{2}\.\d{2}\.\d{4}").all()
        month = df["Дата экзамена"].str.slice(3, 5).astype(int)
        assert (df["Дата экзамена"].str.slice(6, 10).astype(int) == df["year"]).all()
        months = {"досрочный": {3, 4}, "основной": {5, 6}, "резервный": {6, 7},
                  "дополнительный": {9}}  # fmt: skip
        for stage, allowed in months.items():
            assert set(month[df["Этап"] == stage]) <= allowed, stage
        snils = df["СНИЛС"]
        assert snils[snils != ""].str.fullmatch(r"\d{3}-\d{3}-\d{3} \d{2}").all()
        no_snils = snils == ""
        assert 0.005 < no_snils.mean() < 0.04
        assert (df.loc[no_snils, "Серия документа"].str.fullmatch(r"\d{4}")).all()
        assert (df.loc[no_snils, "Номер документа"].str.fullmatch(r"\d{6}")).all()
        assert (df["Фамилия"] != "").all() and (df["Имя"] != "").all()
        vtg = df["Категория участника"] == "ВТГ"
        assert (df.loc[vtg, "Код ОО"] != "").all()
        valid = df["Статус результата"] == "действителен"
        assert df.loc[valid, "primary"].notna().all()
        absent = df["Статус результата"].isin(["не явился", "удалён"])
        assert df.loc[absent, "primary"].isna().all()
        annulled = df["Статус результата"] == "аннулирован"
        assert df.loc[annulled, "primary"].notna().all()
    assert (ege.loc[ege["Код ОО"] == "", "Категория участника"] == "ВПЛ").all()
    assert (ege["Код ОО"].isin(school_codes) | (ege["Код ОО"] == "")).mean() > 0.9999
    valid = ege["Статус результата"] == "действителен"
    mark_only = valid & ((ege["subject"] == 22) | (ege["Форма"] == "ГВЭ"))
    assert ege.loc[mark_only, "test"].isna().all()
    assert ege.loc[mark_only, "mark"].between(2, 5).all()
    scored = valid & ~mark_only
    assert ege.loc[scored, "mark"].isna().all()
    assert ege.loc[scored & (ege["test"] <= 100), "test"].between(0, 100).all()
    # ЕГЭ September sittings: only Russian and base mathematics (ГВЭ: Russian, maths)
    sept = ege[(ege["Этап"] == "дополнительный") & (ege["Форма"] == "ЕГЭ")]
    assert set(sept["subject"]) <= {1, 22}
    valid_oge = oge["Статус результата"] == "действителен"
    assert oge.loc[valid_oge, "mark"].between(2, 5).all()
    assert "Тестовый балл" not in oge.columns or (oge["Тестовый балл"] == "").all()
    # every ОГЭ participant: Russian, maths (+2 electives unless ГВЭ-9)
    n_subj = oge[valid_oge & (oge["Форма"] == "ОГЭ")].groupby(["year", "person"])["subject"]
    assert (n_subj.nunique() == 4).mean() > 0.97


def test_retakes(ege, oge):
    for df in (ege, oge):
        valid = df[df["Статус результата"] == "действителен"]
        per = valid.groupby(["year", "person", "Форма", "subject"])["Этап"].agg(set)
        main_then_reserve = per.map(lambda s: {"основной", "резервный"} <= s)
        assert main_then_reserve.sum() > 20
        assert (per.map(lambda s: "дополнительный" in s)).sum() > 10
    # the retake usually improves the result
    v = ege[(ege["Статус результата"] == "действителен") & (ege["subject"] == 2)]
    pivot = v.pivot_table(index=["year", "person"], columns="Этап", values="test", aggfunc="max")
    both = pivot.dropna(subset=["основной", "резервный"])
    assert (both["резервный"] >= both["основной"]).mean() > 0.8


@pytest.mark.parametrize("year", [2023, 2024])
def test_calibration(ege_best, year):
    best = ege_best[(ege_best["year"] == year) & (ege_best["Форма"] == "ЕГЭ")]
    for subject, published in PUBLISHED[year].items():
        res = best[best["subject"] == subject]
        if subject == 22:
            fail = res["score"] == 2
        else:
            fail = res["score"] < MIN_SCORE[subject]
        share = 100 * fail.mean()
        tolerance = 0.5 if subject in (1, 22) else 1.5
        assert len(res) >= 500, subject
        assert abs(share - published) <= tolerance, (year, subject, share, published)


def test_municipalities_differ(ege_best):
    best = ege_best[(ege_best["Форма"] == "ЕГЭ") & (ege_best["subject"] == 2)]
    best = best.assign(fail=best["score"] < MIN_SCORE[2])
    by_mun = best.groupby("ate")["fail"].agg(["mean", "size"])
    big = by_mun[by_mun["size"] >= 100]["mean"]
    assert big.max() - big.min() > 0.03
    assert by_mun.loc["11", "mean"] > by_mun.loc["01", "mean"]  # Нанайский worse than Хабаровск


def test_person_overlap_and_graduate_indicators(ege, oge, ege_best):
    oge_valid = oge[(oge["Статус результата"] == "действителен") & (oge["Форма"] == "ОГЭ")]
    for year in (2022, 2023, 2024):
        grads = ege_best[
            (ege_best["year"] == year) & (ege_best["Форма"] == "ЕГЭ")
            & (ege_best["category"] == "ВТГ")
        ]  # fmt: skip
        persons = grads.drop_duplicates("person")[["person", "ate"]]
        before = oge_valid[oge_valid["year"] == year - 2].drop_duplicates("person")
        merged = persons.merge(before[["person", "Код АТЕ"]], on="person", how="left")
        seen = merged["Код АТЕ"].notna()
        assert 0.6 <= seen.mean() <= 0.7, (year, seen.mean())
        assert (merged.loc[seen, "Код АТЕ"] == merged.loc[seen, "ate"]).all()
        # GIA-15: an elective ЕГЭ subject also sat at ОГЭ two years before
        electives = grads[~grads["subject"].isin([1, 2, 22])][["person", "subject"]]
        prior = oge_valid[oge_valid["year"] == year - 2][["person", "subject"]]
        again = electives.merge(prior.drop_duplicates(), on=["person", "subject"])
        share15 = again["person"].nunique() / seen.sum()
        assert 0.2 < share15 < 0.8, share15
        # GIA-06 and GIA-07 have non-empty numerators and denominators
        scored = grads[grads["subject"] != 22]
        n_scored = scored.groupby("person").size()
        ranked = scored.sort_values("score", ascending=False)
        three = ranked.groupby("person").head(3).groupby("person")["score"].sum()
        den6 = n_scored[n_scored >= 3].index
        num6 = (three.loc[den6] >= 220).sum()
        assert len(den6) > 500 and 0 < num6 < len(den6)
        two = n_scored[n_scored == 2].index
        sum2 = scored[scored["person"].isin(two)].groupby("person")["score"].sum()
        assert len(two) > 300 and 0 < (sum2 >= 126).sum() < len(two)
        year_best = ege_best[(ege_best["year"] == year) & (ege_best["Форма"] == "ЕГЭ")]
        perfect = (year_best["score"] == 100) & (year_best["subject"] != 22)
        assert 1 <= perfect.sum() <= 60, perfect.sum()


# ------------------------------------------------------------------ ВПР, olympiads, career
VPR_PLAN = {
    4: {1, 2, 40}, 5: {1, 2, 6, 7}, 6: {1, 2, 8, 12}, 7: {1, 2, 3, 9}, 8: {1, 2, 4, 6},
    11: {7, 8, 3},
}  # fmt: skip
VPR_BASE = [h for h in SOURCES["vpr"].headers if h != "З"]
TASK = re.compile(r"^З(\d+)$")
NO_ANSWER = {"X", "Х"}  # Latin and Cyrillic
# Seed 001: municipal-stage participants with ≥ 75 % in 2022/2023 (a few subject × grade).
SEED_HIGH_2023 = {
    ("Литература", 11): 22,
    ("Английский язык", 11): 13,
    ("Право", 10): 11,
    ("Информатика", 9): 9,
    ("Математика", 11): 8,
    ("Русский язык", 9): 0,
}
SEED_HIGH_2023_TOTAL = 184
CAREER_INTS = list(SOURCES["career"].headers[3:15])


def read_book(path: Path) -> tuple[list[str], list[tuple]]:
    """Sheet names and the rows (values) of the first sheet."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        return wb.sheetnames, rows
    finally:
        wb.close()


def cell_text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_books(folder: Path) -> tuple[pd.DataFrame, dict[str, dict]]:
    """All data rows of the XLSX books of a folder as text (+ file, excel_row, the cell
    types); and per file: sheet names, header row, blank rows."""
    frames, layout = [], {}
    for path in sorted(folder.glob("*.xlsx")):
        sheets, rows = read_book(path)
        header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Учебный год")
        header = [cell_text(v) for v in rows[header_at]]
        data, excel_rows, blank = [], [], []
        for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
            if not row or all(v is None for v in row):
                blank.append(i)
                continue
            data.append(list(row) + [None] * (len(header) - len(row)))
            excel_rows.append(i)
        frame = pd.DataFrame(data, columns=header, dtype=object)
        types = frame.map(lambda v: type(v).__name__)
        frame = frame.map(cell_text)
        frame["_types"] = [dict(zip(header, t, strict=True)) for t in types.to_numpy().tolist()]
        frame["file"] = path.relative_to(folder.parent.parent).as_posix()
        frame["excel_row"] = excel_rows
        frames.append(frame)
        layout[frame["file"].iloc[0]] = {
            "sheets": sheets, "header_row": header_at + 1, "header": header, "blank": blank,
            "title": rows[0][0] if header_at else None,
        }  # fmt: skip
    return pd.concat(frames, ignore_index=True), layout


def load_vpr(folder: Path) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    frames, headers = [], {}
    for path in sorted((folder / "fis_oko" / "vpr").iterdir()):
        if path.suffix == ".csv":
            frame = read_csv(path)
        else:
            sheets, rows = read_book(path)
            assert len(sheets) == 1, path.name
            header = [cell_text(v) for v in rows[0]]
            frame = pd.DataFrame([[cell_text(v) for v in r] for r in rows[1:]], columns=header)
        headers[path.name] = frame.columns.tolist()
        frame["file"] = path.name
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True).fillna("")
    for col, name in (("Год", "year"), ("Класс", "grade"), ("Код предмета", "subject"),
                      ("Первичный балл", "primary"), ("Отметка", "mark"),
                      ("Отметка по журналу", "journal")):  # fmt: skip
        df[name] = to_int(df[col])
    return df, headers


@pytest.fixture(scope="session")
def vpr(landing) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    return load_vpr(landing[0])


@pytest.fixture(scope="session")
def olympiad(landing):
    return load_books(landing[0] / "uploads" / "olympiad")


@pytest.fixture(scope="session")
def career(landing):
    return load_books(landing[0] / "uploads" / "career")


def vpr04(df: pd.DataFrame) -> tuple[set, set]:
    """Schools flagged by VPR-04 (indicators.md): rule (a) and rule (b), as (year, school)."""
    j = df[df["journal"].notna()]
    a = j.assign(up=j["mark"] > j["journal"]).groupby(["year", "Код ОО"])["up"]
    a = a.agg(["mean", "size"])
    rule_a = set(a[(a["size"] >= 20) & (a["mean"] >= 0.15)].index)
    means = df.groupby(["year", "grade", "subject", "Код ОО"])["primary"].agg(["mean", "size"])
    means = means[means["size"] >= 10].reset_index()
    region = means.groupby(["year", "grade", "subject"])["mean"].agg(m="mean", s="std")
    means = means.merge(region.reset_index(), on=["year", "grade", "subject"])
    high = means[means["mean"] > means["m"] + 2 * means["s"]]
    return rule_a, set(zip(high["year"], high["Код ОО"], strict=True))


def test_vpr_files_and_headers(landing, vpr):
    out, summary = landing
    df, headers = vpr
    for name, header in headers.items():
        tasks = header[len(VPR_BASE) :]
        assert header[: len(VPR_BASE)] == VPR_BASE, name
        assert tasks == [f"З{i}" for i in range(1, len(tasks) + 1)] and len(tasks) >= 10, name
    encodings = {
        decode((out / "fis_oko/vpr" / n).read_bytes())[0] for n in headers if n.endswith(".csv")
    }
    assert encodings >= {"cp1251", "utf-8"}
    for rel, info in summary["files"].items():
        if rel.startswith("fis_oko/vpr/") and rel.endswith(".xlsx"):
            assert info["encoding"] == "xlsx"
            assert len(df[df["file"] == rel.rsplit("/", 1)[1]]) == info["rows"]


def test_vpr_rows(landing, vpr, school_codes):
    _, summary = landing
    df, _ = vpr
    assert set(df["year"]) == set(UPLOAD_YEARS)
    for year in UPLOAD_YEARS:
        part = df[df["year"] == year]
        assert 40_000 <= len(part) <= 80_000, (year, len(part))
        plan = part.groupby("grade")["subject"].agg(set).to_dict()
        assert plan == VPR_PLAN
        assert (part["grade"] == 11).mean() < 0.05  # a little 11th grade
    assert df["Код ОО"].isin(school_codes).all()
    assert df["Литера"].str.fullmatch(r"[А-Я]").all()
    # anonymous student codes, unique within school and year: one row per student and work
    assert df["Код ученика"].str.fullmatch(r"\d{5}").all()
    assert not df.duplicated(["year", "Код ОО", "Код ученика", "subject"]).any()
    per_code = df.groupby(["year", "Код ОО", "Код ученика"])["grade"].nunique()
    assert (per_code == 1).all()  # a code is one pupil (one grade) in a school and year
    # task columns: sum = primary score; X / Х (no answer) = 0 points, only in XLSX
    tasks = [c for c in df.columns if TASK.match(c)]
    cells = df[tasks]
    no_answer = cells.isin(NO_ANSWER)
    xlsx = df["file"].str.endswith(".xlsx")
    assert set(cells.to_numpy()[no_answer.to_numpy()]) == NO_ANSWER
    assert not no_answer[~xlsx].any().any()
    points = cells.mask(no_answer, "0").replace("", np.nan).astype(float)
    assert (points.sum(axis=1) == df["primary"]).all()
    n_tasks = points.notna().sum(axis=1)
    assert n_tasks.between(10, 20).all()
    assert (n_tasks.groupby([df["grade"], df["subject"]]).nunique() == 1).all()
    # marks 2–5 follow the primary score: the score ranges of the marks do not overlap
    assert df["mark"].between(2, 5).all()
    ranges = df.groupby(["grade", "subject", "mark"])["primary"].agg(["min", "max"])
    for (_, _), r in ranges.groupby(level=[0, 1]):
        assert (r["min"].to_numpy()[1:] > r["max"].to_numpy()[:-1]).all()
    marks = df["mark"].value_counts(normalize=True)
    assert 0.05 < marks[2] < 0.2 and 0.1 < marks[5] < 0.3
    # journal marks: ~15 % empty; mostly equal or one above the ВПР mark
    empty = df["journal"].isna()
    assert 0.12 < empty.mean() < 0.18
    diff = (df["journal"] - df["mark"])[~empty]
    assert diff.isin([0, 1]).mean() > 0.9 and (diff == 0).mean() > 0.5
    assert df.loc[~empty, "journal"].between(2, 5).all()
    # VPR-04: both rules flag schools, the deliberately unobjective ones among them
    rule_a, rule_b = vpr04(df)
    unobjective = summary["highlights"]["vpr_unobjective"]
    for year in UPLOAD_YEARS:
        a_year = {s for y, s in rule_a if y == year}
        assert set(unobjective["rule_a"]) <= a_year and len(a_year) <= 6, a_year
        b_year = {s for y, s in rule_b if y == year}
        assert set(unobjective["rule_b"][str(year)]) <= b_year
    assert 3 <= len(unobjective["rule_a"]) + len(unobjective["rule_b"]["2024"]) <= 6


def test_olympiad_files(landing, olympiad):
    out, summary = landing
    rows, layout = olympiad
    assert set(layout) == OLYMPIAD_FILES
    headers = list(SOURCES["olympiad"].headers)
    for rel, info in layout.items():
        assert info["sheets"] == ["Результаты"], rel
        assert info["header"] == headers, rel
        assert summary["files"][rel]["rows"] == (rows["file"] == rel).sum()
    assert rows["Учебный год"].isin(["2022/2023", "2023/2024"]).all()
    # the school year matches the file name
    assert (rows["Учебный год"].str.replace("/", "-") == rows["file"].str[-14:-5]).all()


def test_olympiad_rows(landing, olympiad, school_codes, oge, ege):
    out, summary = landing
    rows, _ = olympiad
    from sources.olympiad import EVENTS as OLY_EVENTS
    from sources.olympiad import OTHER_STAGES, VSOSH_STAGES
    from sources.olympiad import STATUSES as OLY_STATUSES

    rows = rows[rows["СНИЛС"] != ""].copy()  # the one injected row without СНИЛС aside
    rows["year"] = rows["Учебный год"].str[-4:].astype(int)
    rows["grade"] = rows["Класс"].astype(int)
    rows["score"] = pd.to_numeric(rows["Балл"])
    rows["max"] = pd.to_numeric(rows["Максимальный балл"])
    assert rows["СНИЛС"].str.fullmatch(r"\d{3}-\d{3}-\d{3} \d{2}").all()
    assert rows["Мероприятие"].isin(OLY_EVENTS).all() and set(rows["Мероприятие"]) == set(
        OLY_EVENTS
    )
    vs = rows["Мероприятие"] == "ВсОШ"
    assert rows.loc[vs, "Этап"].isin(VSOSH_STAGES).all()
    assert set(rows.loc[vs, "Этап"]) == set(VSOSH_STAGES)
    assert rows.loc[~vs, "Этап"].isin(OTHER_STAGES).all()
    assert rows["Статус"].isin(OLY_STATUSES).all() and rows["grade"].between(4, 11).all()
    assert rows["Код ОО"].isin(school_codes).all()
    assert (rows["Код АТЕ"] == rows["file"].str.extract(r"_(\d{2})_", expand=False)).all()
    assert rows.loc[vs, "score"].notna().all() and rows.loc[vs, "max"].notna().all()
    assert (rows["score"].fillna(0) <= rows["max"].fillna(np.inf)).all()
    assert not rows.duplicated(["СНИЛС", "year", "Мероприятие", "Этап", "Предмет"]).any()
    assert set(rows.loc[vs, "Предмет"]) >= {"Русский язык", "Математика", "Физика", "Химия",
                                            "Информатика", "Обществознание", "Право"}  # fmt: skip
    for year in UPLOAD_YEARS:
        y = rows[rows["year"] == year]
        stage = {s: y[(y["Мероприятие"] == "ВсОШ") & (y["Этап"] == s)] for s in VSOSH_STAGES}
        assert len(stage["школьный"]) > len(stage["муниципальный"]) > len(stage["региональный"])
        assert stage["муниципальный"]["grade"].min() >= 7
        assert stage["региональный"]["grade"].min() >= 9
        # OLY-01: ~10 winners and prizewinners of the regional stage (seed 000 plan: 10)
        reg = stage["региональный"]
        wp = reg[reg["Статус"].isin(["победитель", "призёр"])]
        n_wp = len(wp.drop_duplicates(["СНИЛС", "Предмет"]))
        assert 8 <= n_wp <= 13, n_wp
        assert (wp["Статус"] == "победитель").any() and (wp["Статус"] == "призёр").any()
        assert 1 <= len(stage["заключительный"]) <= 3  # OLY-02 (plan 2)
        # regional participants come from the municipal stage, over the pass score
        muni = stage["муниципальный"].set_index(["СНИЛС", "Предмет"])
        assert reg.set_index(["СНИЛС", "Предмет"]).index.isin(muni.index).all()
        high = muni[muni["score"] >= 0.75 * muni["max"]]
        assert len(high) > 100 and (high["grade"] >= 9).all()  # OLY-03
        if year == 2023:
            counts = high.groupby(["Предмет", "grade"]).size()
            assert len(high) == SEED_HIGH_2023_TOTAL
            for key, n in SEED_HIGH_2023.items():
                assert counts.get(key, 0) == n, key
        # OLY-04
        done = y[y["Этап"].isin(["заключительный", "обучение завершено"])]
        n_done = done.groupby("Мероприятие")["СНИЛС"].nunique()
        assert 70 <= n_done["Код будущего"] <= 90
        assert 2 <= n_done["Большие вызовы"] <= 4
        assert 7 <= n_done["Большая перемена"] <= 13 and 2 <= n_done["Сириус"] <= 8
        nto = done[done["Мероприятие"] == "НТО"]
        assert 2 <= nto["grade"].between(5, 7).sum() <= 4
        assert 2 <= nto["grade"].between(8, 11).sum() <= 4
        assert (y.loc[y["Мероприятие"] == "Код будущего", "grade"] >= 8).all()
        assert (y[~vs.loc[y.index]]["Этап"] == "отборочный").sum() > 100
    # the same persons as ГИА: 9th graders of 2023/2024 sat ОГЭ 2024 in the same school,
    # 11th graders are ЕГЭ 2024 graduates of that school
    for grade, gia, category in ((9, oge, "ВТГ"), (11, ege, "ВТГ")):
        pupils = rows[(rows["year"] == 2024) & (rows["grade"] == grade)]
        key = "S" + pupils["СНИЛС"].str.replace(r"\D", "", regex=True)
        sat = gia[(gia["year"] == 2024) & (gia["Категория участника"] == category)]
        school_of = sat.drop_duplicates("person").set_index("person")["Код ОО"]
        found = school_of.reindex(key.to_numpy()).to_numpy()
        assert len(pupils) > 100 and (found == pupils["Код ОО"].to_numpy()).all(), grade
    # Код будущего: the seed's offline sites in Комсомольский район
    offline = rows[rows["Предмет"].str.contains("очная площадка")]
    assert set(offline["Код АТЕ"]) == {"09"}


def test_career_reports(landing, career, school_codes, oge, ege):
    out, summary = landing
    rows, layout = career
    assert set(layout) == CAREER_FILES
    errors = [e for e in summary["injected_errors"] if e["file"].startswith("uploads/career/")]
    messy = {e["file"] for e in errors}
    assert len(messy) == 1
    for rel, info in layout.items():
        assert info["sheets"] == (["Лист1"] if rel in messy else ["Отчёт"]), rel
        assert info["header"] == list(SOURCES["career"].headers) and info["header_row"] == 1
    rows["year"] = rows["Учебный год"].str[-4:].astype(int)
    assert len(rows) == 2 * len(school_codes)
    assert not rows.duplicated(["year", "Код ОО"]).any()
    assert set(rows["Код ОО"]) == school_codes
    bad = [(e["file"], e["source_row"]) for e in errors if e["rejected"]]
    is_bad = pd.Series(list(zip(rows["file"], rows["excel_row"], strict=True))).isin(bad)
    assert is_bad.sum() == 1
    counts = rows[CAREER_INTS].astype(int)
    c = {name: counts[h] for name, h in zip(
        ("students", "bvb", "rec", "proekt", "g9", "g11", "cont", "voc", "profile", "spo",
         "vo", "events"), CAREER_INTS, strict=True)}  # fmt: skip
    ok = (
        (c["rec"] <= c["bvb"]) & (c["bvb"] <= c["students"]) & (c["proekt"] <= c["students"])
        & (c["cont"] <= c["g9"]) & (c["voc"] <= c["g9"] + c["g11"]) & (c["profile"] <= c["g11"])
        & (c["vo"] <= c["g11"]) & (c["spo"] <= c["g9"] - c["cont"] + c["g11"])
        & (c["g9"] + c["g11"] <= c["students"])
    )  # fmt: skip
    assert ok[~is_bad.to_numpy()].all()
    assert (c["rec"] > c["bvb"])[is_bad.to_numpy()].all()
    # numbers are numbers, except the one typed as text in the messy book
    text_cells = rows["_types"].map(lambda t: [h for h in CAREER_INTS if t[h] == "str"])
    typed = rows[text_cells.map(len) > 0]
    assert len(typed) == 1 and typed["file"].iloc[0] in messy
    assert typed[text_cells[typed.index].iloc[0][0]].iloc[0] == "25"
    # graduates agree with ГИА: ВТГ persons of the school in the ОГЭ / ЕГЭ files of the year
    injected = (
        ege["Статус результата"].eq("отменён") | ege["test"].eq(105) | ege["Код ОО"].eq("999999")
    )
    clean_ege = ege[~ege["person"].isin(ege.loc[injected, "person"])]
    idx = pd.MultiIndex.from_frame(rows[["year", "Код ОО"]])
    for gia, header in ((oge, "Выпускников 9 классов"), (clean_ege, "Выпускников 11 классов")):
        vtg = gia[(gia["Категория участника"] == "ВТГ") & gia["year"].isin(UPLOAD_YEARS)]
        n = vtg.groupby(["year", "Код ОО"])["person"].nunique()
        assert (n.reindex(idx).fillna(0).astype(int).to_numpy() == counts[header]).all()
    # the unified career-guidance model: seed 000 plan 2 / 5 / 13 schools in 2023/2024
    levels = rows.loc[rows["year"] == 2024, "Уровень единой модели профориентации"]
    share = levels.value_counts(normalize=True)
    assert 0.02 < share.get("", 0) < 0.2
    assert share["продвинутый"] > share["основной"] > share["базовый"] > 0
    levels_2023 = rows.loc[rows["year"] == 2023, "Уровень единой модели профориентации"]
    assert (levels_2023 == "").mean() > 0.4  # the model applies from 1 September 2023
    car03 = c["voc"].sum() / (c["g9"] + c["g11"]).sum()
    assert 0.1 < car03 < 0.45


# ------------------------------------------------------------------ diagnostic works (ДР)
MAIN_SUBJECTS = (22, 2, 1, 3, 4, 6)  # the subjects of seed 002's table


def min_scores() -> dict[tuple[int, int], int]:
    """(year, subject) → Rosobrnadzor minimum, from the dbt seed the marts use."""
    seed = pd.read_csv(Path(__file__).resolve().parents[2] / "dbt_project/seeds/min_scores.csv")
    return {(int(r.year), int(r.subject_code)): int(r.min_score) for r in seed.itertuples()}


def below_minimum(frame: pd.DataFrame, year_col: str = "year") -> pd.Series:
    """indicators.md: test score < minimum of that year (latest seed year not after it);
    base mathematics: mark 2."""
    minimum = min_scores()
    years = sorted({y for y, _ in minimum})
    seed_year = frame[year_col].map(lambda y: max(s for s in years if s <= y))
    limit = pd.Series(
        [minimum.get((y, s), 0) for y, s in zip(seed_year, frame["subject"], strict=True)],
        index=frame.index,
    )
    return (frame["subject"] == 22) & (frame["mark"] == 2) | (frame["subject"] != 22) & (
        frame["test"] < limit
    )


def read_parsed(paths: list[Path], source: str) -> tuple[pd.DataFrame, set[tuple[str, int]]]:
    """Rows of the files as the pipeline reads them (ingestion.read, same key for every
    source): the accepted rows, and (file, source_row) of the rows it would quarantine."""
    from ingestion.read import open_source

    frames, rejected = [], set()
    for path in paths:
        with open_source(path, SOURCES[source]) as src:
            assert not src.header.unknown, path.name
            for chunk, _ in src.chunks(b"test-secret"):
                bad = chunk["_reject_reason"].notna()
                rel = path.relative_to(path.parents[2]).as_posix()
                rejected |= {(rel, int(r)) for r in chunk.loc[bad, "source_row"]}
                frames.append(chunk[~bad].assign(file=path.name))
    df = pd.concat(frames, ignore_index=True)
    for col in ("year", "subject_code", "test_score", "mark", "primary_score", "work_number"):
        if col in df:
            df[col] = pd.to_numeric(df[col]).astype("Int64")
    return df.rename(columns={"subject_code": "subject", "test_score": "test"}), rejected


@pytest.fixture(scope="session")
def dr_parsed(landing):
    out, _ = landing
    return read_parsed(sorted((out / "regional/diagnostic").glob("*.csv")), "diagnostic")


@pytest.fixture(scope="session")
def dr_linked(landing, dr_parsed):
    """ДР rows of students who wrote the work, with the same student's best ЕГЭ result in the
    subject (ВТГ, form ЕГЭ), matched by person_key after pseudonymisation."""
    out, _ = landing
    ege_rows, _ = read_parsed(sorted((out / "fis_gia/ege").glob("*.csv")), "ege")
    valid = ege_rows[
        (ege_rows["status"] == "действителен")
        & (ege_rows["form"] == "ЕГЭ")
        & (ege_rows["category"] == "ВТГ")
    ]
    valid = valid.assign(below=below_minimum(valid))
    # best of retakes: below only if every valid sitting was below
    best = valid.groupby(["person_key", "year", "subject"], as_index=False)["below"].min()
    dr, _ = dr_parsed
    wrote = dr[dr["status"] == "выполнял"].copy()
    wrote["below_dr"] = below_minimum(wrote)
    merged = wrote.merge(
        best.rename(columns={"below": "below_ege"}),
        on=["person_key", "year", "subject"],
        how="left",
    )
    return merged


def test_diagnostic_files(landing, dr_parsed, school_codes):
    out, summary = landing
    dr, rejected = dr_parsed
    files = {r: i for r, i in summary["files"].items() if r.startswith("regional/")}
    assert set(files) == DR_FILES
    encodings = set()
    for rel, info in files.items():
        raw = (out / rel).read_bytes()
        encoding, text = decode(raw)
        encodings.add(encoding)
        header = text.splitlines()[0].split(";")
        assert sorted(header) == sorted(SOURCES["diagnostic"].headers), rel
        assert info["rows"] == len(text.splitlines()) - 1
    assert encodings == {"cp1251", "utf-8", "utf-8-sig"}
    # the reader quarantines exactly the deliberately invalid rows (two, in the last work)
    injected = {
        (e["file"], e["source_row"])
        for e in summary["injected_errors"]
        if e["file"].startswith("regional/")
    }
    assert len(injected) == 2 and rejected == injected
    assert len(dr) == sum(i["rows"] for i in files.values()) - 2
    assert set(dr["work_number"]) == {1, 2, 3}
    assert (dr["school_year"] == (dr["year"] - 1).astype(str) + "/" + dr["year"].astype(str)).all()
    assert set(dr["year"]) == {2022, 2023, 2024}
    assert dr["school_code"].isin(school_codes).all()
    dates = pd.to_datetime(dr["work_date"])
    season = {1: {9, 10, 11}, 2: {12, 1, 2}, 3: {3, 4, 5}}
    for work, months in season.items():
        assert set(dates[dr["work_number"] == work].dt.month) <= months, work
    wrote = dr["status"] == "выполнял"
    assert 0.03 < (~wrote).mean() < 0.1
    assert dr.loc[~wrote, ["primary_score", "test", "mark"]].isna().all().all()
    base = dr["subject"] == 22
    assert dr.loc[wrote & base, "mark"].between(2, 5).all() and dr.loc[base, "test"].isna().all()
    assert dr.loc[wrote & ~base, "test"].between(0, 100).all()
    assert dr.loc[~base, "mark"].isna().all()
    assert not dr.duplicated(["person_key", "year", "work_number", "subject"]).any()
    # every ЕГЭ subject of the graduates is written, ~5,000 graduates a year
    assert set(dr["subject"]) >= {1, 2, 22, 3, 4, 5, 6, 7, 8, 9, 12, 18}
    persons = dr.groupby("year")["person_key"].nunique()
    assert persons.between(4_500, 5_600).all(), persons.to_dict()


def test_diagnostic_links_to_the_ege(dr_linked):
    linked = dr_linked["below_ege"].notna()
    # almost every student who wrote the work has an ЕГЭ result in the subject; a few do not
    assert 0.95 < linked.mean() < 0.995, linked.mean()
    assert (~linked).sum() > 100


@pytest.mark.parametrize("year", [2022, 2023, 2024])
def test_diagnostic_shares_fall_and_end_near_the_ege(dr_linked, year):
    part = dr_linked[dr_linked["year"] == year]
    shares = part.groupby(["subject", "work_number"])["below_dr"].mean().unstack() * 100
    counts = part.groupby("subject").size()
    big = counts[counts >= 600].index
    assert set(MAIN_SUBJECTS) <= set(big)
    for subject in big:
        dr1, dr2, dr3 = shares.loc[subject, [1, 2, 3]]
        assert dr1 > dr2 > dr3, (subject, dr1, dr2, dr3)
        linked = part[(part["subject"] == subject) & (part["work_number"] == 3)]
        ege = 100 * linked["below_ege"].dropna().astype(bool).mean()
        assert ege <= dr3 <= ege + 5, (subject, dr3, ege)
    # seed 002's table: chemistry ~44 → 19 → 5, profile mathematics ~24 → … → 3
    assert 30 < shares.loc[4, 1] < 50 and 15 < shares.loc[2, 1] < 30


@pytest.mark.parametrize("year", [2023, 2024])
def test_weak_at_dr1_is_more_often_below_at_the_ege(dr_linked, year):
    part = dr_linked[
        (dr_linked["year"] == year)
        & (dr_linked["work_number"] == 1)
        & dr_linked["below_ege"].notna()
    ]
    part = part.assign(below_ege=part["below_ege"].astype(bool))
    for subject in MAIN_SUBJECTS:
        s = part[part["subject"] == subject]
        p1 = s.loc[s["below_dr"], "below_ege"].mean()
        p0 = s.loc[~s["below_dr"], "below_ege"].mean()
        assert p1 > 2 * p0, (subject, p1, p0)
    weak = part.loc[part["below_dr"], "below_ege"].mean()
    strong = part.loc[~part["below_dr"], "below_ege"].mean()
    assert weak > 0.15 and strong < 0.05, (weak, strong)


def test_diagnostic_draws_its_own_random_streams(tmp_path):
    """The diagnostic works change no other file; without ЕГЭ the same ДР are written."""
    gia, dr = tmp_path / "gia", tmp_path / "dr"
    generate(gia, seed=7, scale=0.1, sources=("ege", "diagnostic"))
    generate(dr, seed=7, scale=0.1, sources=("diagnostic",))
    assert file_hashes(dr, ("fis_gia/",)) == {}
    assert file_hashes(gia, ("regional/",)) == file_hashes(dr, ("regional/",))
    assert len(file_hashes(dr, ("regional/",))) == 9
