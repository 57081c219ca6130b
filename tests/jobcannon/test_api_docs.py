import re

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
    # Every asset the page loads is ours (same origin). Checked on the URLs, not on the whole page:
    # the page also carries a random CSRF token, which spelled "cdn" one run in a while.
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assets += re.findall(r"""url:\s*["']([^"']+)["']""", html)
    assert assets, "the page loads Swagger UI's assets"
    offsite = [a for a in assets if not a.startswith("/") or a.startswith("//") or "cdn" in a.lower()]
    assert not offsite, f"Swagger UI assets must come from drf-spectacular-sidecar, not a CDN: {offsite}"


def test_swagger_ui_runs_under_the_content_security_policy(client):
    """/api/docs/ has the CSP of every page: its one inline script (Swagger UI's bootstrap) carries
    the response's nonce, and Swagger UI loads nothing from elsewhere (no validator badge).
    That it draws its operations under that policy, in Chromium, is checked by the a11y crawl."""
    response = client.get("/api/docs/")
    csp = response["Content-Security-Policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    nonce = re.search(r"'nonce-([^']+)'", script_src)[1]
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [f' nonce="{nonce}"'], inline
    assert '"validatorUrl": null' in html and '"deepLinking": false' in html
