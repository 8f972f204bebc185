"""/healthz and Prometheus /metrics."""

from __future__ import annotations

import re


def test_healthz_reports_the_generation(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["generation"] == app.extensions["bmkg"].generation().id
    assert body["updates"] is False


def _sample(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in metrics"
    return float(match.group(1))


def test_metrics_are_prometheus_text_and_count_requests(client):
    client.get("/sparql", query_string={"query": "ASK {}"})
    client.get("/sparql", query_string={"query": "ASK {}"})
    client.get("/sparql", query_string={"query": "ASK {"})
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "version=0.0.4" in response.headers["Content-Type"]
    text = response.data.decode()
    assert _sample(text, 'bmkg_http_requests_total{endpoint="query",code="2xx"}') == 2
    assert _sample(text, 'bmkg_http_requests_total{endpoint="query",code="4xx"}') == 1
    assert _sample(text, "bmkg_cache_hits_total") == 1
    # The first ASK and the syntax error ran in a worker; the second ASK came from the cache.
    assert _sample(text, "bmkg_query_duration_seconds_count") == 2
    assert _sample(text, 'bmkg_http_request_duration_seconds_bucket{le="+Inf"}') == 3
    assert "# TYPE bmkg_query_duration_seconds histogram" in text
    assert "# TYPE bmkg_query_timeouts_total counter" in text


def test_histogram_buckets_are_cumulative(client):
    for _ in range(3):
        client.get("/healthz")
    text = client.get("/metrics").data.decode()
    buckets = [float(v) for v in re.findall(r'^bmkg_http_request_duration_seconds_bucket\{le="[^"]+"\} (\S+)$', text, re.MULTILINE)]
    assert buckets == sorted(buckets) and buckets[-1] == 3
