"""Dashboards as code (metabase/): the files, the provisioner, and every card's SQL for real.

(a) A local stand-in for Metabase v0.64 (http.server on 127.0.0.1, in-memory store) serves
    just the documented endpoints the provisioner uses, checks the session header or the
    API key and validates required fields the way the API schemas do. Provisioning twice must create
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
from metabase.client import API_KEY_HEADER, SESSION_HEADER, MetabaseClient
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
API_KEY = "mb_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="
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
    """In-memory Metabase v0.64 with the endpoints the provisioner uses."""

    def __init__(self):
        self.token = str(uuid.uuid4())
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self.auth: list[tuple[str | None, str | None]] = []  # (session, API key) per call
        self.groups: dict[int, str] = {1: "All Users", 2: "Administrators"}
        self.graph_revision = 1
        self.collection_perms: dict[int, dict[int, str]] = {}  # set by PUT; else defaults
        self.databases: dict[int, dict] = {
            1: {"id": 1, "name": "Sample Database", "engine": "h2", "details": {}},
            WAREHOUSE_DB["id"]: {**WAREHOUSE_DB, "details": {"host": "postgres"}},
        }
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
            self.auth.append((headers.get(SESSION_HEADER), headers.get(API_KEY_HEADER)))
            if (method, path) == ("POST", "/api/session"):
                _require(isinstance(body, dict), "body must be a map")
                ok = body.get("username") == USER and body.get("password") == PASSWORD
                _require(ok, "Password did not match stored password.", 401)
                return {"id": self.token}
            by_key = headers.get(API_KEY_HEADER) is not None
            ok = (
                headers.get(API_KEY_HEADER) == API_KEY
                if by_key
                else headers.get(SESSION_HEADER) == self.token
            )
            _require(ok, "Unauthenticated", 401)
            special = {
                "/api/permissions/group": "permissions_group",
                "/api/collection/graph": "collection_graph",
            }
            if path in special:
                handler = getattr(self, f"{method.lower()}_{special[path]}", None)
                _require(handler is not None, f"no such endpoint {method} {path}", 404)
                if method == "GET":
                    return handler()
                _require(isinstance(body, dict), "body must be a JSON map")
                return handler(body)
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
        # details as Metabase shows them to an admin: the password masked
        data = [
            {**d, "details": {**d["details"], "password": "**MetabasePass**"}}
            if "password" in d["details"]
            else copy.deepcopy(d)
            for d in self.databases.values()
        ]
        return {"data": data, "total": len(data)}

    # -- permission groups and the collection permissions graph

    def get_permissions_group(self):
        return [{"id": i, "name": n, "member_count": 0} for i, n in self.groups.items()]

    def post_permissions_group(self, body):
        _require(_non_blank(body.get("name")), "name: value must be a non-blank string")
        _require(body["name"] not in self.groups.values(), "A group with that name already exists.")
        gid = self.new_id()
        self.groups[gid] = body["name"]
        return {"id": gid, "name": body["name"]}

    def _perm(self, gid: int, cid: int) -> str:
        """A collection inherits its permissions at creation: All Users may write into the
        root collection by default, so into every new one; a new group may read nothing."""
        default = {1: "write", 2: "write"}.get(gid, "none")
        return self.collection_perms.get(gid, {}).get(cid, default)

    def get_collection_graph(self):
        return {
            "revision": self.graph_revision,
            "groups": {
                str(g): {str(c): self._perm(g, c) for c in self.collections} for g in self.groups
            },
        }

    def put_collection_graph(self, body):
        _require(
            body.get("revision") == self.graph_revision,
            "Looks like someone else edited the permissions",
            409,
        )
        groups = body.get("groups")
        _require(isinstance(groups, dict), "groups must be a map")
        for g, perms in groups.items():
            _require(int(g) in self.groups, f"no such group {g}")
            _require(int(g) != 2, "You cannot edit permissions for the Administrators group")
            for c, p in perms.items():
                _require(int(c) in self.collections, f"no such collection {c}")
                _require(p in {"read", "write", "none"}, f"invalid permission {p}")
        for g, perms in groups.items():
            for c, p in perms.items():
                self.collection_perms.setdefault(int(g), {})[int(c)] = p
        self.graph_revision += 1
        return self.get_collection_graph()

    def _check_details(self, details):
        _require(isinstance(details, dict), "details must be a map")
        for k in ("host", "dbname", "user", "password"):
            _require(_non_blank(details.get(k)), f"details.{k}: value must be a non-blank string")
        _require(_pos_int(details.get("port")), "details.port must be a positive integer")

    def post_database(self, body):
        _require(_non_blank(body.get("name")), "name: value must be a non-blank string")
        _require(body.get("engine") == "postgres", "engine: value must be a valid database engine")
        self._check_details(body.get("details"))
        _require(all(d["name"] != body["name"] for d in self.databases.values()), "duplicate name")
        did = self.new_id()
        self.databases[did] = {
            "id": did,
            "name": body["name"],
            "engine": body["engine"],
            "details": copy.deepcopy(body["details"]),
        }
        return self.databases[did]

    def put_database(self, ident, body):
        _require(ident in self.databases, "Not found.", 404)
        if "details" in body:
            self._check_details(body["details"])
            self.databases[ident]["details"] = copy.deepcopy(body["details"])
        return self.databases[ident]

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
            _require(q.get("database") in self.databases, "dataset_query: unknown database")
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
    for name in ("MB_URL", "MB_USER", "MB_PASSWORD", "METABASE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exc:
        prov.main(["--url", "http://127.0.0.1:9"])
    assert exc.value.code == 2


# ====================================================================== API key


def test_api_key_is_sent_as_header_and_no_session_is_opened(metabase, monkeypatch, capsys):
    for name in ("MB_USER", "MB_PASSWORD", "METABASE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert prov.main(["--url", metabase.url, "--api-key", API_KEY]) == 0
    assert ("POST", "/api/session") not in metabase.calls
    assert metabase.auth and set(metabase.auth) == {(None, API_KEY)}
    specs = load_specs()
    assert len(metabase.cards) == len(specs.cards)
    assert len(metabase.dashboards) == len(specs.dashboards)

    # the key from the environment (what `make metabase` passes on): a second run only reads
    monkeypatch.setenv("METABASE_API_KEY", API_KEY)
    metabase.calls.clear()
    metabase.auth.clear()
    capsys.readouterr()
    assert prov.main(["--url", metabase.url]) == 0
    assert "создать 0, изменить 0, в архив 0" in capsys.readouterr().out
    assert metabase.writes == [] and ("POST", "/api/session") not in metabase.calls
    assert set(metabase.auth) == {(None, API_KEY)}


def test_client_with_api_key_never_logs_in(metabase):
    client = MetabaseClient(metabase.url, api_key=API_KEY)
    assert client.get("/api/card") == []
    assert metabase.calls == [("GET", "/api/card?f=all")] or metabase.calls == [
        ("GET", "/api/card")
    ]
    assert metabase.auth == [(None, API_KEY)]


def test_wrong_api_key_is_an_error(metabase, monkeypatch, capsys):
    monkeypatch.delenv("METABASE_API_KEY", raising=False)
    assert prov.main(["--url", metabase.url, "--api-key", "mb_wrong"]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err
    assert metabase.writes == [] and ("POST", "/api/session") not in metabase.calls


# ====================================================================== municipal connections

ACCESS_YML = """\
warehouse: {host: postgres, port: 5432, dbname: edu_dwh}
connections:
  - {code: "01", name: г. Хабаровск, user: mb_mun_01, password_env: TEST_MB_PW_01}
  - {code: "02", name: г. Комсомольск-на-Амуре, user: mb_mun_02, password_env: TEST_MB_PW_02}
"""


def _by_name(fake: FakeMetabase) -> dict[str, dict]:
    return {d["name"]: d for d in fake.databases.values()}


def test_municipal_databases_are_created_once_and_updated(metabase, tmp_path, monkeypatch, capsys):
    from orchestration.row_security import role_name

    access = tmp_path / "metabase-access.yml"
    access.write_text(ACCESS_YML, encoding="utf-8")
    monkeypatch.setenv("TEST_MB_PW_01", "pw-one")
    monkeypatch.setenv("TEST_MB_PW_02", "pw-two")

    assert run_cli(metabase, "--access", str(access), "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "+ создать подключение edu_dwh_mun_01 «01 г. Хабаровск»" in plan
    assert metabase.writes == []

    assert run_cli(metabase, "--access", str(access)) == 0
    capsys.readouterr()
    dbs = _by_name(metabase)
    for code, user, pw in (("01", "mb_mun_01", "pw-one"), ("02", "mb_mun_02", "pw-two")):
        name = role_name(code)  # the database is named like the role it connects as
        assert dbs[name]["engine"] == "postgres"
        assert dbs[name]["details"] == {
            "host": "postgres",
            "port": 5432,
            "dbname": "edu_dwh",
            "user": user,
            "password": pw,
            "ssl": False,
        }
    assert [p for m, p in metabase.writes].count("/api/database") == 2
    # the ministry's dashboards stay on its connection; each municipality gets a copy of
    # every question and dashboard over its own, in its own collection
    specs = load_specs()
    by_key = {prov.key_of(c): c for c in metabase.cards.values()}
    colls = dict(metabase.collections)

    def top(coll_id):  # the top-level collection a collection is in
        c = colls[coll_id]
        return c["location"].strip("/").split("/")[0] if c["location"] != "/" else str(coll_id)

    roots = {c["name"]: str(c["id"]) for c in colls.values() if c["location"] == "/"}
    assert set(roots) == {
        ROOT_COLLECTION,
        f"{ROOT_COLLECTION}: г. Хабаровск",
        f"{ROOT_COLLECTION}: г. Комсомольск-на-Амуре",
    }
    for ns, db_name, root in (
        ("", "edu_dwh", ROOT_COLLECTION),
        ("edu_dwh_mun_01/", "edu_dwh_mun_01", f"{ROOT_COLLECTION}: г. Хабаровск"),
        ("edu_dwh_mun_02/", "edu_dwh_mun_02", f"{ROOT_COLLECTION}: г. Комсомольск-на-Амуре"),
    ):
        db_id = dbs[db_name]["id"]
        for key, spec in specs.cards.items():
            card = by_key[ns + key]
            assert card["dataset_query"]["database"] == db_id
            assert card["dataset_query"]["native"]["query"] == spec.sql
            assert top(card["collection_id"]) == roots[root]
        dashes = [
            d for d in metabase.dashboards.values() if prov.key_of(d).startswith(ns + "dashboards/")
        ]
        assert len(dashes) == len(specs.dashboards)
        for d in dashes:
            full = metabase.get_dashboard(d["id"])
            used = {
                metabase.cards[dc["card_id"]]["dataset_query"]["database"]
                for dc in full["dashcards"]
            }
            assert used == {db_id}
            for p in full["parameters"]:
                if p.get("values_source_type") == "card":
                    source = metabase.cards[p["values_source_config"]["card_id"]]
                    assert source["dataset_query"]["database"] == db_id

    # collection permissions: each municipal group reads its own tree only, the ministry's
    # group the ministry's, All Users none of them
    groups = {n: i for i, n in metabase.groups.items()}
    readers = {
        "Министерство: все муниципалитеты": roots[ROOT_COLLECTION],
        "Муниципалитет 01: г. Хабаровск": roots[f"{ROOT_COLLECTION}: г. Хабаровск"],
        "Муниципалитет 02: г. Комсомольск-на-Амуре": roots[
            f"{ROOT_COLLECTION}: г. Комсомольск-на-Амуре"
        ],
    }
    for group, root_id in readers.items():
        for cid in colls:
            want = "read" if top(cid) == root_id else "none"
            assert metabase._perm(groups[group], cid) == want, (group, colls[cid]["name"])
    assert all(metabase._perm(1, cid) == "none" for cid in colls)

    assert run_cli(metabase, "--access", str(access)) == 0
    assert metabase.writes == []  # nothing changed: only reads
    assert "создать 0, изменить 0, в архив 0" in capsys.readouterr().out

    access.write_text(ACCESS_YML.replace("user: mb_mun_02", "user: mb_mun_02b"), encoding="utf-8")
    assert run_cli(metabase, "--access", str(access)) == 0
    assert "~ изменить подключение edu_dwh_mun_02" in capsys.readouterr().out
    db_id = _by_name(metabase)["edu_dwh_mun_02"]["id"]
    assert metabase.writes == [("PUT", f"/api/database/{db_id}")]
    assert _by_name(metabase)["edu_dwh_mun_02"]["details"]["user"] == "mb_mun_02b"


def test_municipal_database_without_password_is_an_error(metabase, tmp_path, monkeypatch, capsys):
    access = tmp_path / "metabase-access.yml"
    access.write_text(ACCESS_YML, encoding="utf-8")
    monkeypatch.setenv("TEST_MB_PW_01", "pw-one")
    monkeypatch.delenv("TEST_MB_PW_02", raising=False)
    assert run_cli(metabase, "--access", str(access)) == 1
    assert "TEST_MB_PW_02" in capsys.readouterr().err
    # a password written into the file is refused
    access.write_text(ACCESS_YML.replace("password_env: TEST_MB_PW_01", "password: x"))
    assert run_cli(metabase, "--access", str(access)) == 1
    assert "no password in the file" in capsys.readouterr().err


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
    """Run as the ministry's BI role: it may read marts and reference only (publication)
    and, unlike a municipal role, every row of them (orchestration/row_security.py)."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("set role edu_dwh_ministry")
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
def test_every_card_runs_for_a_municipality(marts_dsn, filter_values):
    """The municipal copies (same SQL, a municipal connection): every card runs under the
    row policies, and a municipality's list of municipalities is itself."""
    code = _scalar(
        marts_dsn,
        "select territory_code from marts.dim_territories where territory_level = 'municipality'"
        " order by 1 limit 1",
    )
    role = prov.municipal_name(code)
    conn = psycopg2.connect(marts_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(f"set role {role}")
            for _key, card in sorted(CARDS.items()):
                cur.execute(render_sql(card.sql))
                cur.fetchall()
                values = {t: filter_values[t] for t in card.parameters}
                cur.execute(render_sql(card.sql, values))
                cur.fetchall()
            cur.execute(
                "select distinct territory_code from marts.indicator_values"
                " where territory_level = 'municipality'"
            )
            assert cur.fetchall() == [(code,)]
    finally:
        conn.rollback()
        conn.close()


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
