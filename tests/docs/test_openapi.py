"""The OpenAPI document, Swagger UI and ReDoc are served, offline, and cover both REST doors."""

from __future__ import annotations

import requests

from qhost.server.openapi import STATIC_URL


def test_openapi_lists_both_doors(server):
    doc = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    assert doc["openapi"] == "3.0.3"
    assert {"/jobs", "/deployments", "/jobs/{job_id}", "/api/v1/jobs", "/api/v1/backends"} <= set(
        doc["paths"]
    )


def test_every_operation_has_a_json_error_response(server):
    doc = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert "application/json" in op["responses"]["default"]["content"], (method, path)


def test_operation_ids_are_unique(server):
    doc = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_swagger_ui_page_uses_shipped_assets(server):
    page = requests.get(f"{server.url}/docs", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "http" not in page.text.replace("http-equiv", "")
    asset = requests.get(f"{server.url}{STATIC_URL}/swagger-ui/swagger-ui-bundle.js", timeout=10)
    assert asset.status_code == 200 and len(asset.content) > 100_000


def test_redoc_page_uses_shipped_assets(server):
    page = requests.get(f"{server.url}/redoc", timeout=10)
    assert 'spec-url="openapi.json"' in page.text
    asset = requests.get(f"{server.url}{STATIC_URL}/redoc/redoc.standalone.js", timeout=10)
    assert asset.status_code == 200 and len(asset.content) > 100_000


def test_missing_asset_is_a_json_404(server):
    response = requests.get(f"{server.url}{STATIC_URL}/nope.js", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
