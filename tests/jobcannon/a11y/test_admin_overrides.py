"""Our overrides of the Django admin's own templates (README.md beside this file lists them): each
fixes what a user of a screen reader meets on the page, and each is Django's template with only
the change it states, so a Django upgrade that changes the original fails here and is copied again.

These check the HTML through the test client (quick, no browser); the crawl checks the same pages
with axe in Chromium."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DJANGO_ADMIN_TEMPLATES = Path(django.__file__).parent / "contrib" / "admin" / "templates"
OURS = Path(settings.BASE_DIR) / "templates"


class _Page(HTMLParser):
    """The ids on a page, the ids its aria-describedby attributes name, and the nav sidebar's
    tables as (column headers, cells of each row)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: dict[str, list[str]] = {}  # id -> the text inside that element
        self.described_by: list[tuple[str, str]] = []  # (element's id, id it names)
        self.sidebar_tables: list[tuple[int, list[int]]] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the elements we are inside
        self._in_sidebar = 0
        self._thead = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.setdefault(a["id"], [])
        for described in (a.get("aria-describedby") or "").split():
            self.described_by.append((a.get("id") or tag, described))
        if tag in ("input", "br", "img", "meta", "link"):
            return
        self._open.append((tag, a.get("id")))
        if a.get("id") == "nav-sidebar" or self._in_sidebar:
            self._in_sidebar += 1
        if self._in_sidebar:
            if tag == "table":
                self.sidebar_tables.append((0, []))
            elif tag == "thead":
                self._thead = True
            elif tag == "tr" and not self._thead:
                self.sidebar_tables[-1][1].append(0)
            elif tag in ("th", "td") and self.sidebar_tables:
                headers, rows = self.sidebar_tables[-1]
                if self._thead:
                    self.sidebar_tables[-1] = (headers + 1, rows)
                else:
                    rows[-1] += 1

    def handle_endtag(self, tag):
        if tag == "thead":
            self._thead = False
        while self._open:
            open_tag, _ = self._open.pop()
            if self._in_sidebar:
                self._in_sidebar -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id:
                self.ids[element_id].append(data)


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client, staff


def test_the_user_change_pages_password_is_described_by_its_help_text(staff_client):
    """Django 5.2 names "id_password_helptext" in the read-only password's aria-describedby;
    the help under it must carry that id, or a screen reader reads no description."""
    client, staff = staff_client
    page = _Page(client.get(reverse("admin:auth_user_change", args=[staff.pk])).content.decode())

    assert ("id_password", "id_password_helptext") in page.described_by
    dangling = [(element, named) for element, named in page.described_by if named not in page.ids]
    assert dangling == []
    assert "Raw passwords are not stored" in " ".join(page.ids["id_password_helptext"])


@pytest.mark.parametrize("page", ["admin:auth_user_changelist", "admin:auth_group_add"])
def test_the_admin_sidebars_tables_announce_only_the_columns_their_rows_have(staff_client, page):
    """The nav sidebar (every admin page but the index) lists each model and its add link: a
    table of two columns, which must not announce a third ("Change or view list link") that has
    no cell in any row."""
    client, _ = staff_client
    parsed = _Page(client.get(reverse(page)).content.decode())

    assert len(parsed.sidebar_tables) >= 5, "the sidebar lists the apps"
    for headers, rows in parsed.sidebar_tables:
        assert rows and set(rows) == {headers} == {2}, (headers, rows)


def test_the_admin_index_keeps_its_three_columns(staff_client):
    client, _ = staff_client
    html = client.get(reverse("admin:index")).content.decode()

    assert html.count("Change or view list link") == html.count("<caption>") > 5


# Our copy -> (Django's text, ours): each override is Django's template, a comment saying why,
# and this change only.
OVERRIDES = {
    "admin/includes/fieldset.html": (
        '{% if field.field.id_for_label %} id="{{ field.field.id_for_label }}_helptext"{% endif %}',
        '{% if field.field.auto_id %} id="{{ field.field.auto_id }}_helptext"{% endif %}',
    ),
    "admin/app_list.html": (
        "<th scope=\"col\">{% translate 'Change or view list link' %}</th>",
        "{% if show_changelinks %}<th scope=\"col\">{% translate 'Change or view list link' %}</th>"
        "{% endif %}",
    ),
}


@pytest.mark.parametrize("name", sorted(OVERRIDES))
def test_an_admin_template_override_is_djangos_with_only_its_stated_change(name):
    django_text, our_text = OVERRIDES[name]
    original = (DJANGO_ADMIN_TEMPLATES / name).read_text(encoding="utf-8")
    ours = (OURS / name).read_text(encoding="utf-8")
    comment, _, body = ours.partition("{% endcomment %}\n")
    assert comment.startswith("{% comment %}Django 5.2's " + name), "say what it overrides and why"
    assert original.count(django_text) == 1, f"Django's {name} changed: copy it again and redo the change"
    assert body == original.replace(django_text, our_text)
