"""Event versions: SR assigns them (SRO Event.version is read-only) and publishes only job.created's
(constants.PUBLISHED_EVENT_VERSIONS; application.created's v201910 is only a signature test vector). The sandbox reports (and sends, test_event_version_header.py)
its placeholder for the others, marked [I], never taken for a published version; nothing in the
provider but the recorded subscription state, the integration page and the signature's header list
reads a version, so an unpublished one cannot change what we do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integrations.models import Integration
from integrations.providers.smartrecruiters import constants
from integrations.registry import get_provider

PROVIDER = Path(constants.__file__).resolve().parent


@pytest.mark.django_db
def test_the_sandbox_reports_its_placeholder_for_an_event_no_source_publishes(connected):
    integration = connected()
    client = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk))
    ours = next(
        s for s in client.subscriptions() if s["id"] == integration.provider_settings["subscription"]["id"]
    )
    events = {e["name"]: e for e in ours["events"]}
    placeholder = constants.SANDBOX_UNPUBLISHED_EVENT_VERSION
    for name in constants.SUBSCRIBED_EVENTS:
        assert events[name] == {"name": name, "version": placeholder}, "SR reports a version for each"
        assert name not in constants.PUBLISHED_EVENT_VERSIONS, "still marked [I] not published"
    assert integration.provider_settings["subscription"]["versions"]["candidate.deleted"] == placeholder


def _readers(pattern: str) -> set[str]:
    """Provider modules (the sandbox's aside) whose code names `pattern`."""
    return {
        path.name
        for path in PROVIDER.glob("*.py")
        if not path.name.startswith("simulator") and re.search(pattern, path.read_text())
    }


def test_only_recording_display_and_the_signature_read_an_event_version():
    assert _readers(r"EVENT_VERSION_HEADER") == {"constants.py", "webhooks.py"}  # webhooks.v1_message
    assert _readers(r"\bevent_versions\(") == {"selectors.py", "setup.py"}  # recorded with the state
    assert _readers(r"PUBLISHED_EVENT_VERSIONS") == {"constants.py", "selectors.py"}  # the page's rows


@pytest.mark.django_db
def test_the_page_names_each_published_version_s_own_source(client_in_workspace, connected):
    """job.created's version comes from the help page's subscription answer: the page names it
    beside the version. application.created's v201910 is only SR's signature test vector: [I], with
    that said (test_event_version_wording.py)."""
    from django.urls import reverse

    integration = connected(provider_settings={"webhook_events": ["application.created", "job.created"]})
    assert integration.provider_settings["subscription"]["events"] == ["application.created", "job.created"]
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    rows = dict(re.findall(r"<tr><td><code>([a-z.]+)</code></td>(.*?)</tr>", page))
    assert "[I] not published" in rows["application.created"]
    assert "<code>1.0.0</code>" in rows["job.created"]
    assert "help page, subscription answer" in rows["job.created"]
    assert "signature" not in rows["job.created"]
    assert set(constants.PUBLISHED_EVENT_VERSION_SOURCES) == set(constants.PUBLISHED_EVENT_VERSIONS)
