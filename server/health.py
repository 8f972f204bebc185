"""Operations: ``/healthz`` and Prometheus ``/metrics``.

Neither touches a query worker, so both answer while every worker is busy.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify

from ontology.store import StoreError
from server.runtime import get_runtime

bp = Blueprint("health", __name__)


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    g.bmkg_endpoint = "healthz"
    runtime = get_runtime()
    try:
        generation = runtime.generation()
        ok = generation.oxigraph.is_dir()
    except (StoreError, OSError):
        generation, ok = None, False
    body = {
        "status": "ok" if ok else "unavailable",
        "generation": generation.id if generation else None,
        "workers": runtime.executor.stats(),
        "updates": runtime.settings.enable_updates,
    }
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics", methods=["GET"])
def metrics() -> Response:
    g.bmkg_endpoint = "metrics"
    runtime = get_runtime()
    generation = runtime.generation()
    workers = runtime.executor.stats()
    gauges = [
        ("bmkg_store_generation_info", "The store generation this process answers from.", {"generation": generation.id}, 1),
        ("bmkg_query_workers", "Live query workers in the process that answered this scrape.", {}, workers["live"]),
        ("bmkg_cache_entries", "Entries in the result cache of the process that answered this scrape.", {},
         len(runtime.cache) if runtime.cache is not None else 0),
    ]
    response = Response(runtime.metrics.render(gauges), content_type="text/plain; version=0.0.4; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
