"""The app's URLs plus the two same-run baselines:

- /bench/bare: a bare Django JSON view (the serving ceiling);
- /bench/minimal: verify an HMAC over the raw body and do one committed INSERT (the one-commit floor
  a webhook receiver that stores before acknowledging cannot beat)."""

import hashlib
import hmac

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

SECRET = b"bench-minimal-secret"


def bare(request):
    return JsonResponse({"ok": True})


@csrf_exempt
def minimal(request):
    body = request.body
    digest = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest("sha256=" + digest, request.headers.get("Ashby-Signature", "")):
        return JsonResponse({"error": "bad signature"}, status=401)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_minimal (body) VALUES (%s)", [body])
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare", bare),
    path("bench/minimal", minimal),
    path("", include("jobcannon.urls")),
]
