"""``/openapi.json`` and a Schemathesis run against it over the tiny store (WSGI, in process).

Every generated request must get a response the description allows (status, content
type, JSON schema) and no 5xx; bounded to a few examples per operation.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import openapi  # noqa: E402
from schemathesis.specs.openapi import checks as openapi_checks  # noqa: E402


@pytest.fixture(scope="module")
def wsgi_app(module_app):
    return module_app(TESTING=False)


@pytest.fixture(scope="module")
def api_schema(wsgi_app):
    return openapi.from_wsgi("/openapi.json", wsgi_app)


def test_the_description_names_every_documented_route(wsgi_app):
    spec = wsgi_app.test_client().get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.0")
    paths = set(spec["paths"])
    for path in ("/sparql", "/healthz", "/metrics", "/.well-known/void", "/api/queries", "/api/queries/{name}",
                 "/id/{kind}/{key}", "/page/{kind}/{key}", "/data/{kind}/{key}", "/dumps", "/dumps/{name}",
                 "/search"):
        assert path in paths, path
    assert {"get", "post"} <= set(spec["paths"]["/sparql"])
    routes = {str(rule) for rule in wsgi_app.url_map.iter_rules()}
    for path in paths:  # everything described exists
        flask_path = path.replace("{", "<").replace("}", ">")
        assert any(r.split("<")[0] == flask_path.split("<")[0] for r in routes), path


def test_the_server_conforms_to_its_description(api_schema):
    # Driven by hand: schemathesis's pytest plugin does not load with this pytest (no Function._nodeid).
    from hypothesis import given

    tried = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def conforms(case):
            response = case.call(headers={"Accept-Encoding": "identity"})  # the WSGI transport does not gunzip
            assert response.status_code < 500 or response.status_code in (503, 504), (case.path, response.text[:300])
            case.validate_response(response, excluded_checks=[openapi_checks.ignored_auth,
                                                               openapi_checks.negative_data_rejection,
                                                               openapi_checks.positive_data_acceptance])
            tried.append(case)

        conforms()
    print(f"schemathesis cases: {len(tried)}")
    assert len(tried) >= 100
