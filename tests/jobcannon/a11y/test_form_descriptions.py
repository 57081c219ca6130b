"""A form field's description is the element its aria-describedby names. Django 5.2 gives every
field with help text aria-describedby="<id>_helptext" (and "<id>_error" while it has errors); a
template that prints the help text or the errors itself must give them those ids, or a screen
reader announces the field without them (axe aria-valid-attr-value, critical, which axe can only
report as undecided: the crawl fails on it, README.md beside this file). Quick checks through the
test client and over the templates' source; the crawl checks every page in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from integrations.registry import get_providers
from tests.jobcannon.a11y.test_admin_overrides import _Page

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _dangling(html: str) -> list[tuple[str, str]]:
    page = _Page(html)
    return [(element, named) for element, named in page.described_by if named not in page.ids]


def test_the_assessment_settings_fields_are_described_by_their_help_text(client_in_workspace):
    html = client_in_workspace.get(reverse("assessments:config")).content.decode()

    assert 'aria-describedby="id_brand_name_helptext"' in html
    assert _dangling(html) == []


def test_the_assessment_settings_errors_describe_their_fields(client_in_workspace):
    """Sent with a bad value, the field names its error as well: that element must exist."""
    response = client_in_workspace.post(reverse("assessments:config"), {"reminder_days_before": "-3"})

    html = response.content.decode()
    assert "_error" in html and 'aria-invalid="true"' in html
    assert _dangling(html) == []


@pytest.mark.parametrize("provider", sorted(get_providers()))
def test_each_connect_wizards_fields_are_described_by_their_help_text(client_in_workspace, provider):
    response = client_in_workspace.get(reverse("integrations:wizard", args=[provider]))

    assert response.status_code == 200
    assert _dangling(response.content.decode()) == []


# An element of class "helptext" (ours) whose content is a field's help_text.
HELP_TEXT = re.compile(
    r'<(?P<tag>div|span|p)\b(?P<attrs>[^>]*\bclass="helptext"[^>]*)>\s*\{\{\s*(?P<field>[\w.]+?)\.help_text\s*[|}]'
)


def test_every_template_that_prints_help_text_gives_it_the_id_the_field_names():
    """Over every template of ours: a help text printed by hand carries "<auto_id>_helptext"."""
    printed = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for m in HELP_TEXT.finditer(path.read_text(encoding="utf-8")):
            field = m.group("field")
            printed.append(path.relative_to(TEMPLATES))
            assert f'id="{{{{ {field}.auto_id }}}}_helptext"' in m.group("attrs"), (
                f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
            )
    assert len(printed) >= 8, printed
