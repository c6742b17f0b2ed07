"""The municipality report pack read as a person reads it: `edu-dwh report` on a small
three-year warehouse (tests/fixtures/report.py, one dbt build for the module), the notes
rendered by headless Chromium to PDF and PNG.

Checked: one note per municipality and one for the region; the PDF's page count; no chart
is empty; every number shown (each carries data-* attributes naming its mart row) equals the
marts and is written the Russian way; and nothing loads from the network — statically (no
script, link, image, http(s) reference or CSS url in the file) and dynamically: Chromium
renders with every request sent to a local recording proxy, which must receive nothing
(`--proxy-server` covers http, https and websockets). Chromium's own background services are
switched off as far as flags allow; the few it still contacts (its Google service hosts,
listed exactly in CHROMIUM_OWN_HOSTS) are told apart by host, and a control page that does
load a picture and a stylesheet from the network proves the proxy sees a page's requests.

Chromium is installed by tests/setup/ensure_chromium.sh where missing (`make test` runs it
first; the session fixture runs it too): a missing, uninstallable Chromium fails the tests.
"""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ingestion.config import REPO_ROOT
from tests.fixtures import report as rf
from tests.fixtures import uploads as uf
from tests.fixtures.pg import warehouse_env

pytestmark = pytest.mark.slow

YEAR = 2024
ENSURE_CHROMIUM = REPO_ROOT / "tests" / "setup" / "ensure_chromium.sh"


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def chromium() -> str:
    proc = subprocess.run([str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0 or not proc.stdout.strip():
        pytest.fail(f"Chromium недоступен и не установлен: {proc.stderr.strip()}", pytrace=False)
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dsn(pg_server, tmp_path_factory):
    return uf.build_warehouse(pg_server, tmp_path_factory, "report", rf.load)


@pytest.fixture(scope="module")
def pack(dsn, tmp_path_factory) -> dict[str, Path]:
    """`edu-dwh report --year 2024 --out DIR`: territory code → note."""
    from orchestration.cli import main

    out = tmp_path_factory.mktemp("pack")
    with warehouse_env(dsn, tmp_path_factory.mktemp("report_state")):
        assert main(["report", "--year", str(YEAR), "--out", str(out)]) == 0
    notes = {p.name.split("_", 1)[0]: p for p in out.glob("*.html")}
    return notes


# Hosts Chromium itself contacts in headless mode even with background networking off (sign-in,
# network time, search-engine warm-up): exact names, never a wildcard — a report loading a
# font from fonts.googleapis.com is still caught.
CHROMIUM_OWN_HOSTS = {
    "accounts.google.com",
    "www.google.com",
    "clients1.google.com",
    "clients2.google.com",
    "update.googleapis.com",
    "redirector.gvt1.com",
    "optimizationguide-pa.googleapis.com",
    "safebrowsingohttpgateway.googleapis.com",
    "content-autofill.googleapis.com",
}


def _host(request: str) -> str:
    """'CONNECT host:443' / 'GET http://host/path' → host."""
    target = request.split(" ", 1)[1]
    target = re.sub(r"^[a-z]+://", "", target)
    return target.split("/", 1)[0].rsplit(":", 1)[0]


def page_requests(seen: list[str]) -> list[str]:
    return [r for r in seen if _host(r) not in CHROMIUM_OWN_HOSTS]


class RecordingProxy(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def _refuse(self):
        RecordingProxy.seen.append(f"{self.command} {self.path}")
        self.send_response(403)
        self.end_headers()

    do_GET = do_POST = do_CONNECT = do_HEAD = _refuse

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def proxy():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    RecordingProxy.seen = []
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _chromium(chromium: str, proxy: str, profile: Path, *args: str) -> None:
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
        "--metrics-recording-only", "--no-default-browser-check", "--disable-dev-shm-usage",
        "--disable-client-side-phishing-detection", "--safebrowsing-disable-auto-update",
        "--disable-features=OptimizationGuideModelDownloading,OptimizationHintsFetching,"
        "OptimizationTargetPrediction,OptimizationHints,MediaRouter,Translate,"
        "NetworkTimeServiceQuerying,AutofillServerCommunication,"
        "CertificateTransparencyComponentUpdater,DialMediaRouteProvider",
        f"--user-data-dir={profile}", f"--proxy-server=http://{proxy}",
        "--proxy-bypass-list=<-loopback>", *args,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.fixture(scope="module")
def rendered(pack, chromium, proxy, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The region's note and municipality 01's, as PDF and PNG."""
    out = tmp_path_factory.mktemp("rendered")
    result = {}
    for code in ("00", "01"):
        html = pack[code]
        pdf, png = out / f"{code}.pdf", out / f"{code}.png"
        profile = out / f"profile_{code}"
        RecordingProxy.seen = []
        _chromium(chromium, proxy, profile, f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                  html.as_uri())  # fmt: skip
        _chromium(chromium, proxy, profile, f"--screenshot={png}", "--window-size=900,2400",
                  "--hide-scrollbars", html.as_uri())  # fmt: skip
        result[code] = {"pdf": pdf, "png": png, "html": html, "requests": RecordingProxy.seen}
    return result


# ------------------------------------------------------------------ HTML parsing


class Page(HTMLParser):
    """Elements with data-src (value cells, chart points and bars), svgs and their drawn
    elements, and every tag/attribute that could load something."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.numbers: list[dict] = []  # attrs + text
        self.svgs: list[dict] = []
        self.tags: list[tuple[str, dict]] = []
        self.sections: list[str] = []
        self._open: list[dict] = []
        self._svg: dict | None = None
        self.text_parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "section":
            self.sections.append(a.get("id", ""))
        if tag == "svg":
            self._svg = {"attrs": a, "points": [], "bars": [], "lines": 0}
            self.svgs.append(self._svg)
        if self._svg is not None:
            cls = a.get("class", "")
            if tag == "circle" and "point" in cls:
                self._svg["points"].append(a)
            if tag == "rect" and "bar" in cls:
                self._svg["bars"].append(a)
            if tag == "polyline":
                self._svg["lines"] += 1
        if "data-src" in a:
            entry = {"tag": tag, "attrs": a, "text": ""}
            self.numbers.append(entry)
            if tag not in ("circle", "rect"):
                self._open.append(entry)

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None
        if self._open and tag == self._open[-1]["tag"]:
            self._open.pop()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.text_parts.append(data)
        for entry in self._open:
            entry["text"] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


# ------------------------------------------------------------------ expected values


def _number(text: str) -> tuple[float, int]:
    """'1 234,5' → (1234.5, 1 decimal); '−3' → (-3, 0)."""
    t = text.strip().replace("\u202f", "").replace("\xa0", "").replace("−", "-")
    assert re.fullmatch(r"[+-]?\d+(,\d+)?", t), f"not a Russian number: {text!r}"
    digits = len(t.split(",")[1]) if "," in t else 0
    return float(t.replace(",", ".")), digits


def _level(code: str) -> str:
    return {2: "municipality", 6: "school"}.get(len(code), "region") if code != "00" else "region"


DIMS = (("exam", "exam"), ("subject", "subject_code"), ("category", "participant_category"),
        ("grade", "grade"), ("key", "breakdown_key"))  # fmt: skip


def _where(a: dict, cols=DIMS) -> tuple[str, list]:
    parts, params = [], []
    for attr, col in cols:
        if f"data-{attr}" in a:
            parts.append(f"{col}::text = %s")
            params.append(a[f"data-{attr}"])
        else:
            parts.append(f"{col} is null")
    return " and ".join(parts), params


def expected(cur, a: dict):
    """The mart value an element names (None: no such row)."""
    src, field = a["data-src"], a.get("data-field")
    if src == "indicator_values":
        where, params = _where(a)
        cur.execute(
            f"select {field} from marts.indicator_values where indicator_code = %s and year = %s"
            f" and territory_level = %s and territory_code = %s and {where}",
            [a["data-indicator"], int(a["data-year"]), _level(a["data-territory"]),
             a["data-territory"], *params],
        )  # fmt: skip
    elif src == "territory_ratings":
        where, params = _where(a)
        indicator = "indicator_code = %s" if "data-indicator" in a else "indicator_code is null"
        ind = [a["data-indicator"]] if "data-indicator" in a else []
        cur.execute(
            f"select {field} from marts.territory_ratings where {indicator} and year = %s"
            f" and territory_level = 'municipality' and territory_code = %s and {where}",
            [*ind, int(a["data-year"]), a["data-territory"], *params],
        )
    elif src == "vpr_flags":
        where, params = _where(a, (("grade", "grade"), ("subject", "subject_code")))
        cur.execute(
            f"select {field} from marts.fct_vpr_objectivity_flags where year = %s"
            f" and school_code = %s and rule = %s and {where}",
            [int(a["data-year"]), a["data-school"], a["data-rule"], *params],
        )
    elif src == "uploads":
        cur.execute(
            "select is_received from marts.fct_school_upload_coverage where year = %s"
            " and school_code = %s and source = %s",
            (int(a["data-year"]), a["data-school"], a["data-source"]),
        )
    elif src == "gia_early_warning":
        cur.execute(
            f"select {field} from marts.gia_early_warning where year = %s and territory_code = %s"
            " and subject_code = %s and work_number = %s",
            (int(a["data-year"]), a["data-territory"], int(a["data-subject"]),
             int(a["data-work"])),
        )  # fmt: skip
    elif src == "audit":
        return _audit_expected(cur, a)
    else:
        raise AssertionError(f"unknown data-src {src}")
    rows = cur.fetchall()
    assert len(rows) == 1, (a, rows)
    return rows[0][0]


def _audit_expected(cur, a: dict):
    """Computed here from the fixture's audit rows, independently of reporting/."""
    territory, year, kind = a["data-territory"], a["data-year"], a["data-kind"]
    mine = (lambda ate: ate is not None) if territory == "00" else (lambda ate: ate == territory)
    source = a.get("data-source")
    if kind.startswith("rejected_files"):
        n = 0
        for _load, (src, status, scope, _msg) in rf.LOADS.items():
            if status != "rejected" or not scope or year not in scope.get("year", [year]):
                continue
            ates = set(scope.get("ate_code", [])) | {
                rf.SCHOOL_ATE[s] for s in scope.get("school_code", [])
            }
            if any(mine(x) for x in ates) and (source is None or src == source):
                n += 1
        return n
    n = 0
    for load, _reason, data in rf.QUARANTINE:
        src, status = rf.LOADS[load][0], rf.LOADS[load][1]
        ate = data["ate_code"] or rf.SCHOOL_ATE.get(data["school_code"])
        if status == "loaded" and data["year"] == year and mine(ate):
            if source is None or src == source:
                n += 1
    return n


def check_number(cur, entry: dict) -> None:
    a = entry["attrs"]
    value = expected(cur, a)
    if entry["tag"] in ("circle", "rect"):  # chart marks carry the exact value
        if "data-value" in a:
            assert float(a["data-value"]) == pytest.approx(float(value), abs=1e-9), a
        return
    text = entry["text"].strip()
    if a.get("data-field") == "target_met":
        assert text == ("✓" if value else "✗"), (a, text, value)
        return
    if a.get("data-field") == "is_received":
        assert value is False and "не представлен" in text, (a, text)
        return
    if a["data-src"] == "audit" and a["data-kind"] in ("rejected_files", "quarantine_rows"):
        return  # per reason: their sums are checked in test_data_quality_counts
    shown, digits = _number(text)
    assert value is not None, a
    assert abs(shown - float(value)) <= 0.5 * 10**-digits + 1e-9, (a, text, value)


# ------------------------------------------------------------------ tests


def test_one_note_per_municipality_and_region(pack):
    assert sorted(pack) == ["00", "01", "02", "03"]
    assert pack["01"].name == "01_Город_Первый.html"


def test_every_number_equals_the_marts(pack, dsn):
    import psycopg2

    conn = psycopg2.connect(dsn)
    kinds = set()
    try:
        with conn.cursor() as cur:
            for code, path in pack.items():
                page = parse(path)
                assert len(page.numbers) > 50, code
                kinds |= {e["attrs"]["data-src"] for e in page.numbers}
                for entry in page.numbers:
                    check_number(cur, entry)
    finally:
        conn.close()
    every = {"indicator_values", "territory_ratings", "vpr_flags", "uploads",
             "gia_early_warning", "audit"}  # fmt: skip
    assert kinds == every


def test_numbers_are_written_the_russian_way(pack):
    for path in pack.values():
        for entry in parse(path).numbers:
            text = entry["text"].strip()
            if entry["tag"] in ("circle", "rect") or not re.search(r"\d", text):
                continue
            assert "." not in text, (path.name, text)


def test_no_chart_is_empty(pack):
    for code, path in pack.items():
        page = parse(path)
        trends = [s for s in page.svgs if "line-chart" in s["attrs"].get("class", "")]
        rankings = [s for s in page.svgs if "ranking-chart" in s["attrs"].get("class", "")]
        assert len(trends) >= 5, code
        assert len(rankings) == 1, code
        for svg in trends:
            assert svg["points"], (code, svg["attrs"].get("aria-label"))
            # three years drawn: a line per territory with ≥ 2 points
            assert svg["lines"] >= 1, (code, svg["attrs"].get("aria-label"))
        bars = rankings[0]["bars"]
        assert len(bars) == 3 and all(float(b["width"]) >= 0 for b in bars)
        assert any(float(b["width"]) > 0 for b in bars)
        colours = {b["fill"] for b in bars}
        assert colours <= {"#2e7d32", "#f2b705", "#ef6c00", "#c62828"}, colours
        if code != "00":  # the municipality against the region: two lines, its bar outlined
            assert all(len({p["data-territory"] for p in s["points"]}) == 2 for s in trends)
            own = [b for b in bars if b["data-territory"] == code]
            assert own and own[0].get("stroke") == "#000"


def test_sections_show_the_schools_that_need_attention(pack):
    region = parse(pack["00"])
    assert region.sections == ["summary", "rating", "trends", "attention", "olympiad-career",
                                "diagnostic", "quality"]  # fmt: skip
    flags = [e for e in region.numbers if e["attrs"]["data-src"] == "vpr_flags"]
    assert {e["attrs"]["data-school"] for e in flags} == {rf.INFLATED_VPR[0]}
    missing = {(e["attrs"]["data-school"], e["attrs"]["data-source"])
               for e in region.numbers if e["attrs"]["data-src"] == "uploads"}  # fmt: skip
    assert missing == {(rf.NO_OLYMPIAD, "olympiad"), rf.NO_CAREER[:1] + ("career",)}
    m2 = parse(pack["02"])
    assert any(e["attrs"]["data-src"] == "vpr_flags" for e in m2.numbers)
    m1 = parse(pack["01"])
    assert not any(e["attrs"]["data-src"] in ("vpr_flags", "uploads") for e in m1.numbers)
    # the region's tables list every municipality
    text = "".join(region.text_parts)
    for _, name, _ in rf.MUNICIPALITIES:
        assert text.count(name) >= 3, name


def test_data_quality_counts(pack):
    """Totals and per-source rows of «Качество данных» against the fixture's audit rows;
    no row values (only codes would be there: the fixture has no others) are shown."""
    # files: 20 (2024, school of 01); 22 is of 2023; 21 unreadable (no territory)
    expect = {"00": (1, 5), "01": (1, 2), "02": (0, 2), "03": (0, 1)}
    for code, (files, rows) in expect.items():
        page = parse(pack[code])
        audit = [e for e in page.numbers if e["attrs"]["data-src"] == "audit"]
        by_kind = {}
        for e in audit:
            by_kind.setdefault(e["attrs"]["data-kind"], []).append(_number(e["text"])[0])
        assert by_kind["rejected_files_total"] == [files], code
        assert by_kind["quarantine_rows_total"] == [rows], code
        assert sum(by_kind.get("rejected_files", [])) == files
        assert sum(by_kind.get("quarantine_rows", [])) == rows
    region_text = "".join(parse(pack["00"]).text_parts)
    assert "отметка вне диапазона 2–5" in region_text
    assert "территорию которых определить нельзя" in region_text  # the unreadable file


def test_nothing_loads_from_the_network(pack):
    for path in pack.values():
        page = parse(path)
        html = path.read_text(encoding="utf-8")
        for tag, attrs in page.tags:
            assert tag not in ("script", "link", "img", "iframe", "object", "embed", "image"), tag
            for name in ("src", "href", "xlink:href", "srcset", "data"):
                assert name not in attrs, (tag, name, attrs[name])
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\")", html), path.name
        assert "@import" not in html and "url(" not in html and "@font-face" not in html


def test_renders_to_a4_pdf_and_png(rendered):
    for code, files in rendered.items():
        pdf = files["pdf"].read_bytes()
        assert pdf.startswith(b"%PDF-")
        pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
        counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
        counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
        assert counts and max(counts) == pages, (pages, counts)
        # every section starts a page: at least 7 (6 sections + the ranking running over);
        # a municipality's note stays short
        sections = len(parse(files["html"]).sections)
        assert pages >= sections, (code, pages)
        assert pages <= (20 if code == "00" else 12), (code, pages)
        # A4 portrait: 595 × 842 pt
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
        assert box and abs(float(box.group(1)) - 595) < 2 and abs(float(box.group(2)) - 842) < 2
        png = files["png"].read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(png[16:20], "big")
        height = int.from_bytes(png[20:24], "big")
        assert (width, height) == (900, 2400)
        assert len(png) > 50_000  # a page with text and charts, not a blank screenshot


def test_chromium_made_no_request(rendered):
    for code, files in rendered.items():
        assert page_requests(files["requests"]) == [], code


def test_the_proxy_sees_a_page_that_loads_from_the_network(chromium, proxy, tmp_path):
    """Control: the same Chromium set-up on a page with network resources records them."""
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://fonts.example.org/f.css">'
        '</head><body><img src="http://cdn.example.net/a.png"></body></html>',
        encoding="utf-8",
    )
    RecordingProxy.seen = []
    _chromium(chromium, proxy, tmp_path / "profile", f"--print-to-pdf={tmp_path / 'c.pdf'}",
              page.as_uri())  # fmt: skip
    hosts = {_host(r) for r in page_requests(RecordingProxy.seen)}
    assert {"fonts.example.org", "cdn.example.net"} <= hosts, RecordingProxy.seen


def test_unknown_municipality_is_exit_2(dsn, tmp_path, capsys):
    from orchestration.cli import main

    with warehouse_env(dsn, tmp_path / "state"):
        rc = main(["report", "--year", str(YEAR), "--municipality", "99", "--out", str(tmp_path)])
    assert rc == 2
    assert "99" in capsys.readouterr().err
