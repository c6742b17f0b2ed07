"""The synthetic region generator (ingestion.generator): layout, format, calibration."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.generator import generate

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
    assert written == GIA_FILES | vpr | OLYMPIAD_FILES | CAREER_FILES
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
                "uploads/career/proforientatsiya_01_2023-2024.xlsx"):  # fmt: skip
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
