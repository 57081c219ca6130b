"""The project URLs plus the console sandbox simulator (registered only in the console tests)."""

from django.urls import include, path

from jobcannon.urls import urlpatterns as project_urlpatterns
from tests.integrations.console.sandbox import ConsoleSimProvider

urlpatterns = [
    path(
        "sim/consolesim/",
        include((ConsoleSimProvider().simulator_urls(), "consolesim"), namespace="sim-consolesim"),
    ),
    *project_urlpatterns,
]

handler400 = "jobcannon.core.views.bad_request"
handler403 = "jobcannon.core.views.permission_denied"
handler404 = "jobcannon.core.views.page_not_found"
handler500 = "jobcannon.core.views.server_error"
