"""Every page of the staff admin renders: the index, each app's index, and the list, add and
change page of every registered model (a change page for an object of that model). No 500, no
error page. The add page of a model the admin does not let anyone add (audit rows, sync state,
django-q2's results) answers 403 with the site's error page, not a 500."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory
from tests.jobcannon.admin_objects import admin_objects

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="staff-admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _pages(staff) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(what, url) of every admin page, with the objects to show; and of every add page the
    admin refuses (the model allows no adding)."""
    objects = admin_objects()
    request = RequestFactory().get("/admin/")
    request.user = staff
    pages = [("index", reverse("admin:index"))]
    refused = []
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        pages.append((f"{app_label} app index", reverse("admin:app_list", args=[app_label])))
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        pages.append((f"{model._meta.label} list", reverse("admin:{}_{}_changelist".format(*info))))
        add = (f"{model._meta.label} add", reverse("admin:{}_{}_add".format(*info)))
        (pages if model_admin.has_add_permission(request) else refused).append(add)
        pk = objects[model].pk
        pages.append((f"{model._meta.label} change", reverse("admin:{}_{}_change".format(*info), args=[pk])))
    return pages, refused


def test_every_admin_list_add_and_change_page_renders(client, staff):
    pages, refused = _pages(staff)
    failures = []
    client.raise_request_exception = False  # report every broken page, not the first one
    for what, url in pages:
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{what} {url}: HTTP {response.status_code}")
        elif b'id="content"' not in response.content:  # Django's admin layout, not an error page
            failures.append(f"{what} {url}: not an admin page")
    for what, url in refused:
        response = client.get(url)
        if response.status_code != 403:
            failures.append(f"{what} {url}: HTTP {response.status_code}, expected 403")
        elif "<h1>Not allowed</h1>" not in response.content.decode():  # templates/error.html
            failures.append(f"{what} {url}: 403 without the site's error page")
    assert not failures, "\n".join(failures)
    # Every registered model contributed its pages (guards the loop above against going empty),
    # an add page opened for each, and some are refused (audit rows, sync state, queue results).
    assert len([p for p in pages if p[0].endswith(" change")]) == len(admin.site._registry)
    assert len([p for p in pages + refused if p[0].endswith(" add")]) == len(admin.site._registry)
    assert refused
    assert any(what == "integrations.Integration add" for what, _ in pages)


def test_integration_add_page_shows_the_form_without_the_logs_link(client, staff):
    response = client.get(reverse("admin:integrations_integration_add"))
    assert response.status_code == 200
    assert b'name="workspace"' in response.content
    assert b"logs</a>" not in response.content  # no object yet: nothing to link to


def test_integration_change_page_links_its_logs(client, staff):
    objects = admin_objects()
    integration = objects[
        next(m for m in admin.site._registry if m._meta.label == "integrations.Integration")
    ]
    response = client.get(reverse("admin:integrations_integration_change", args=[integration.pk]))
    assert response.status_code == 200
    logs = reverse("admin-integration-logs", args=[integration.provider])
    assert f'href="{logs}?workspace={integration.workspace_id}"'.encode() in response.content


def test_split_date_and_time_inputs_have_labels(client, staff):
    """Django writes "Date:" / "Time:" as bare text beside the two inputs (axe: label, critical);
    templates/admin/widgets/split_datetime.html makes them their labels."""
    response = client.get(reverse("admin:assessments_answer_add"))
    assert response.status_code == 200
    assert b'<label class="datetime-part" for="id_answered_at_0">Date:</label>' in response.content
    assert b'<label class="datetime-part" for="id_answered_at_1">Time:</label>' in response.content


def test_filter_on_a_blank_value_has_link_text(client, staff):
    """A blank signature scheme is listed as "(blank)", not as an empty link (axe: link-name)."""
    admin_objects()  # its webhook events carry no signature scheme
    response = client.get(reverse("admin:integrations_webhookevent_changelist"))
    assert response.status_code == 200
    assert b'<a href="?signature_scheme=">(blank)</a>' in response.content
    assert b'<a href="?signature_scheme="></a>' not in response.content


def test_the_group_list_shows_each_groups_members_beside_its_name(client, staff):
    """The auth Group list has a second column (jobcannon/core/admin.py GroupAdmin): with the name
    alone its "Name" header stood over row headers only (axe th-has-data-cells). The counts come
    with the list's own query: more groups, no more queries."""
    from django.contrib.auth.models import Group

    url = reverse("admin:auth_group_changelist")

    def list_page() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return response.content.decode(), len(queries)

    support = Group.objects.create(name="Support staff")
    Group.objects.create(name="Auditors")
    for i in range(3):
        UserFactory(username=f"support-{i}", is_staff=True).groups.add(support)
    list_page()  # the session and the content types, read once
    html, queries = list_page()

    assert re.search(r'<th scope="col" class="[^"]*column-members">', html)
    rows = re.findall(
        r'<th class="field-name"><a [^>]*>([^<]+)</a></th><td class="field-members">(\d+)</td>', html
    )
    assert sorted(rows) == [("Auditors", "0"), ("Support staff", "3")], rows
    for i in range(3):
        UserFactory(username=f"engineer-{i}", is_staff=True).groups.add(
            Group.objects.create(name=f"Team {i}")
        )
    assert list_page()[1] == queries
