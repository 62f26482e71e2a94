"""A small HTTP client of the search service for the CLI (standard library only)."""

from __future__ import annotations

import json
import mimetypes
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from automl.exceptions import AutoMLError

DEFAULT_SERVER = "http://127.0.0.1:8000"


class ServiceError(AutoMLError):
    """The server refused a request (its message says why) or could not be reached."""


class ServiceClient:
    def __init__(self, server: str, token: str | None, timeout: float = 60.0) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    def upload(self, path: Path) -> dict[str, Any]:
        if not path.is_file():
            raise ServiceError(f"data file not found: {path}")
        boundary = uuid.uuid4().hex
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
            f"\r\nContent-Type: {kind}\r\n\r\n"
        ).encode()
        body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        return self.request(
            "POST", "/api/datasets", body, f"multipart/form-data; boundary={boundary}"
        )

    def download(self, path: str, destination: Path) -> int:
        """GET `path` into the file `destination` (written whole or not at all); its size."""
        raw = self._send(urllib.request.Request(self.server + path))
        partial = destination.with_name(destination.name + ".part")
        try:
            partial.write_bytes(raw)
            partial.replace(destination)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ServiceError(f"cannot write {destination}: {exc.strerror or exc}") from None
        return len(raw)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | None = None,
        content_type: str = "application/json",
        query: dict[str, Any] | None = None,
    ) -> Any:
        """Call the API; the decoded JSON answer (None for an empty one)."""
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        raw = self._send(request)
        return json.loads(raw) if raw else None

    def _send(self, request: urllib.request.Request) -> bytes:
        """The answer's body, with the token; a ServiceError saying why when there is none."""
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            raise ServiceError(f"{exc.code}: {_detail(exc.read())}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServiceError(
                f"cannot reach the server at {self.server} ({reason}); is `automl serve` running?"
            ) from None


def _detail(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["detail"])
    except (ValueError, KeyError, TypeError):
        return raw.decode(errors="replace")[:300]
