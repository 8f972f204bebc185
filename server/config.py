"""The server's settings: defaults in code, overridden by ``BMKG_*`` variables.

``app.config.from_prefixed_env("BMKG")`` turns ``BMKG_TIMEOUT_S=5`` into
``TIMEOUT_S = 5`` (values are read as JSON when they parse, else as text).
``parse`` checks every value and rejects junk with a message naming the
variable, rather than failing later inside a request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULTS = {
    "STORE": None,  # store root; None: $BMKG_STORE or ./store (ontology.store.root_from_env)
    "TIMEOUT_S": 30.0,  # per query and per write
    "ROW_CAP": 10_000,  # rows (SELECT) or triples (CONSTRUCT/DESCRIBE) per response; 0: none
    "QUERY_WORKERS": 2,  # killable worker processes per web process
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,  # request body bytes (Flask answers 413 above it)
    "MAX_QUERY_LENGTH": 256 * 1024,  # characters of a query or update
    "MAX_GET_QUERY_LENGTH": 2048,  # characters of a query sent by GET; longer ones must POST
    # Checked by the lexer before a query or update reaches the engine (server/policy.py, "Limits").
    "MAX_QUERY_DEPTH": 100,  # brackets ({, (, [) open at once
    "MAX_SUBQUERY_DEPTH": 20,  # subqueries (a SELECT inside braces) nested in one another
    "MAX_QUERY_TOKENS": 50_000,  # tokens (IRIs, names, variables, literals, punctuation) in one query or update
    "CHEAP_WORKERS": 1,  # extra query workers per web process kept for queries that look cheap; 0: no such lane
    "CHEAP_TIMEOUT_S": 5.0,  # the longest a query may run on one of those kept workers
    "QUEUE_WEIGHT": 16.0,  # a waiting query's turn comes this many times its recent run time later; 0: arrival order
    "ENABLE_UPDATES": False,  # SPARQL Update and Graph Store writes
    "UPDATE_TOKEN": None,  # bearer token that writes must carry
    "SERVICE_ALLOWLIST": [],  # hosts that SERVICE may call; empty: SERVICE refused
    "CORS_ORIGINS": "*",  # "*", a list of origins, or "" for no CORS
    "CACHE_BYTES": 64 * 1024 * 1024,  # result cache per web process; 0 disables it
    "CACHE_ENTRY_MAX_BYTES": 4 * 1024 * 1024,
    "GZIP_MIN_BYTES": 1024,
    # A read-only server reads a generation of at most this many statements (summary.json "triples") from
    # in-memory copies: one for the fast lane and one its query workers share, per web process, about 600
    # bytes a statement each; 0: always the store on disk.
    "MEMORY_COPY_MAX_TRIPLES": 500_000,
    "GENERATION_CHECK_S": 0.0,  # how often to readlink STORE/current; 0: every request
    "BASE_IRI": None,  # base for relative IRIs; None: the endpoint's own URL
    "WRITE_LOCK_WAIT_S": 10.0,  # how long a write waits for a build to finish
    "METRICS_SLOTS": 1,  # web processes sharing the metrics (set by `bmkg serve`)
    # A remote SPARQL 1.1 store instead of STORE (server/backend.py; README "Remote backend").
    "BACKEND": None,  # its query endpoint URL; None: the embedded store
    "BACKEND_UPDATE": None,  # its update endpoint URL, needed for ENABLE_UPDATES with a backend
    "BACKEND_USER": None,  # HTTP authentication for the backend
    "BACKEND_PASSWORD": None,  # environment only
    "BACKEND_TOKEN": None,  # a bearer token instead of user and password; environment only
    "BACKEND_AUTH": "basic",  # or "digest" (Virtuoso's /sparql-auth)
    "BACKEND_VERSION": "build",  # what the cache/ETag token follows: "build" (the metadata graph) or "clock"
    "BACKEND_CHECK_S": 30.0,  # how often the token is checked (build) or its window (clock); 0: never
    "BACKEND_GRAPHS": [],  # the graphs whose union is the default graph; empty: read from the metadata graph
}

MIN_TOKEN_LENGTH = 16


class ConfigError(ValueError):
    """A setting has a value the server cannot use."""


@dataclass(frozen=True)
class Settings:
    store: Path | None
    timeout_s: float
    row_cap: int
    query_workers: int
    max_content_length: int
    max_query_length: int
    max_get_query_length: int
    enable_updates: bool
    update_token: str | None
    service_allowlist: tuple[str, ...]
    cors_origins: tuple[str, ...]  # ("*",) for any, () for none
    cache_bytes: int
    cache_entry_max_bytes: int
    gzip_min_bytes: int
    generation_check_s: float
    base_iri: str | None
    write_lock_wait_s: float
    metrics_slots: int
    backend: str | None = None
    backend_update: str | None = None
    backend_user: str | None = None
    backend_password: str | None = field(default=None, repr=False)
    backend_token: str | None = field(default=None, repr=False)
    backend_auth: str = "basic"
    backend_version: str = "build"
    backend_check_s: float = 30.0
    backend_graphs: tuple[str, ...] = ()
    max_query_depth: int = 100
    max_subquery_depth: int = 20
    max_query_tokens: int = 50_000
    cheap_workers: int = 1
    cheap_timeout_s: float = 5.0
    queue_weight: float = 16.0
    memory_copy_max_triples: int = 0


def _number(name: str, value, *, integer: bool, minimum: float, positive: bool = False):
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a number, not {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, not {value!r}")
    if integer:
        if float(value) != int(value):
            raise ConfigError(f"{name} must be a whole number, not {value!r}")
        value = int(value)
    if value < minimum or (positive and value <= 0):
        bound = f"> {minimum}" if positive else f">= {minimum}"
        raise ConfigError(f"{name} must be {bound}, not {value!r}")
    return value


def _bool(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _list(name: str, value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = [v.strip() if isinstance(v, str) else v for v in value]
    else:
        raise ConfigError(f"{name} must be a list or a comma-separated string, not {value!r}")
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"{name} items must be strings, not {item!r}")
    return tuple(i for i in items if i)


def _url(name: str, value) -> str | None:
    """An http(s) URL without credentials in it (they would show in logs and process lists)."""
    if value is None or value == "":
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{name} must not carry credentials; set BMKG_BACKEND_USER and BMKG_BACKEND_PASSWORD"
                          " (or BMKG_BACKEND_TOKEN) instead")
    return value


def _backend(c: Mapping, enable_updates: bool) -> dict:
    """The BACKEND_* settings, checked together.

    >>> _backend({**DEFAULTS, "BACKEND": "http://127.0.0.1:7878/query"}, False)["backend_check_s"]
    30.0
    >>> _backend({**DEFAULTS, "BACKEND": "http://u:p@host/sparql"}, False)
    Traceback (most recent call last):
    ...
    server.config.ConfigError: BACKEND must not carry credentials; set BMKG_BACKEND_USER and BMKG_BACKEND_PASSWORD (or BMKG_BACKEND_TOKEN) instead
    >>> _backend({**DEFAULTS, "BACKEND": "http://127.0.0.1:7878/query"}, True)
    Traceback (most recent call last):
    ...
    server.config.ConfigError: ENABLE_UPDATES with a BACKEND needs BACKEND_UPDATE, the backend's SPARQL Update endpoint
    """
    backend = _url("BACKEND", c["BACKEND"])
    update = _url("BACKEND_UPDATE", c["BACKEND_UPDATE"])
    user, password, token = (None if c[k] in (None, "") else str(c[k])
                             for k in ("BACKEND_USER", "BACKEND_PASSWORD", "BACKEND_TOKEN"))
    auth = str(c["BACKEND_AUTH"] or "basic").strip().lower()
    graphs = _list("BACKEND_GRAPHS", c["BACKEND_GRAPHS"])
    if backend is None and (update or user or token or graphs):
        raise ConfigError("BACKEND_UPDATE, BACKEND_USER, BACKEND_TOKEN and BACKEND_GRAPHS need BACKEND")
    if backend and enable_updates and not update:
        raise ConfigError("ENABLE_UPDATES with a BACKEND needs BACKEND_UPDATE, the backend's SPARQL Update endpoint")
    version = str(c["BACKEND_VERSION"] or "build").strip().lower()
    if version not in ("build", "clock"):
        raise ConfigError(f"BACKEND_VERSION must be build or clock, not {c['BACKEND_VERSION']!r}")
    if enable_updates:
        version = "clock"  # writes through the server change data but not the build's metadata
    if auth not in ("basic", "digest"):
        raise ConfigError(f"BACKEND_AUTH must be basic or digest, not {c['BACKEND_AUTH']!r}")
    if password and not user:
        raise ConfigError("BACKEND_PASSWORD needs BACKEND_USER")
    if user and token:
        raise ConfigError("give either BACKEND_USER (and BACKEND_PASSWORD) or BACKEND_TOKEN, not both")
    for graph in graphs:
        if ":" not in graph or any(ch in graph for ch in ' <>"{}|^`\\'):
            raise ConfigError(f"BACKEND_GRAPHS holds absolute IRIs, not {graph!r}")
    return {
        "backend": backend, "backend_update": update, "backend_user": user, "backend_password": password,
        "backend_token": token, "backend_auth": auth, "backend_graphs": graphs, "backend_version": version,
        "backend_check_s": float(_number("BACKEND_CHECK_S", c["BACKEND_CHECK_S"], integer=False, minimum=0)),
    }


def parse(config: Mapping) -> Settings:
    """Check the settings in a Flask config and return them typed.

    >>> parse(DEFAULTS).timeout_s
    30.0
    >>> parse({**DEFAULTS, "TIMEOUT_S": "soon"})
    Traceback (most recent call last):
    ...
    server.config.ConfigError: TIMEOUT_S must be a number, not 'soon'
    >>> parse({**DEFAULTS, "ENABLE_UPDATES": True})
    Traceback (most recent call last):
    ...
    server.config.ConfigError: ENABLE_UPDATES needs UPDATE_TOKEN (set BMKG_UPDATE_TOKEN) of at least 16 characters
    >>> parse({**DEFAULTS, "SERVICE_ALLOWLIST": "query.wikidata.org, dbpedia.org"}).service_allowlist
    ('query.wikidata.org', 'dbpedia.org')
    """
    c = {**DEFAULTS, **config}
    enable_updates = _bool("ENABLE_UPDATES", c["ENABLE_UPDATES"])
    token = c["UPDATE_TOKEN"]
    if token is not None and not isinstance(token, str):
        token = str(token)
    if enable_updates and (not token or len(token) < MIN_TOKEN_LENGTH):
        raise ConfigError(
            f"ENABLE_UPDATES needs UPDATE_TOKEN (set BMKG_UPDATE_TOKEN) of at least {MIN_TOKEN_LENGTH} characters"
        )
    allowlist = tuple(h.lower() for h in _list("SERVICE_ALLOWLIST", c["SERVICE_ALLOWLIST"]))
    for host in allowlist:
        if "/" in host or " " in host:
            raise ConfigError(f"SERVICE_ALLOWLIST holds host names, not {host!r}")
    origins = _list("CORS_ORIGINS", c["CORS_ORIGINS"])
    if "*" in origins and len(origins) > 1:
        raise ConfigError("CORS_ORIGINS is either '*' or a list of origins, not both")
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ConfigError(f"CORS_ORIGINS entries must be origins like https://example.org, not {origin!r}")
    base = c["BASE_IRI"]
    if base is not None and (not isinstance(base, str) or "://" not in base):
        raise ConfigError(f"BASE_IRI must be an absolute IRI, not {base!r}")
    store = c["STORE"]
    if store is not None and not isinstance(store, (str, Path)):
        raise ConfigError(f"STORE must be a path, not {store!r}")
    return Settings(
        store=Path(store) if store else None,
        timeout_s=float(_number("TIMEOUT_S", c["TIMEOUT_S"], integer=False, minimum=0, positive=True)),
        row_cap=_number("ROW_CAP", c["ROW_CAP"], integer=True, minimum=0),
        query_workers=_number("QUERY_WORKERS", c["QUERY_WORKERS"], integer=True, minimum=1),
        max_content_length=_number("MAX_CONTENT_LENGTH", c["MAX_CONTENT_LENGTH"], integer=True, minimum=1),
        max_query_length=_number("MAX_QUERY_LENGTH", c["MAX_QUERY_LENGTH"], integer=True, minimum=1),
        max_get_query_length=_number("MAX_GET_QUERY_LENGTH", c["MAX_GET_QUERY_LENGTH"], integer=True, minimum=1),
        enable_updates=enable_updates,
        update_token=token or None,
        service_allowlist=allowlist,
        cors_origins=origins,
        cache_bytes=_number("CACHE_BYTES", c["CACHE_BYTES"], integer=True, minimum=0),
        cache_entry_max_bytes=_number("CACHE_ENTRY_MAX_BYTES", c["CACHE_ENTRY_MAX_BYTES"], integer=True, minimum=0),
        gzip_min_bytes=_number("GZIP_MIN_BYTES", c["GZIP_MIN_BYTES"], integer=True, minimum=0),
        generation_check_s=float(_number("GENERATION_CHECK_S", c["GENERATION_CHECK_S"], integer=False, minimum=0)),
        base_iri=base,
        write_lock_wait_s=float(_number("WRITE_LOCK_WAIT_S", c["WRITE_LOCK_WAIT_S"], integer=False, minimum=0)),
        metrics_slots=_number("METRICS_SLOTS", c["METRICS_SLOTS"], integer=True, minimum=1),
        max_query_depth=_number("MAX_QUERY_DEPTH", c["MAX_QUERY_DEPTH"], integer=True, minimum=1),
        max_subquery_depth=_number("MAX_SUBQUERY_DEPTH", c["MAX_SUBQUERY_DEPTH"], integer=True, minimum=0),
        max_query_tokens=_number("MAX_QUERY_TOKENS", c["MAX_QUERY_TOKENS"], integer=True, minimum=1),
        cheap_workers=_number("CHEAP_WORKERS", c["CHEAP_WORKERS"], integer=True, minimum=0),
        cheap_timeout_s=float(_number("CHEAP_TIMEOUT_S", c["CHEAP_TIMEOUT_S"], integer=False, minimum=0,
                                      positive=True)),
        queue_weight=float(_number("QUEUE_WEIGHT", c["QUEUE_WEIGHT"], integer=False, minimum=0)),
        memory_copy_max_triples=_number("MEMORY_COPY_MAX_TRIPLES", c["MEMORY_COPY_MAX_TRIPLES"], integer=True,
                                        minimum=0),
        **_backend(c, enable_updates),
    )
