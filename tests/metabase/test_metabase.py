"""Dashboards as code (metabase/): the files, the provisioner, and every card's SQL for real.

(a) A local stand-in for Metabase v0.50 (http.server on 127.0.0.1, in-memory store) serves
    just the documented endpoints the provisioner uses, checks the session header and
    validates required fields the way the API schemas do. Provisioning twice must create
    everything once and then change nothing; --dry-run must write nothing.
(b) Every card's SQL runs against marts built by the real pipeline (synthetic region of
    every source → ingestion → dbt build → grants), as the BI role that may read only
    `marts` and `reference`, with no filter set (each card's defaults) and with
    representative filter values.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg2
import pytest

from metabase import provision as prov
from metabase.client import SESSION_HEADER, MetabaseClient
from metabase.specs import (
    GRID_WIDTH,
    ROOT_COLLECTION,
    SPEC_DIR,
    TEMPLATE_TAGS,
    SpecError,
    load_specs,
    render_sql,
    sql_problems,
)

USER, PASSWORD = "admin@example.org", "s3cret-pass"
WAREHOUSE_DB = {"id": 2, "name": "edu_dwh", "engine": "postgres"}

DASHBOARD_TITLES = {
    "ГИА: результаты ниже минимального порога",
    "Выпускники: аттестаты, 220+, 100-балльники",
    "ВПР и объективность",
    "Олимпиады и профориентация",
    "Рейтинг муниципалитетов и школ",
    "Целевые показатели",
    "Раннее предупреждение",
    "Показатели по группам школ",
}


# =============================================================================== the files


def test_specs_load_and_cover_the_dashboards():
    specs = load_specs()
    assert {d.name for d in specs.dashboards.values()} == DASHBOARD_TITLES
    placed = {c.card for d in specs.dashboards.values() for c in d.cards}
    value_sources = {f.values_card for d in specs.dashboards.values() for f in d.filters}
    # every question is on a dashboard or feeds a dashboard filter's list of values
    assert set(specs.cards) == placed | (value_sources - {None})
    for card in specs.cards.values():
        assert card.collection[0] == ROOT_COLLECTION
        assert re.search("[а-яё]", card.name, re.I), card.key  # Russian names
        assert re.search("[а-яё]", card.description, re.I), card.key
    for dash in specs.dashboards.values():
        assert all(c.col + c.size_x <= GRID_WIDTH for c in dash.cards)
    codes = " ".join(c.sql for c in specs.cards.values())
    for code in [f"GIA-{i:02d}" for i in (1, 5, 6, 7, 8, 9)] + ["VPR-01", "VPR-02", "VPR-03"]:
        assert code in codes
    assert "marts.fct_vpr_objectivity_flags" in codes and "marts.territory_ratings" in codes
    assert "DR-02" in codes and "marts.gia_early_warning" in codes
    assert "marts.indicator_values_by_school_group" in codes
    assert "target_value" in codes


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("select * from raw.gia_results", "reads schemas other than marts/reference"),
        ("select * from staging.stg_x", "reads schemas other than marts/reference"),
        ("select * from indicator_values", "not schema-qualified and not a CTE"),
        ("select 1 where year = {{year}}", "outside an optional clause"),
        ("select 1 [[where year = {{year}}]];", "trailing semicolon"),
        ('select 1 as "' + "Очень длинное название столбца " * 2 + '"', "longer than 63 bytes"),
    ],
)
def test_sql_checks_reject(sql, problem):
    tags = tuple(sorted(set(re.findall(r"\{\{(\w+)\}\}", sql))))
    assert any(problem in p for p in sql_problems(sql, tags))


def test_render_sql_like_metabase():
    sql = "select 1 [[and year = {{year}}]] [[and m = {{municipality}}]]"
    assert render_sql(sql) == "select 1  "
    assert render_sql(sql, {"year": 2024, "municipality": "г. Хабаровск"}) == (
        "select 1 and year = 2024 and m = 'г. Хабаровск'"
    )
    assert render_sql(sql, {"municipality": "O'Brien"}).endswith("and m = 'O''Brien'")
    assert render_sql("select coalesce([[{{year}},]] 1)", {"year": "2023"}) == (
        "select coalesce(2023, 1)"
    )


def test_invalid_spec_is_reported(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(SPEC_DIR / "cards", specs / "cards")
    shutil.copytree(SPEC_DIR / "dashboards", specs / "dashboards")
    (specs / "cards/gia/broken.yml").write_text(
        "name: Сломанный\ndescription: нет\ndisplay: pie_chart\nfamily: GIA\n"
        "sql: select * from audit.loads\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as err:
        load_specs(specs)
    assert "cards/gia/broken: display must be one of" in str(err.value)
    assert "reads schemas other than marts/reference: ['audit']" in str(err.value)


# ====================================================================== Metabase stand-in


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _require(cond: bool, message: str, status: int = 400) -> None:
    if not cond:
        raise ApiError(status, message)


def _non_blank(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _pos_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_parameters(params) -> None:
    """ms/Parameter: a sequence of maps, each with :id and :type."""
    _require(params is None or isinstance(params, list), "parameters must be a sequence")
    for p in params or []:
        _require(isinstance(p, dict) and _non_blank(p.get("id")), "parameter must have an id")
        _require(_non_blank(p.get("type")), "parameter must have a type")


class FakeMetabase:
    """In-memory Metabase v0.50 with the endpoints the provisioner uses."""

    def __init__(self):
        self.token = str(uuid.uuid4())
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self.collections: dict[int, dict] = {}
        self.cards: dict[int, dict] = {}
        self.dashboards: dict[int, dict] = {}
        self.dashcards: dict[int, dict] = {}
        self.next_id = 100

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET" and c[1] != "/api/session"]

    # -- dispatch

    def handle(self, method: str, raw_path: str, headers, body):
        url = urlparse(raw_path)
        path, query = url.path.rstrip("/"), {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.lock:
            self.calls.append((method, raw_path))
            if (method, path) == ("POST", "/api/session"):
                _require(isinstance(body, dict), "body must be a map")
                ok = body.get("username") == USER and body.get("password") == PASSWORD
                _require(ok, "Password did not match stored password.", 401)
                return {"id": self.token}
            _require(headers.get(SESSION_HEADER) == self.token, "Unauthenticated", 401)
            m = re.fullmatch(r"/api/(\w+)(?:/(\d+))?", path)
            _require(m is not None, f"no such endpoint {path}", 404)
            resource, ident = m.group(1), m.group(2)
            handler = getattr(self, f"{method.lower()}_{resource}", None)
            _require(handler is not None, f"no such endpoint {method} {path}", 404)
            args = [int(ident)] if ident else []
            if method == "GET":
                return handler(*args, **query)
            _require(isinstance(body, dict), "body must be a JSON map")
            return handler(*args, body)

    # -- databases

    def get_database(self):
        sample = {"id": 1, "name": "Sample Database", "engine": "h2"}
        return {"data": [sample, WAREHOUSE_DB], "total": 2}

    # -- collections

    def get_collection(self, ident=None, archived="false"):
        if ident is not None:
            _require(ident in self.collections, "Not found.", 404)
            return self.collections[ident]
        root = {"id": "root", "name": "Our analytics", "can_write": True}
        show = archived == "true"
        return [root] + [c for c in self.collections.values() if c["archived"] == show]

    def _location(self, parent_id) -> str:
        if parent_id is None:
            return "/"
        _require(_pos_int(parent_id), "parent_id must be an integer greater than zero")
        _require(parent_id in self.collections, "parent collection not found", 404)
        return self.collections[parent_id]["location"] + f"{parent_id}/"

    def post_collection(self, body):
        _require(_non_blank(body.get("name")), "name: value must be a non-blank string")
        desc = body.get("description")
        _require(desc is None or _non_blank(desc), "description must be a non-blank string")
        cid = self.new_id()
        self.collections[cid] = {
            "id": cid,
            "name": body["name"],
            "description": desc,
            "location": self._location(body.get("parent_id")),
            "archived": False,
            "slug": f"c{cid}",
            "namespace": None,
        }
        return self.collections[cid]

    def put_collection(self, ident, body):
        _require(ident in self.collections, "Not found.", 404)
        c = self.collections[ident]
        if "name" in body:
            _require(_non_blank(body["name"]), "name must be a non-blank string")
            c["name"] = body["name"]
        if "description" in body:
            c["description"] = body["description"]
        if "parent_id" in body:
            c["location"] = self._location(body["parent_id"])
        return c

    # -- cards

    def _check_card(self, body, creating: bool):
        if creating or "name" in body:
            _require(_non_blank(body.get("name")), "name: value must be a non-blank string")
        if creating or "display" in body:
            _require(_non_blank(body.get("display")), "display must be a non-blank string")
        if creating or "visualization_settings" in body:
            _require(isinstance(body.get("visualization_settings"), dict), "vis must be a map")
        desc = body.get("description")
        _require(desc is None or _non_blank(desc), "description must be a non-blank string")
        coll = body.get("collection_id")
        _require(coll is None or coll in self.collections, "collection_id: no such collection")
        _check_parameters(body.get("parameters"))
        if creating or "dataset_query" in body:
            q = body.get("dataset_query")
            _require(isinstance(q, dict), "dataset_query must be a map")
            _require(q.get("database") == WAREHOUSE_DB["id"], "dataset_query: unknown database")
            _require(q.get("type") == "native", "only native queries in this stand-in")
            native = q.get("native") or {}
            _require(_non_blank(native.get("query")), "native query must be a non-blank string")
            tags = native.get("template-tags") or {}
            used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", native["query"]))
            _require(set(tags) == used, f"template-tags {sorted(tags)} ≠ query tags")
            for name, tag in tags.items():
                _require(tag.get("name") == name and _non_blank(tag.get("id")), "bad tag")
                _require(tag.get("type") in {"text", "number", "date", "dimension"}, "tag type")
                _require(_non_blank(tag.get("display-name")), "tag display-name")

    def get_card(self, ident=None, f="all"):
        if ident is not None:
            _require(ident in self.cards, "Not found.", 404)
            return self.cards[ident]
        _require(f in {"all", "archived", "mine"}, "f: invalid filter option")
        return [c for c in self.cards.values() if c["archived"] == (f == "archived")]

    def post_card(self, body):
        self._check_card(body, creating=True)
        cid = self.new_id()
        card = copy.deepcopy(body)
        card.update(
            id=cid,
            archived=False,
            entity_id=uuid.uuid4().hex[:21],
            creator_id=1,
            result_metadata=[],
            type="question",
            parameters=card.get("parameters") or [],
        )
        self.cards[cid] = card
        return card

    def put_card(self, ident, body):
        _require(ident in self.cards, "Not found.", 404)
        self._check_card(body, creating=False)
        self.cards[ident].update(copy.deepcopy(body))
        return self.cards[ident]

    # -- dashboards

    def _check_dashboard_parameters(self, params):
        _check_parameters(params)
        for p in params or []:
            if p.get("values_source_type") == "card":
                source = p.get("values_source_config") or {}
                _require(source.get("card_id") in self.cards, "values source: no such card")
                field = source.get("value_field")
                _require(isinstance(field, list) and field[:1] == ["field"], "value_field")

    def get_dashboard(self, ident=None, f="all"):
        if ident is None:
            _require(f in {"all", "archived", "mine"}, "f: invalid filter option")
            show = f == "archived"
            return [
                {k: v for k, v in d.items() if k != "dashcards"}
                for d in self.dashboards.values()
                if d["archived"] == show
            ]
        _require(ident in self.dashboards, "Not found.", 404)
        _require(not self.dashboards[ident]["archived"], "The object has been archived.", 404)
        dash = copy.deepcopy(self.dashboards[ident])
        dash["dashcards"] = [
            {**dc, "card": self.cards.get(dc["card_id"])}
            for dc in self.dashcards.values()
            if dc["dashboard_id"] == ident
        ]
        dash["tabs"] = []
        return dash

    def post_dashboard(self, body):
        _require(_non_blank(body.get("name")), "name: value must be a non-blank string")
        coll = body.get("collection_id")
        _require(coll is None or coll in self.collections, "collection_id: no such collection")
        self._check_dashboard_parameters(body.get("parameters"))
        did = self.new_id()
        self.dashboards[did] = {
            "id": did,
            "name": body["name"],
            "description": body.get("description"),
            "collection_id": coll,
            "parameters": copy.deepcopy(body.get("parameters") or []),
            "archived": False,
            "entity_id": uuid.uuid4().hex[:21],
        }
        return self.dashboards[did]

    def put_dashboard(self, ident, body):
        _require(ident in self.dashboards, "Not found.", 404)
        dash = self.dashboards[ident]
        if "name" in body:
            _require(_non_blank(body["name"]), "name must be a non-blank string")
        if "collection_id" in body:
            coll = body["collection_id"]
            _require(coll is None or coll in self.collections, "no such collection")
        if "parameters" in body:
            self._check_dashboard_parameters(body["parameters"])
        if "dashcards" in body:
            _require(not dash["archived"], "The object has been archived.", 404)
            self._check_dashcards(
                ident, body["dashcards"], body.get("parameters", dash["parameters"])
            )
        for k in ("name", "description", "collection_id", "parameters", "archived"):
            if k in body:
                dash[k] = copy.deepcopy(body[k])
        if "dashcards" in body:
            keep = set()
            for dc in body["dashcards"]:
                stored = {
                    k: copy.deepcopy(dc.get(k))
                    for k in ("card_id", "row", "col", "size_x", "size_y", "parameter_mappings")
                }
                stored["parameter_mappings"] = stored["parameter_mappings"] or []
                stored.update(dashboard_id=ident, series=[], visualization_settings={})
                if dc["id"] < 0:
                    stored["id"] = self.new_id()
                    self.dashcards[stored["id"]] = stored
                else:
                    stored["id"] = dc["id"]
                    self.dashcards[dc["id"]].update(stored)
                keep.add(stored["id"])
            for dcid in [i for i, d in self.dashcards.items() if d["dashboard_id"] == ident]:
                if dcid not in keep:
                    del self.dashcards[dcid]
        return dash

    def _check_dashcards(self, ident, dashcards, parameters):
        _require(isinstance(dashcards, list), "dashcards must be a sequence")
        ids = [dc.get("id") for dc in dashcards]
        _require(len(set(ids)) == len(ids), "dashcards: value must be seq of maps with unique ids")
        param_ids = {p["id"] for p in parameters or []}
        for dc in dashcards:
            _require(isinstance(dc.get("id"), int), "dashcard id must be an integer")
            _require(_pos_int(dc.get("size_x")) and _pos_int(dc.get("size_y")), "size")
            for k in ("row", "col"):
                _require(isinstance(dc.get(k), int) and dc[k] >= 0, f"{k} must be ≥ 0")
            if dc["id"] > 0:
                owner = self.dashcards.get(dc["id"], {}).get("dashboard_id")
                _require(owner == ident, "dashcard does not belong to this dashboard", 404)
            _require(dc.get("card_id") in self.cards, "dashcard card_id: no such card")
            for m in dc.get("parameter_mappings") or []:
                _require(_non_blank(m.get("parameter_id")) and "target" in m, "mapping")
                _require(m["parameter_id"] in param_ids, "mapping to an unknown parameter")
                _require(m.get("card_id") in (None, dc["card_id"]), "mapping card_id")
                target = m["target"]
                if target[0] == "variable":
                    tag = target[1][1]
                    tags = self.cards[dc["card_id"]]["dataset_query"]["native"]["template-tags"]
                    _require(tag in tags, f"mapping to unknown template tag {tag}")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeMetabase

    def log_message(self, *args):  # keep pytest output quiet
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
            status, answer = 200, self.fake.handle(method, self.path, self.headers, body)
        except ApiError as exc:
            status, answer = exc.status, {"message": str(exc)}
        except json.JSONDecodeError:
            status, answer = 400, {"message": "malformed JSON"}
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._serve("GET")

    def do_POST(self):  # noqa: N802
        self._serve("POST")

    def do_PUT(self):  # noqa: N802
        self._serve("PUT")


@pytest.fixture
def metabase():
    fake = FakeMetabase()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def run_cli(fake: FakeMetabase, *extra: str) -> int:
    fake.calls.clear()
    return prov.main(["--url", fake.url, "--user", USER, "--password", PASSWORD, *extra])


# ====================================================================== provisioning


def test_stand_in_requires_a_session(metabase):
    client = MetabaseClient(metabase.url)
    with pytest.raises(prov.MetabaseError) as err:
        client.get("/api/card")
    assert err.value.status == 401
    with pytest.raises(prov.MetabaseError):
        client.login(USER, "wrong")
    client.login(USER, PASSWORD)
    assert client.get("/api/card") == []


def test_provision_twice_creates_then_changes_nothing(metabase, capsys):
    specs = load_specs()
    assert run_cli(metabase) == 0
    out = capsys.readouterr().out
    posts = [p for m, p in metabase.calls if m == "POST" and p != "/api/session"]
    assert posts.count("/api/collection") == len(specs.collections)
    assert posts.count("/api/card") == len(specs.cards)
    assert posts.count("/api/dashboard") == len(specs.dashboards)
    assert f"создать {len(specs.collections) + len(specs.cards) + len(specs.dashboards)}" in out

    # one owned root collection; everything inside it
    roots = [c for c in metabase.collections.values() if c["location"] == "/"]
    assert [c["name"] for c in roots] == [ROOT_COLLECTION]
    root_id = roots[0]["id"]
    for c in metabase.collections.values():
        assert c["location"] in ("/", f"/{root_id}/")
    # each card: its key, the warehouse, its SQL and template tags
    by_key = {prov.key_of(c): c for c in metabase.cards.values()}
    assert set(by_key) == set(specs.cards)
    for key, spec in specs.cards.items():
        card = by_key[key]
        assert card["name"] == spec.name and card["display"] == spec.display
        assert card["description"].endswith(f"[edu-dwh:{key}]")
        assert card["dataset_query"]["native"]["query"] == spec.sql
        assert set(card["dataset_query"]["native"]["template-tags"]) == set(spec.parameters)
        assert metabase.collections[card["collection_id"]]["name"] == spec.collection[-1]
    # dashboards: titles, every card placed, every filter wired to the cards having its tag
    dashboards = {d["name"]: d for d in metabase.dashboards.values()}
    assert set(dashboards) == DASHBOARD_TITLES
    for spec in specs.dashboards.values():
        dash = metabase.get_dashboard(dashboards[spec.name]["id"])
        assert dash["collection_id"] == root_id
        assert [p["slug"] for p in dash["parameters"]] == [f.slug for f in spec.filters]
        assert len(dash["dashcards"]) == len(spec.cards)
        param_by_slug = {p["slug"]: p["id"] for p in dash["parameters"]}
        for dc, placed in zip(dash["dashcards"], spec.cards, strict=True):
            card_spec = specs.cards[placed.card]
            assert prov.key_of(metabase.cards[dc["card_id"]]) == placed.card
            assert (dc["row"], dc["col"], dc["size_x"], dc["size_y"]) == (
                placed.row, placed.col, placed.size_x, placed.size_y,
            )  # fmt: skip
            wired = {m["target"][1][1]: m["parameter_id"] for m in dc["parameter_mappings"]}
            expected = {t for t in card_spec.parameters if t in param_by_slug}
            assert wired == {t: param_by_slug[t] for t in expected}
        for p in dash["parameters"]:
            assert p["type"] == TEMPLATE_TAGS[p["slug"]].parameter_type

    snapshot = copy.deepcopy((metabase.collections, metabase.cards, metabase.dashboards))
    dashcards = copy.deepcopy(metabase.dashcards)
    assert run_cli(metabase) == 0
    out = capsys.readouterr().out
    assert metabase.writes == []  # only GETs (and the login)
    assert "создать 0, изменить 0, в архив 0" in out
    assert (metabase.collections, metabase.cards, metabase.dashboards) == snapshot
    assert metabase.dashcards == dashcards


def test_dry_run_writes_nothing(metabase, capsys):
    assert run_cli(metabase, "--dry-run") == 0
    out = capsys.readouterr().out
    assert metabase.writes == []
    assert not metabase.cards and not metabase.dashboards and not metabase.collections
    assert "Пробный прогон" in out
    assert "+ создать дашборд dashboards/gia_below_min «ГИА: результаты ниже" in out

    assert run_cli(metabase) == 0
    capsys.readouterr()
    assert run_cli(metabase, "--dry-run") == 0
    assert "создать 0, изменить 0, в архив 0" in capsys.readouterr().out
    assert metabase.writes == []


def test_changed_and_removed_files_update_and_archive(metabase, tmp_path, capsys):
    specs_dir = tmp_path / "specs"
    shutil.copytree(SPEC_DIR / "cards", specs_dir / "cards")
    shutil.copytree(SPEC_DIR / "dashboards", specs_dir / "dashboards")
    assert run_cli(metabase, "--specs", str(specs_dir)) == 0

    # a card's SQL changes, another card is removed from its dashboard and deleted
    card = specs_dir / "cards/gia/below_min_trend.yml"
    card.write_text(
        card.read_text(encoding="utf-8").replace("order by v.year,", "order by v.year desc,"),
        encoding="utf-8",
    )
    (specs_dir / "cards/gia/worst_schools_below_min.yml").unlink()
    dash = specs_dir / "dashboards/gia_below_min.yml"
    dash.write_text(
        "\n".join(
            line
            for line in dash.read_text(encoding="utf-8").splitlines()
            if "worst_schools_below_min" not in line
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run_cli(metabase, "--specs", str(specs_dir), "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "~ изменить вопрос cards/gia/below_min_trend" in plan and "dataset_query" in plan
    assert "- в архив вопрос cards/gia/worst_schools_below_min" in plan
    assert metabase.writes == []

    assert run_cli(metabase, "--specs", str(specs_dir)) == 0
    ids = {prov.key_of(c): i for i, c in metabase.cards.items()}
    dash_id = next(i for i, d in metabase.dashboards.items() if "gia_below_min" in d["description"])
    assert sorted(metabase.writes) == sorted(
        [
            ("PUT", f"/api/card/{ids['cards/gia/below_min_trend']}"),
            ("PUT", f"/api/card/{ids['cards/gia/worst_schools_below_min']}"),
            ("PUT", f"/api/dashboard/{dash_id}"),
        ]
    )
    assert metabase.cards[ids["cards/gia/worst_schools_below_min"]]["archived"] is True
    assert len(metabase.get_dashboard(dash_id)["dashcards"]) == 4
    assert run_cli(metabase, "--specs", str(specs_dir)) == 0
    assert metabase.writes == []


def test_unknown_database_is_an_error(metabase, capsys):
    assert run_cli(metabase, "--database-name", "warehouse") == 1
    err = capsys.readouterr().err
    assert "нет базы данных «warehouse»" in err and "edu_dwh" in err
    assert metabase.writes == []


def test_missing_credentials_is_a_usage_error(monkeypatch):
    for name in ("MB_URL", "MB_USER", "MB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exc:
        prov.main(["--url", "http://127.0.0.1:9"])
    assert exc.value.code == 2


# ============================================================ every card's SQL for real


@pytest.fixture(scope="module")
def marts_dsn(synthetic_warehouse):
    """The tiny synthetic region built by the real pipeline (tests/conftest.py)."""
    return synthetic_warehouse["dsn"]


FAMILY_HAS_DATA = {
    "GIA": "select exists (select 1 from marts.indicator_values where indicator_code like 'GIA-%')",
    "VPR": "select exists (select 1 from marts.indicator_values where indicator_code like 'VPR-%')",
    "OLY": "select exists (select 1 from marts.indicator_values where indicator_code like 'OLY-%')",
    "CAR": "select exists (select 1 from marts.indicator_values where indicator_code like 'CAR-%')",
    "RNK": "select exists (select 1 from marts.territory_ratings)",
    "TGT": "select exists (select 1 from marts.indicator_values where target_value is not null)",
    "REF": "select true",
    "DR": "select exists (select 1 from marts.gia_early_warning)",
    "GRP": "select exists (select 1 from marts.indicator_values_by_school_group)",
}
# cards that may rightly be empty although their family has data
EXPECT_ROWS_WHEN = {
    "cards/vpr/objectivity_flags": "select exists (select 1 from marts.fct_vpr_objectivity_flags)",
    "cards/olympiad/pass_score_reach": (
        "select exists (select 1 from marts.fct_olympiad_pass_score_reach)"
    ),
    "cards/early_warning/forecast_vs_actual": (
        "select exists (select 1 from marts.gia_early_warning where actual_share is not null"
        " and territory_level = 'region' and subject_code = 1)"
    ),
    "cards/early_warning/schools_forecast": (
        "select exists (select 1 from marts.indicator_values where indicator_code = 'DR-02'"
        " and territory_level = 'school' and subject_code = 1"
        " and year = (select max(year) from marts.gia_early_warning))"
    ),
    "cards/olympiad/regional_winners_by_subject": (
        "select exists (select 1 from marts.indicator_values"
        " where indicator_code = 'OLY-01' and breakdown_key is not null and value > 0)"
    ),
}
CARDS = load_specs().cards


def _run_as_bi_reader(dsn: str, sql: str) -> tuple[list[str], list[tuple]]:
    """Run as the BI role, which may read marts and reference only (pipeline.publish)."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("set role edu_dwh_bi_reader")
            cur.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
    finally:
        conn.rollback()
        conn.close()


def _scalar(dsn: str, sql: str):
    return _run_as_bi_reader(dsn, sql)[1][0][0]


@pytest.fixture(scope="module")
def filter_values(marts_dsn) -> dict:
    """Representative values for the template tags: the latest year, a real municipality."""
    specs = load_specs()
    _, years = _run_as_bi_reader(marts_dsn, render_sql(specs.cards["cards/filters/years"].sql))
    _, munis = _run_as_bi_reader(
        marts_dsn, render_sql(specs.cards["cards/filters/municipalities"].sql)
    )
    _, grades = _run_as_bi_reader(
        marts_dsn, render_sql(specs.cards["cards/filters/vpr_grades"].sql)
    )
    return {
        "year": max(y for (y,) in years),
        "municipality": munis[0][0],
        "subject": "Русский язык",
        "grade": grades[0][0] if grades else 4,
        "school_group_kind": "ШНОР",
        "school_group": "да",
    }


def _referenced_columns(vis: dict) -> set[str]:
    cols = set(vis.get("graph.dimensions", [])) | set(vis.get("graph.metrics", []))
    for rule in vis.get("table.column_formatting", []):
        cols |= set(rule["columns"])
    for key in vis.get("column_settings", {}):
        cols.add(json.loads(key)[1])
    return cols


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(CARDS))
def test_card_sql_runs_on_the_marts(marts_dsn, filter_values, key):
    card = CARDS[key]
    family_sql = EXPECT_ROWS_WHEN.get(key, FAMILY_HAS_DATA[card.family])

    columns, rows = _run_as_bi_reader(marts_dsn, render_sql(card.sql))  # no filter set
    assert len(set(columns)) == len(columns), f"duplicate column names: {columns}"
    assert _referenced_columns(card.visualization_settings) <= set(columns)
    if _scalar(marts_dsn, family_sql):
        assert rows, f"{key}: no rows with the defaults although its data is published"
    if card.display == "scalar":
        assert len(rows) <= 1

    values = {t: filter_values[t] for t in card.parameters}
    columns2, _ = _run_as_bi_reader(marts_dsn, render_sql(card.sql, values))
    assert columns2 == columns


@pytest.mark.slow
def test_filter_value_cards_have_the_wired_column(marts_dsn):
    specs = load_specs()
    for dash in specs.dashboards.values():
        for f in dash.filters:
            if f.values_card:
                columns, rows = _run_as_bi_reader(
                    marts_dsn, render_sql(specs.cards[f.values_card].sql)
                )
                assert f.values_column in columns, (dash.key, f.slug)
                assert rows or f.values_card == "cards/filters/vpr_grades"


@pytest.mark.slow
def test_pipeline_built_every_family(marts_dsn):
    for family, sql in FAMILY_HAS_DATA.items():
        assert _scalar(marts_dsn, sql), family


def test_card_keys_match_files():
    for key in CARDS:
        assert (SPEC_DIR / f"{key}.yml").is_file()
    assert Path(prov.__file__).parent == SPEC_DIR


def test_comparison_ignores_what_metabase_adds():
    desired = {"a": 1, "q": {"tags": {"year": {"id": "x"}}}, "empty": None, "params": [{"id": 1}]}
    current = {
        "a": 1,
        "extra": True,
        "q": {"tags": {"year": {"id": "x", "default": None}}, "more": 1},
        "params": [{"id": 1, "slug": "year"}],
    }
    assert prov.matches(desired, current)
    assert not prov.matches({**desired, "params": []}, current)
    assert not prov.matches({"flag": False}, {})
    assert prov.changed_fields({"v": {}}, {"v": {"x": 1}}, exact=("v",)) == ["v"]
    assert prov.changed_fields({"v": {}}, {}, exact=("v",)) == []
    assert prov._parent_of({"location": "/3/7/"}) == 7
    assert prov._parent_of({"location": "/"}) is None
    assert prov._parent_of({"parent_id": 5}) == 5


def test_archived_objects_are_brought_back(metabase, capsys):
    assert run_cli(metabase) == 0
    card_id = next(
        i for i, c in metabase.cards.items() if "cards/ratings/trend]" in c["description"]
    )
    dash_id = next(
        i for i, d in metabase.dashboards.items() if "dashboards/ratings]" in d["description"]
    )
    metabase.cards[card_id]["archived"] = True  # archived by hand in Metabase
    metabase.dashboards[dash_id]["archived"] = True
    capsys.readouterr()
    assert run_cli(metabase) == 0
    out = capsys.readouterr().out
    assert "~ вернуть из архива вопрос cards/ratings/trend" in out
    assert "~ вернуть из архива дашборд dashboards/ratings" in out
    assert not metabase.cards[card_id]["archived"] and not metabase.dashboards[dash_id]["archived"]
    assert [m for m, _ in metabase.writes] == ["PUT", "PUT"]  # no duplicate created
    assert len(metabase.get_dashboard(dash_id)["dashcards"]) == 6
    assert run_cli(metabase) == 0
    assert metabase.writes == []
