import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_partner_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert any(p.startswith("/partners/ashby/") for p in paths)


def test_swagger_ui_is_served_by_us_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower(), "Swagger UI assets must come from drf-spectacular-sidecar, not a CDN"
