"""Pages state a vendor fact only as its README sources it: what only a seed says is labelled the
seed's (audit G6)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def test_ashby_sandbox_does_not_present_the_seeds_rate_limit_as_ashbys(client_in_workspace):
    page = _text(client_in_workspace.get(reverse("integrations:sim-ashby:home")))
    # Ashby publishes no general limit (README "Rate limit"): 100 rps is the seed's number.
    assert "100 rps rate limit)" not in page
    assert "the seed's 100 rps rate limit" in page and "Ashby publishes no general limit" in page


def test_lever_sandbox_banner_names_the_sandbox_host_the_readme_gives(client_in_workspace):
    page = _text(client_in_workspace.get(reverse("integrations:sim-lever:home")))
    assert "Behaves like sandbox-lever.com" not in page
    assert "api.sandbox.lever.co" in page
