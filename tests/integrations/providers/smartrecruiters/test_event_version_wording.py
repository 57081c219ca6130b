"""Audit a1920-r2 G8: SmartRecruiters publishes no version for application.created. v201910 is
only the event-version of SRD's signature example, a test vector (reference §2.4); the help page's
subscription answer shows 1.0.0 (for job.created). The integration page must not call v201910 a
published version."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_application_created_shows_no_published_version_and_names_the_test_vector(
    client_in_workspace, connected
):
    integration = connected(provider_settings={"webhook_events": ["application.created", "job.created"]})
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    table = page[page.index('id="sr-events"') :].split("</table>")[0]
    rows = dict(re.findall(r"<tr><td><code>([a-z.]+)</code></td>(.*?)</tr>", table))
    published = re.split(r"</td>\s*<td>", rows["application.created"])[-1]  # the "Published version" cell
    assert "[I] not published" in published
    assert "<code>v201910</code>" not in published and "signature example)" not in published
    assert "test vector" in published  # where v201910 does appear, said as such
    assert "<code>1.0.0</code>" in rows["job.created"] and "help page" in rows["job.created"]
