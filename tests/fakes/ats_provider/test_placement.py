"""The fake ATS is a test double: it ships in no package of ours, only the test settings list it,
and a provider outside integrations/providers/ works like any other (the registry and the
schedules find it through the class ATS_PROVIDERS names)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from integrations.registry import get_provider

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import sys
import django

django.setup()
from django.conf import settings
from django.urls import get_resolver

get_resolver().url_patterns
from integrations.registry import get_providers

print("PROVIDERS", sorted(get_providers()))
print("PATHS", settings.ATS_PROVIDERS)
print("TESTS", sorted(name for name in sys.modules if name.split(".")[0] == "tests"))
"""


def test_the_fake_ats_is_loaded_from_tests_by_the_test_settings():
    assert type(get_provider("fake")).__module__ == "tests.fakes.ats_provider.provider"
    assert not (ROOT / "integrations" / "providers" / "fake").exists()


@pytest.mark.parametrize(
    "settings_module, env",
    [
        ("jobcannon.settings.local", {}),
        (
            "jobcannon.settings.production",
            {
                # Example values as in benchmarks/settings.py (never deployed).
                "DJANGO_SECRET_KEY": "placement-" + "k3Jd8" * 12,
                "FIELD_ENCRYPTION_KEYS": "z7Jm4yYc3o3mH2Cw2bXoE9fQ1vQ0bqv2Gm3xkzv0n7U=",
                "DJANGO_ALLOWED_HOSTS": "jobcannon.example.com",
            },
        ),
    ],
)
def test_dev_and_production_settings_neither_list_nor_import_anything_from_tests(settings_module, env):
    environ = {
        **os.environ,
        **env,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": "sqlite:///:memory:",
    }
    environ.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert "fake" not in lines["PROVIDERS"] and "ashby" in lines["PROVIDERS"]
    assert "tests." not in lines["PATHS"]
    assert lines["TESTS"] == "[]"


@pytest.mark.django_db
def test_setup_schedules_looks_for_a_providers_tasks_beside_its_class():
    from django_q.models import Schedule

    from jobcannon.core.jobs import schedule_modules

    modules = schedule_modules()
    assert "tests.fakes.ats_provider.tasks" in modules  # none: the fake ATS schedules nothing
    assert "integrations.providers.ashby.tasks" in modules
    assert not any("integrations.providers.fake" in name for name in modules)
    call_command("setup_schedules", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Schedule.objects.filter(name__startswith="periodic:integrations.providers.").exists()
