"""A small client of Metabase's REST API (API key or session login, JSON GET / POST / PUT).

Only the standard library: the provisioner runs from CI or an operator's shell without
extra packages (why not the `metabase-api` package: metabase/README.md). Metabase's API is
not versioned; the shapes used here are those of the image pinned in docker-compose.yml
(metabase/metabase:v0.64.2.2).

Authentication, either:
- an API key (Admin → Settings → Authentication → API keys; the key acts with its group's
  permissions): sent as the `X-API-KEY` header on every request, no session is opened;
- a user's e-mail and password: `POST /api/session` once, its id then sent as the
  `X-Metabase-Session` header.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

SESSION_HEADER = "X-Metabase-Session"
API_KEY_HEADER = "X-API-KEY"


class MetabaseError(RuntimeError):
    """An API call failed; carries the HTTP status and Metabase's answer."""

    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} {path} → HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class MetabaseClient:
    def __init__(self, url: str, timeout: float = 60.0, api_key: str | None = None):
        self.base = url.rstrip("/")
        self.timeout = timeout
        self.api_key = api_key or None
        self.session: str | None = None
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request made

    def login(self, username: str, password: str) -> None:
        """POST /api/session; the token goes into the X-Metabase-Session header."""
        answer = self.request("POST", "/api/session", {"username": username, "password": password})
        self.session = answer["id"]

    def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        if query:
            path = f"{path}?{urllib.parse.urlencode(query)}"
        return self.request("GET", path)

    def post(self, path: str, body: dict) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: dict) -> Any:
        return self.request("PUT", path, body)

    def request(self, method: str, path: str, body: dict | None = None) -> Any:
        self.calls.append((method, path))
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if self.api_key:
            headers[API_KEY_HEADER] = self.api_key
        elif self.session:
            headers[SESSION_HEADER] = self.session
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            raise MetabaseError(method, path, exc.code, text) from None
        except urllib.error.URLError as exc:
            raise MetabaseError(
                method, path, 0, f"cannot reach {self.base}: {exc.reason}"
            ) from None
        if not raw:
            return None
        return json.loads(raw.decode("utf-8"))
