"""Core's error pages: JSON for what machines call, HTML for people. Which paths machines call is
registered by the apps that serve them (integrations: webhooks, partner APIs), not known to core."""

import pytest

from jobcannon.core import views

pytestmark = pytest.mark.django_db


def _is_json_error(response, code: str) -> bool:
    return response["Content-Type"] == "application/json" and response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/x/",  # no such provider
        "/webhooks/fake/no-such-integration/extra/",
        "/partners/nosuchats/assessments",
        "/nosuchats/webhooks",  # the seeds' path shape
        "/nosuchats/webhooks/",
    ],
)
def test_a_404_on_what_an_ats_calls_answers_the_json_error_shape(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert _is_json_error(response, "not_found"), response.content[:200]


def test_a_404_on_a_customer_page_is_the_html_error_page(client_in_workspace):
    response = client_in_workspace.get("/integrations/999999/", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"This page does not exist" in response.content


def test_core_answers_json_only_where_an_app_registered_it(client, monkeypatch):
    """Without the apps' registrations a webhook path is just a page: core names none itself."""
    monkeypatch.setattr(views, "_json_paths", [])
    assert client.get("/webhooks/x/", headers={"Accept": "text/html"})["Content-Type"].startswith("text/html")
    views.json_path_register(r"/inbound/.*")
    views.json_path_register(r"/inbound/.*")  # twice: one entry
    assert len(views._json_paths) == 1
    response = client.get("/inbound/x/", headers={"Accept": "text/html"})
    assert response.status_code == 404 and _is_json_error(response, "not_found")


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_with_a_body_to_a_url_missing_its_slash_is_sent_on_with_its_method(
    client, settings, debug, method
):
    """Django raises a RuntimeError under DEBUG (a 500 on `dev.py run`) and answers 301 in
    production (followed with a GET, the body dropped): a 308 has the client repeat the same
    request, body and all, at the slashed URL."""
    settings.DEBUG = debug
    response = getattr(client, method)("/reconnect/some-token?x=1", data="a=1", content_type="text/plain")
    assert response.status_code == 308
    assert response["Location"] == "/reconnect/some-token/?x=1"


def test_a_get_to_a_url_missing_its_slash_is_still_redirected_301(client):
    response = client.get("/integrations")
    assert response.status_code == 301 and response["Location"] == "/integrations/"
