"""`manage.py serve`: Django's runserver (same options, same threading, same access lines) with
a listen backlog a partner's burst fits in. `dev.py run` serves with it.

    python manage.py serve 127.0.0.1:8000 --noreload

Django's development server listens with a backlog of 10 (`WSGIServer.request_queue_size` in
django/core/servers/basehttp.py). Ashby retries assessment.start concurrently and webhooks
arrive in bursts: 30 retries and 40 webhooks sent at once to `dev.py run` found the queue full
and 173 of 270 calls got ConnectionResetError before a request was read. gunicorn listens with
2048 (its `backlog` setting, docs.gunicorn.org/en/stable/settings.html#backlog); the kernel caps
either at net.core.somaxconn (4096 on current Linux)."""

from __future__ import annotations

from django.core.management.commands.runserver import Command as RunserverCommand
from django.core.servers.basehttp import WSGIServer


class DevServer(WSGIServer):
    """runserver's server with a real backlog. A plain WSGIServer subclass, not a
    ThreadedWSGIServer one: runserver adds socketserver.ThreadingMixIn itself
    (basehttp.run(threading=True)), and a class that already has it cannot be mixed again."""

    request_queue_size = 1024


class Command(RunserverCommand):
    help = "Starts the development web server with a listen backlog of 1024 (runserver keeps 10)."
    server_cls = DevServer
