"""The project's URLs plus two the crawl alone serves (ROOT_URLCONF of the crawl, conftest.py's
`world`): a request the server cannot understand and a view that fails. Nothing in the product
answers 400 or 500 on purpose, yet every such failure ends at the handlers' page
(jobcannon/urls.py handler400 / handler500, templates/error.html): these URLs let the crawl
check that page as a browser receives it, through Django's own exception handling."""

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.urls import path

from jobcannon.urls import urlpatterns as project_urlpatterns


class CrawlServerError(Exception):
    """The crawl's deliberate failure (Django logs it as any unhandled exception)."""


def bad_request_page(request: HttpRequest) -> HttpResponse:
    raise BadRequest("The accessibility crawl's deliberate bad request.")


def server_error_page(request: HttpRequest) -> HttpResponse:
    raise CrawlServerError("The accessibility crawl's deliberate server error.")


urlpatterns = [
    path("a11y-crawl/bad-request/", bad_request_page, name="a11y-crawl-bad-request"),
    path("a11y-crawl/server-error/", server_error_page, name="a11y-crawl-server-error"),
    *project_urlpatterns,
]

# A root URLconf names its own handlers (Django reads them from the module ROOT_URLCONF names).
handler400 = "jobcannon.core.views.bad_request"
handler403 = "jobcannon.core.views.permission_denied"
handler404 = "jobcannon.core.views.page_not_found"
handler500 = "jobcannon.core.views.server_error"
