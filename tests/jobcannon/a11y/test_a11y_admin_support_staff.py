"""Accessibility crawl: the staff admin as a support engineer sees it (staff, not a superuser,
with a typical staff role's permissions: pages.SUPPORT_STAFF_PERMISSIONS), over the admin index,
app indexes, and the list and change pages the role may see (pages.py says which pages,
crawler.py what fails); and every other admin page of a registered model answers that role
403, never an error."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_pages_as_support_staff_have_no_serious_accessibility_problems(run_crawl):
    report = run_crawl("admin as support staff")
    assert report.pages > 10  # the index, app indexes, lists and change pages, not just the index


def test_admin_pages_support_staff_may_not_open_answer_403_and_the_others_render(world):
    user = world.support_user
    request = RequestFactory().get("/admin/")
    request.user = user
    client = Client(raise_request_exception=False)
    client.force_login(user)
    wrong = []
    for model, model_admin in admin.site._registry.items():
        obj = world.admin_objects[model]
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for view, args, allowed in (
            ("changelist", [], model_admin.has_view_or_change_permission(request)),
            ("add", [], model_admin.has_add_permission(request)),
            ("change", [obj.pk], model_admin.has_view_or_change_permission(request, obj)),
            ("history", [obj.pk], model_admin.has_view_or_change_permission(request, obj)),
            ("delete", [obj.pk], model_admin.has_delete_permission(request, obj)),
        ):
            status = client.get(reverse(f"{prefix}_{view}", args=args)).status_code
            if status != (200 if allowed else 403):
                wrong.append(f"{model._meta.label} {view}: {status}, expected {200 if allowed else 403}")
    assert not wrong, "\n".join(wrong)
