"""Response helpers shared by the blueprints: errors, validators, compression."""

from __future__ import annotations

import gzip
import hashlib

from flask import Request, Response, request

from ontology.store import Generation
from server.generations import last_modified


class HTTPProblem(Exception):
    """An error to answer with ``status`` and a plain-text message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status = status
        self.message = message
        self.headers = headers or {}
        super().__init__(message)


def text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(message.rstrip("\n") + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def etag(generation: Generation, *parts: object) -> str:
    """A weak validator: the generation plus a digest of what shaped the response.

    Weak, because blank node labels may differ between two runs of the same
    query, and because gzip changes the bytes.
    """
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=10).hexdigest()
    return f'W/"{generation.id}-{digest}"'


def not_modified(req: Request, tag: str, generation: Generation) -> bool:
    """Whether a GET or HEAD can be answered 304 (If-None-Match wins over If-Modified-Since)."""
    if req.method not in ("GET", "HEAD"):
        return False
    header = req.headers.get("If-None-Match")
    if header is not None:
        wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
        return "*" in wanted or tag.removeprefix("W/") in wanted
    since = req.if_modified_since
    return since is not None and last_modified(generation) <= since


def validators(response: Response, tag: str, generation: Generation) -> Response:
    response.headers["ETag"] = tag
    response.last_modified = last_modified(generation)
    # Let caches keep the answer but check back each time: the generation may change at any moment.
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def add_vary(response: Response, *fields: str) -> None:
    present = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    for name in fields:
        if name.lower() not in (p.lower() for p in present):
            present.append(name)
    response.headers["Vary"] = ", ".join(present)


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def compress(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=5, mtime=0)


READ_METHODS = "GET, HEAD, POST, OPTIONS"
WRITE_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"  # with ENABLE_UPDATES: /store takes PUT and DELETE
READ_HEADERS = "Accept, Content-Type"
WRITE_HEADERS = "Accept, Content-Type, Authorization"  # the bearer token of a write
EXPOSED_HEADERS = ("ETag, Last-Modified, X-SPARQL-MaxRows, X-SPARQL-Truncated, X-BMKG-Generation, X-BMKG-Hint,"
                   " Retry-After, WWW-Authenticate, Location")


def cors_headers(settings, origin: str | None, preflight: bool) -> tuple[list[tuple[str, str]], bool]:
    """The CORS headers of a response to a request from ``origin``, and whether they vary by Origin.

    With ENABLE_UPDATES the preflight also allows the ``Authorization`` header
    and the write methods, so a browser app can send the bearer token. Never
    ``Access-Control-Allow-Credentials``: the token is a header the app sets, not
    a cookie the browser adds, so ``*`` stays safe.
    """
    origins = settings.cors_origins
    if not origins:
        return [], False
    if "*" in origins:
        allowed, varies = "*", False
    elif origin in origins:
        allowed, varies = origin, True
    else:
        return [], False
    headers = [("Access-Control-Allow-Origin", allowed), ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]
    if preflight:
        writes = settings.enable_updates
        headers += [("Access-Control-Allow-Methods", WRITE_METHODS if writes else READ_METHODS),
                    ("Access-Control-Allow-Headers", WRITE_HEADERS if writes else READ_HEADERS),
                    ("Access-Control-Max-Age", "86400")]
    return headers, varies
