"""Security headers on every page, the inbound request guard (size, content type),
no-enumeration candidate links, and production settings that pass check --deploy."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from assessments.selectors import candidate_key_for
from tests.factories import AssessmentRunFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_csp_and_the_other_security_headers(client_in_workspace):
    response = client_in_workspace.get("/integrations/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# The inbound rate limits (keyed on what a caller proves): tests/security/test_inbound_limits.py.


def test_token_bucket_refills_over_time():
    from integrations.services.inbound_limits import Budget, budget_take

    # One token per half second: the second take, a Redis round trip later on a loaded machine,
    # still finds the bucket empty (at 1000/s a 1 ms pause had refilled it).
    budget = Budget(per_second=2, burst=1)
    assert budget_take("t", budget) == 0
    wait = budget_take("t", budget)
    assert 0 < wait <= 0.5
    import time

    time.sleep(wait + 0.05)
    assert budget_take("t", budget) == 0


def test_multipart_bodies_are_refused_with_415(client):
    integration = IntegrationFactory()
    response = client.post(f"/webhooks/fake/{integration.public_id}/", data={"file": "x"})
    assert response.status_code == 415
    assert json.loads(response.content)["error"]["code"] == "unsupported_media_type"


def test_candidate_links_cannot_be_enumerated(client, django_assert_max_num_queries):
    """A tampered, a forged and a random key get the same answer, decided before any database
    lookup (so no timing difference either)."""
    run = AssessmentRunFactory()
    key = candidate_key_for(run)
    tampered = key[:-3] + ("abc" if not key.endswith("abc") else "xyz")
    token, signature = key.split(".")
    # A different last character (a 1-in-16 chance otherwise that "forging" rebuilt the real key).
    forged = token[:-1] + ("Q" if not token.endswith("Q") else "A") + "." + signature
    answers = []
    for bad in (tampered, forged, "not-a-key-at-all"):
        with django_assert_max_num_queries(0):
            response = client.get(f"/a/{bad}/")
        answers.append((response.status_code, response.content.replace(bad.encode(), b"")))
    assert {a[0] for a in answers} == {404}
    assert len({a[1] for a in answers}) == 1, "the error pages differ"


@pytest.mark.skipif(not os.path.exists(sys.executable), reason="needs the interpreter")
def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.production",
        "DJANGO_SECRET_KEY": "ci-" + "x7Gq2" * 12,
        "FIELD_ENCRYPTION_KEYS": "z7Jm4yYc3o3mH2Cw2bXoE9fQ1vQ0bqv2Gm3xkzv0n7U=",
        "DJANGO_ALLOWED_HOSTS": "jobcannon.example.com",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by tests/conftest.py for Playwright, never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS:" not in output and "ERRORS:" not in output, output
