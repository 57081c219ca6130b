import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobcannon.settings.production")

from jobcannon.core.wsgi import get_application  # noqa: E402

# Webhook intake on the machine middleware stack, everything else on the full one
# (jobcannon/core/wsgi.py).
application = get_application()
