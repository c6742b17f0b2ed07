"""Create or update the Metabase collection, questions and dashboards from metabase/*.yml,
and the warehouse connections of the municipal BI roles.

    python -m metabase.provision --url http://localhost:3000 --api-key … \
        [--database-name edu_dwh] [--access metabase-access.yml] [--dry-run]
    python -m metabase.provision --url … --user admin@example.org --password … …

(or MB_URL / METABASE_API_KEY / MB_USER / MB_PASSWORD / MB_DATABASE_NAME / MB_ACCESS_FILE in
the environment). An API key is used when given (header X-API-KEY, no session); else the
user logs in (POST /api/session).

Everything lives in one collection the tool owns, «Мониторинг качества образования», and its
sub-collections. Each card, dashboard and collection carries its key in its description as
a trailing ``[edu-dwh:<key>]``; the tool finds its objects by that key, never by name or id,
so renaming a card in a file updates the same question. Objects are compared field by
field with what Metabase returns: a run that finds nothing to change sends only GETs, so
running twice is a no-op. Objects carrying a key that no longer has a file are archived;
an owned object archived by hand is brought back.
``--dry-run`` prints the plan and writes nothing.

With ``--access FILE`` (the municipal logins: metabase/README.md, "Access per
municipality"), per municipality: a Metabase database named like its role
(``edu_dwh_mun_<Код АТЕ>``), connecting as its login, whose password is read from the
environment variable the file names (never from the file) — created, or updated when host,
port, database or user differ; a copy of every question and dashboard over that database in
its own collection «Мониторинг качества образования: <municipality>» (keys under
``edu_dwh_mun_<code>/``); a group «Муниципалитет <code>: <name>» reading that collection
only. The group «Министерство: все муниципалитеты» reads the ministry's collection, and
"All Users" none of the owned collections (GET, PUT /api/collection/graph; GET, POST
/api/permissions/group).

REST endpoints (checked against Metabase v0.64, the image pinned in docker-compose.yml):
POST /api/session (password login only); GET, POST /api/database, PUT /api/database/:id;
GET, POST, PUT /api/collection[/:id]; GET /api/card?f=all|archived, POST /api/card,
PUT /api/card/:id; GET /api/dashboard?f=all|archived, GET /api/dashboard/:id,
POST /api/dashboard, PUT /api/dashboard/:id (with ``dashcards`` and ``parameters``: the
``POST /api/dashboard/:id/cards`` of older releases no longer exists).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from metabase.client import MetabaseClient, MetabaseError
from metabase.specs import (
    ROOT_COLLECTION,
    SPEC_DIR,
    TEMPLATE_TAGS,
    CardSpec,
    DashboardSpec,
    SpecError,
    Specs,
    load_specs,
)

DEFAULT_DATABASE_NAME = "edu_dwh"
MARKER_RE = re.compile(r"\[edu-dwh:([^\]]+)\]\s*$")
ID_NAMESPACE = uuid.UUID("6f1c1f52-8d1e-4d0f-9a55-2d0f3c1b7e11")
NOTICE = (
    "Создано и обновляется из репозитория edu-dwh (папка metabase/); правки, сделанные в"
    " Metabase вручную, будут перезаписаны при следующем развёртывании."
)

# ------------------------------------------------------------------------------ keys & ids


def marked(description: str, key: str) -> str:
    """The description as stored in Metabase: the text, then the key marker on its own line."""
    return f"{description.strip()}\n\n[edu-dwh:{key}]"


def key_of(obj: dict) -> str | None:
    m = MARKER_RE.search(obj.get("description") or "")
    return m.group(1) if m else None


def collection_key(path: tuple[str, ...]) -> str:
    return "collection:" + "/".join(path)


def tag_id(card_key: str, tag: str) -> str:
    """Stable template-tag id (Metabase uses UUIDs), so an unchanged card compares equal."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{card_key}#{tag}"))


def parameter_id(dashboard_key: str, slug: str) -> str:
    """Stable dashboard-parameter id (8 hex characters, like the ones Metabase makes)."""
    return hashlib.sha1(f"{dashboard_key}#{slug}".encode()).hexdigest()[:8]


# ------------------------------------------------------------------------------ access file

MUNICIPAL_PREFIX = "edu_dwh_mun_"  # = orchestration/row_security.py (its roles' names)


def municipal_name(code: str) -> str:
    """The municipal role's name for a Код АТЕ, as orchestration/row_security.role_name."""
    return MUNICIPAL_PREFIX + re.sub(r"[^a-z0-9_]", "_", code.strip().lower())


@dataclass(frozen=True)
class Connection:
    code: str  # Код АТЕ
    name: str  # the municipality (Russian)
    user: str  # its warehouse login (a member of edu_dwh_mun_<code>)
    password_env: str  # the environment variable holding that login's password

    @property
    def database_name(self) -> str:
        return municipal_name(self.code)


@dataclass(frozen=True)
class Access:
    host: str
    port: int
    dbname: str
    connections: tuple[Connection, ...]


def load_access(path: Path) -> Access:
    """The municipal connections file (YAML; kept beside .env, not in the repository)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: {exc}") from None
    problems = []
    wh = data.get("warehouse") if isinstance(data, dict) else None
    if not isinstance(wh, dict) or not all(wh.get(k) for k in ("host", "dbname")):
        problems.append(f"{path}: warehouse needs host and dbname (port: default 5432)")
        wh = {}
    connections = []
    for i, c in enumerate((data.get("connections") if isinstance(data, dict) else None) or []):
        if not isinstance(c, dict):
            problems.append(f"{path}: connections[{i}] must be a map")
            continue
        if "password" in c:
            problems.append(f"{path}: connections[{i}]: no password in the file (password_env)")
            continue
        missing = [k for k in ("code", "name", "user", "password_env") if not c.get(k)]
        if missing:
            problems.append(f"{path}: connections[{i}] lacks {', '.join(missing)}")
            continue
        connections.append(Connection(str(c["code"]), c["name"], c["user"], c["password_env"]))
    codes = [c.code for c in connections]
    if len(set(codes)) != len(codes):
        problems.append(f"{path}: a municipality is listed twice")
    if problems:
        raise SpecError("\n".join(problems))
    port = int(wh.get("port") or 5432)
    return Access(wh.get("host", ""), port, wh.get("dbname", ""), tuple(connections))


MINISTRY_GROUP = "Министерство: все муниципалитеты"
ALL_USERS_GROUP = "All Users"  # Metabase's own group of every user (id 1)


def municipal_group(conn: Connection) -> str:
    return f"Муниципалитет {conn.code}: {conn.name}"


def municipal_specs(specs: Specs, conn: Connection) -> Specs:
    """The same questions and dashboards for one municipality: keys under
    ``edu_dwh_mun_<code>/``, in its own top-level collection (so its group's permission is
    independent of the ministry's), run over its own connection (row-level security)."""
    prefix = f"{conn.database_name}/"
    root = f"{ROOT_COLLECTION}: {conn.name}"

    def coll(path: tuple[str, ...]) -> tuple[str, ...]:
        return (root, *path[1:])

    cards = {
        prefix + k: replace(c, key=prefix + k, collection=coll(c.collection))
        for k, c in specs.cards.items()
    }
    dashboards = {}
    for k, d in specs.dashboards.items():
        dashboards[prefix + k] = replace(
            d,
            key=prefix + k,
            collection=coll(d.collection),
            cards=tuple(replace(dc, card=prefix + dc.card) for dc in d.cards),
            filters=tuple(
                replace(f, values_card=prefix + f.values_card) if f.values_card else f
                for f in d.filters
            ),
        )
    return Specs(cards, dashboards)


# ------------------------------------------------------------------------------ payloads


def card_payload(spec: CardSpec, database_id: int, collection_id: Any) -> dict:
    tags = {}
    parameters = []
    for name in spec.parameters:
        tag = TEMPLATE_TAGS[name]
        tid = tag_id(spec.key, name)
        tags[name] = {"id": tid, "name": name, "display-name": tag.display_name, "type": tag.type}
        parameters.append(
            {
                "id": tid,
                "type": tag.parameter_type,
                "target": ["variable", ["template-tag", name]],
                "name": tag.display_name,
                "slug": name,
            }
        )
    return {
        "name": spec.name,
        "description": marked(spec.description, spec.key),
        "display": spec.display,
        "collection_id": collection_id,
        "visualization_settings": spec.visualization_settings,
        "dataset_query": {
            "type": "native",
            "database": database_id,
            "native": {"query": spec.sql, "template-tags": tags},
        },
        "parameters": parameters,
    }


def dashboard_parameters(spec: DashboardSpec, card_ids: dict[str, Any]) -> list[dict]:
    parameters = []
    for f in spec.filters:
        tag = f.tag
        p = {
            "id": parameter_id(spec.key, f.slug),
            "name": f.name,
            "slug": f.slug,
            "type": tag.parameter_type,
            "sectionId": tag.section_id,
            "isMultiSelect": False,  # the cards compare with `=`: one value at a time
        }
        if f.values_card:
            p["values_query_type"] = "list"
            p["values_source_type"] = "card"
            p["values_source_config"] = {
                "card_id": card_ids[f.values_card],
                "value_field": ["field", f.values_column, {"base-type": tag.base_type}],
            }
        parameters.append(p)
    return parameters


def dashcards_payload(
    spec: DashboardSpec, specs: Specs, card_ids: dict[str, Any], existing: list[dict]
) -> list[dict]:
    """The dashboard's cards for PUT /api/dashboard/:id: an existing dashcard of the same card
    keeps its id, a new one gets a negative id (Metabase creates it); any other dashcard on
    the dashboard is left out, i.e. removed."""
    by_card = {}
    for dc in existing:
        by_card.setdefault(dc.get("card_id"), dc.get("id"))
    slugs = {f.slug for f in spec.filters}
    dashcards = []
    new_id = 0
    for d in spec.cards:
        cid = card_ids[d.card]
        dcid = by_card.get(cid)
        if dcid is None:
            new_id -= 1
            dcid = new_id
        mappings = [
            {
                "parameter_id": parameter_id(spec.key, name),
                "card_id": cid,
                "target": ["variable", ["template-tag", name]],
            }
            for name in specs.cards[d.card].parameters
            if name in slugs
        ]
        dashcards.append(
            {
                "id": dcid,
                "card_id": cid,
                "row": d.row,
                "col": d.col,
                "size_x": d.size_x,
                "size_y": d.size_y,
                "parameter_mappings": mappings,
                "series": [],
            }
        )
    return dashcards


# ------------------------------------------------------------------------------ comparing


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == [] or value == ""


def matches(desired: Any, current: Any) -> bool:
    """Whether what Metabase holds already says what we want. Maps are compared on the keys
    we send (Metabase adds its own, e.g. hydrated fields); lists element by element; an
    empty desired value matches an absent one (Metabase drops empty keys when normalising)."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return _empty(desired) and _empty(current)
        return all(
            (_empty(v) and _empty(current.get(k))) or matches(v, current.get(k))
            for k, v in desired.items()
        )
    if isinstance(desired, list | tuple):
        if not isinstance(current, list | tuple):
            return _empty(desired) and _empty(current)
        return len(desired) == len(current) and all(
            matches(d, c) for d, c in zip(desired, current, strict=True)
        )
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired is current
    return desired == current


def changed_fields(desired: dict, current: dict, exact: tuple[str, ...] = ()) -> list[str]:
    """Top-level fields of `desired` that differ in `current`; `exact` ones must be equal
    (maps we own entirely, such as visualization_settings)."""
    out = []
    for k, v in desired.items():
        cur = current.get(k)
        same = (v == cur or (_empty(v) and _empty(cur))) if k in exact else matches(v, cur)
        if not same:
            out.append(k)
    return out


def _mapping_set(mappings: list[dict] | None) -> set[tuple]:
    return {
        (m.get("parameter_id"), m.get("card_id"), repr(m.get("target"))) for m in mappings or []
    }


def dashcards_differ(desired: list[dict], current: list[dict]) -> bool:
    if len(desired) != len(current):
        return True
    by_card = {dc.get("card_id"): dc for dc in current}
    for d in desired:
        c = by_card.get(d["card_id"])
        if c is None:
            return True
        if any(d[k] != c.get(k) for k in ("row", "col", "size_x", "size_y")):
            return True
        if _mapping_set(d["parameter_mappings"]) != _mapping_set(c.get("parameter_mappings")):
            return True
    return False


# ------------------------------------------------------------------------------ provisioning


@dataclass
class Change:
    action: str  # create | update | archive | unarchive
    kind: str  # collection | card | dashboard
    key: str
    name: str
    fields: list[str] = field(default_factory=list)

    def line(self) -> str:
        verb = {
            "create": "+ создать",
            "update": "~ изменить",
            "archive": "- в архив",
            "unarchive": "~ вернуть из архива",
        }[self.action]
        kind = {
            "collection": "коллекцию",
            "card": "вопрос",
            "dashboard": "дашборд",
            "database": "подключение",
            "group": "группу",
            "permissions": "права на коллекции",
        }[self.kind]
        extra = f" (поля: {', '.join(self.fields)})" if self.fields else ""
        return f"{verb} {kind} {self.key} «{self.name}»{extra}"


@dataclass
class Report:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    def summary(self) -> str:
        head = "Пробный прогон (ничего не записано): " if self.dry_run else "Metabase: "
        return (
            f"{head}создать {self.count('create')}, изменить"
            f" {self.count('update') + self.count('unarchive')},"
            f" в архив {self.count('archive')}, без изменений {self.unchanged}"
        )


def _items(answer: Any) -> list[dict]:
    """Metabase list endpoints answer either a list or {"data": [...]}."""
    if isinstance(answer, dict):
        answer = answer.get("data", [])
    return [x for x in answer or [] if isinstance(x, dict)]


def _index(objects: list[dict], prefix: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for obj in sorted(objects, key=lambda o: o.get("id") if isinstance(o.get("id"), int) else 0):
        key = key_of(obj)
        if key and key.startswith(prefix):
            found.setdefault(key, obj)
    return found


class Provisioner:
    def __init__(
        self,
        client: MetabaseClient,
        specs: Specs,
        database_name: str = DEFAULT_DATABASE_NAME,
        dry_run: bool = False,
        log: Callable[[str], None] = print,
        access: Access | None = None,
        namespace: str = "",
        report: Report | None = None,
    ):
        self.client = client
        self.specs = specs
        self.database_name = database_name
        self.access = access
        self.namespace = namespace  # key prefix of a municipality's copies ("" = ministry)
        self.dry_run = dry_run
        self.log = log
        self.report = report or Report(dry_run=dry_run)
        self._placeholders = 0

    # -- helpers

    def _record(self, change: Change) -> None:
        self.report.changes.append(change)
        self.log(change.line())

    def _placeholder(self, key: str) -> str:
        """Stands for the id of an object a dry run would have created."""
        return f"<new:{key}>"

    # -- steps

    def run(self) -> Report:
        database_id = self.find_database()
        db_ids = self.sync_databases(self.access) if self.access else {}
        collections = self.sync_content(database_id)
        if self.access:
            owned = {None: list(collections.values())}
            for conn in self.access.connections:
                sub = Provisioner(
                    self.client,
                    municipal_specs(self.specs, conn),
                    self.database_name,
                    self.dry_run,
                    self.log,
                    namespace=f"{conn.database_name}/",
                    report=self.report,
                )
                owned[conn] = list(sub.sync_content(db_ids[conn.database_name]).values())
            self.sync_permissions(owned)
        self.log(self.report.summary())
        return self.report

    def sync_content(self, database_id: Any) -> dict[tuple[str, ...], Any]:
        """Collections, questions and dashboards of the specs over that database."""
        collections = self.sync_collections()
        card_ids = self.sync_cards(database_id, collections)
        self.sync_dashboards(collections, card_ids)
        return collections

    def sync_groups(self, names: list[str]) -> dict[str, Any]:
        groups = {
            g.get("name"): g.get("id") for g in _items(self.client.get("/api/permissions/group"))
        }
        ids = {}
        for name in names:
            if name in groups:
                ids[name] = groups[name]
                continue
            self._record(Change("create", "group", name, name))
            ids[name] = (
                self._placeholder(name)
                if self.dry_run
                else self.client.post("/api/permissions/group", {"name": name})["id"]
            )
        return ids

    def sync_permissions(self, owned: dict[Connection | None, list[Any]]) -> None:
        """Collection permissions: each municipal group reads its own collections only; the
        ministry's group reads the ministry's; "All Users" (every user is in it, and Metabase
        grants the union of a user's groups) none of the owned collections."""
        conns = [c for c in owned if c is not None]
        names = [MINISTRY_GROUP, *(municipal_group(c) for c in conns)]
        groups = self.sync_groups(names)
        every = [cid for ids in owned.values() for cid in ids]
        wanted: dict[Any, dict[Any, str]] = {}
        wanted[groups[MINISTRY_GROUP]] = {
            cid: ("read" if cid in owned[None] else "none") for cid in every
        }
        for conn in conns:
            mine = set(owned[conn])
            wanted[groups[municipal_group(conn)]] = {
                cid: ("read" if cid in mine else "none") for cid in every
            }
        all_users = next(
            (
                g.get("id")
                for g in _items(self.client.get("/api/permissions/group"))
                if g.get("name") == ALL_USERS_GROUP
            ),
            None,
        )
        if all_users is not None:
            wanted[all_users] = dict.fromkeys(every, "none")
        if any(isinstance(x, str) for g, p in wanted.items() for x in (g, *p)):
            # a dry run that would create collections or groups: their ids do not exist yet
            self._record(Change("update", "permissions", "collection-graph", "новые группы"))
            return
        graph = self.client.get("/api/collection/graph")
        current = graph.get("groups") or {}
        delta: dict[str, dict[str, str]] = {}
        for gid, perms in wanted.items():
            now = current.get(str(gid)) or {}
            diff = {str(c): p for c, p in perms.items() if now.get(str(c)) != p}
            if diff:
                delta[str(gid)] = diff
        if not delta:
            self.report.unchanged += 1
            return
        changed = sorted(delta)
        self._record(Change("update", "permissions", "collection-graph", f"групп: {len(changed)}"))
        if not self.dry_run:
            self.client.put(
                "/api/collection/graph", {"revision": graph.get("revision"), "groups": delta}
            )

    def find_database(self) -> int:
        databases = _items(self.client.get("/api/database"))
        for db in databases:
            if db.get("name") == self.database_name:
                return db["id"]
        names = ", ".join(sorted(str(d.get("name")) for d in databases)) or "нет ни одной"
        raise MetabaseError(
            "GET",
            "/api/database",
            404,
            f"в Metabase нет базы данных «{self.database_name}» (есть: {names}); подключите"
            " хранилище (Admin → Databases) или укажите --database-name",
        )

    def sync_databases(self, access: Access) -> dict[str, Any]:
        """One Metabase database per municipal role, connecting as its login."""
        current = {d.get("name"): d for d in _items(self.client.get("/api/database"))}
        ids: dict[str, Any] = {}
        for conn in access.connections:
            name = conn.database_name
            wanted = {"host": access.host, "port": access.port, "dbname": access.dbname}
            wanted["user"] = conn.user
            obj = current.get(name)
            if obj is not None and matches(wanted, obj.get("details") or {}):
                ids[name] = obj["id"]
                self.report.unchanged += 1
                continue
            password = os.environ.get(conn.password_env, "")
            if not password:
                raise MetabaseError(
                    "POST" if obj is None else "PUT",
                    "/api/database",
                    0,
                    f"нет пароля входа {conn.user} ({conn.name}): задайте переменную"
                    f" окружения {conn.password_env}",
                )
            details = {**wanted, "password": password, "ssl": False}
            label = f"{conn.code} {conn.name}"
            if obj is None:
                self._record(Change("create", "database", name, label))
                if self.dry_run:
                    ids[name] = self._placeholder(name)
                    continue
                body = {"name": name, "engine": "postgres", "details": details}
                ids[name] = self.client.post("/api/database", body)["id"]
            else:
                fields = [f"details.{k}" for k in changed_fields(wanted, obj.get("details") or {})]
                self._record(Change("update", "database", name, label, fields))
                ids[name] = obj["id"]
                if not self.dry_run:
                    self.client.put(f"/api/database/{obj['id']}", {"details": details})
        return ids

    def sync_collections(self) -> dict[tuple[str, ...], Any]:
        current = [
            c
            for c in _items(self.client.get("/api/collection"))
            if isinstance(c.get("id"), int) and not c.get("archived")
        ]
        by_key = _index(current, "collection:")
        ids: dict[tuple[str, ...], Any] = {}
        for path in self.specs.collections:
            key = collection_key(path)
            parent_id = ids[path[:-1]] if len(path) > 1 else None
            what = "корневая коллекция" if len(path) == 1 else f"раздел «{path[-1]}»"
            desired = {
                "name": path[-1],
                "description": marked(f"Мониторинг качества образования: {what}. {NOTICE}", key),
                "parent_id": parent_id,
            }
            obj = by_key.get(key) or self._adoptable_collection(current, path[-1], parent_id)
            if obj is None:
                self._record(Change("create", "collection", key, path[-1]))
                if self.dry_run:
                    ids[path] = self._placeholder(key)
                else:
                    ids[path] = self.client.post("/api/collection", desired)["id"]
                continue
            ids[path] = obj["id"]
            now = {
                "name": obj.get("name"),
                "description": obj.get("description"),
                "parent_id": _parent_of(obj),
            }
            fields = changed_fields(desired, now)
            if fields:
                self._record(Change("update", "collection", key, path[-1], fields))
                if not self.dry_run:
                    self.client.put(f"/api/collection/{obj['id']}", desired)
            else:
                self.report.unchanged += 1
        return ids

    @staticmethod
    def _adoptable_collection(current: list[dict], name: str, parent_id: Any) -> dict | None:
        """A collection of the right name and place made before it carried a key."""
        for c in current:
            if c.get("name") == name and _parent_of(c) == parent_id and key_of(c) is None:
                return c
        return None

    def sync_cards(self, database_id: int, collections: dict) -> dict[str, Any]:
        prefix = self.namespace + "cards/"
        active = _index(_items(self.client.get("/api/card", f="all")), prefix)
        archived = _index(_items(self.client.get("/api/card", f="archived")), prefix)
        ids: dict[str, Any] = {}
        for key, spec in self.specs.cards.items():
            desired = card_payload(spec, database_id, collections[spec.collection])
            obj = active.get(key)
            if obj is None and key in archived:
                obj = archived[key]
                self._record(Change("unarchive", "card", key, spec.name))
                ids[key] = obj["id"]
                if not self.dry_run:
                    self.client.put(f"/api/card/{obj['id']}", {**desired, "archived": False})
                continue
            if obj is None:
                self._record(Change("create", "card", key, spec.name))
                if self.dry_run:
                    ids[key] = self._placeholder(key)
                else:
                    ids[key] = self.client.post("/api/card", desired)["id"]
                continue
            ids[key] = obj["id"]
            fields = changed_fields(desired, obj, exact=("visualization_settings",))
            if fields:
                self._record(Change("update", "card", key, spec.name, fields))
                if not self.dry_run:
                    self.client.put(f"/api/card/{obj['id']}", desired)
            else:
                self.report.unchanged += 1
        for key, obj in active.items():
            if key not in self.specs.cards:
                self._record(Change("archive", "card", key, obj.get("name", "")))
                if not self.dry_run:
                    self.client.put(f"/api/card/{obj['id']}", {"archived": True})
        return ids

    def sync_dashboards(self, collections: dict, card_ids: dict[str, Any]) -> None:
        prefix = self.namespace + "dashboards/"
        active = _index(_items(self.client.get("/api/dashboard", f="all")), prefix)
        archived = _index(_items(self.client.get("/api/dashboard", f="archived")), prefix)
        for key, spec in self.specs.dashboards.items():
            header = {
                "name": spec.name,
                "description": marked(spec.description, key),
                "collection_id": collections[spec.collection],
            }
            parameters = dashboard_parameters(spec, card_ids)
            listed = active.get(key)
            if listed is None and key in archived:
                # Metabase refuses to read or edit the cards of an archived dashboard:
                # bring it back first, then compare it like any other.
                listed = archived[key]
                self._record(Change("unarchive", "dashboard", key, spec.name))
                if self.dry_run:
                    continue
                self.client.put(f"/api/dashboard/{listed['id']}", {"archived": False})
            if listed is None:
                self._record(Change("create", "dashboard", key, spec.name))
                if self.dry_run:
                    continue
                created = self.client.post("/api/dashboard", {**header, "parameters": parameters})
                body = {
                    **header,
                    "parameters": parameters,
                    "dashcards": dashcards_payload(spec, self.specs, card_ids, []),
                }
                self.client.put(f"/api/dashboard/{created['id']}", body)
                continue
            current = self.client.get(f"/api/dashboard/{listed['id']}")
            existing = current.get("dashcards", current.get("ordered_cards")) or []
            dashcards = dashcards_payload(spec, self.specs, card_ids, existing)
            fields = changed_fields({**header, "parameters": parameters}, current)
            if dashcards_differ(dashcards, existing):
                fields.append("dashcards")
            if not fields:
                self.report.unchanged += 1
                continue
            self._record(Change("update", "dashboard", key, spec.name, fields))
            if not self.dry_run:
                body = {**header, "parameters": parameters, "dashcards": dashcards}
                self.client.put(f"/api/dashboard/{listed['id']}", body)
        for key, obj in active.items():
            if key not in self.specs.dashboards:
                self._record(Change("archive", "dashboard", key, obj.get("name", "")))
                if not self.dry_run:
                    self.client.put(f"/api/dashboard/{obj['id']}", {"archived": True})


def _parent_of(collection: dict) -> int | None:
    """Parent id from a collection's `location` ("/" = top level, "/3/7/" = inside 7), or
    from `parent_id` where an endpoint hydrates that instead."""
    location = collection.get("location")
    if location is None:
        return collection.get("parent_id")
    parts = [p for p in location.strip("/").split("/") if p]
    return int(parts[-1]) if parts else None


def provision(
    client: MetabaseClient,
    specs: Specs | None = None,
    database_name: str = DEFAULT_DATABASE_NAME,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
    access: Access | None = None,
) -> Report:
    """Bring Metabase in line with the card and dashboard files and the municipal
    connections (client already authenticated)."""
    return Provisioner(client, specs or load_specs(), database_name, dry_run, log, access).run()


# ------------------------------------------------------------------------------ CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m metabase.provision",
        description="Create or update the Metabase questions and dashboards of edu-dwh.",
    )
    parser.add_argument("--url", default=os.environ.get("MB_URL"), help="Metabase URL (MB_URL)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("METABASE_API_KEY"),
        help="API key of an admin group (METABASE_API_KEY); replaces --user/--password",
    )
    parser.add_argument("--user", default=os.environ.get("MB_USER"), help="login (MB_USER)")
    parser.add_argument(
        "--password", default=os.environ.get("MB_PASSWORD"), help="password (MB_PASSWORD)"
    )
    parser.add_argument(
        "--database-name",
        default=os.environ.get("MB_DATABASE_NAME", DEFAULT_DATABASE_NAME),
        help="name of the warehouse database in Metabase (MB_DATABASE_NAME; default %(default)s)",
    )
    parser.add_argument(
        "--access",
        type=Path,
        default=os.environ.get("MB_ACCESS_FILE") or None,
        help="municipal connections file (MB_ACCESS_FILE; metabase/README.md)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--specs", type=Path, default=SPEC_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    needed = ("url",) if args.api_key else ("url", "user", "password")
    missing = [n for n in needed if not getattr(args, n)]
    if missing:
        parser.error(
            "missing "
            + ", ".join(f"--{n} (or MB_{n.upper()})" for n in missing)
            + ("" if args.api_key else "; or give --api-key (METABASE_API_KEY)")
        )
    try:
        specs = load_specs(args.specs)
        access = load_access(args.access) if args.access else None
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return 1
    client = MetabaseClient(args.url, api_key=args.api_key)
    try:
        if not args.api_key:
            client.login(args.user, args.password)
        provision(client, specs, args.database_name, args.dry_run, access=access)
    except MetabaseError as exc:
        print(f"Ошибка Metabase: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
