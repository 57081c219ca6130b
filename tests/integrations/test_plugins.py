"""Simulators are dev/test plug-ins (integrations/plugins.py): with ATS_SIMULATORS_ENABLED off,
as in production, the app and every provider module load without importing one of them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.plugins import SimulatorsDisabled, simulator_module

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import fnmatch, importlib, pkgutil, sys
import django

django.setup()
from django.urls import get_resolver

get_resolver().url_patterns  # jobcannon.urls: every provider's urls() and integration_urls()
import integrations.providers as providers

def is_simulator(name):
    last = name.rpartition(".")[2]
    return any(fnmatch.fnmatchcase(last, p) for p in ("simulator", "simulator_*", "*_simulator"))

for info in pkgutil.walk_packages(providers.__path__, "integrations.providers."):
    if not is_simulator(info.name):
        importlib.import_module(info.name)
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "integrations" and is_simulator(name))
print("LOADED", loaded)
from django.contrib import admin
print("ADMIN", sorted(m._meta.label for m in admin.site._registry))
"""


def test_with_simulators_off_no_simulator_module_is_imported():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.local",
        "ATS_SIMULATORS_ENABLED": "0",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout, result.stdout
    # Nor does the staff admin list the simulators' state (SimulatorObject) where none runs.
    admin_models = next(line for line in result.stdout.splitlines() if line.startswith("ADMIN "))
    assert "'integrations.Integration'" in admin_models
    assert "integrations.SimulatorObject" not in admin_models


def test_a_simulator_is_loaded_by_dotted_path_only_when_enabled(settings):
    settings.ATS_SIMULATORS_ENABLED = False
    with pytest.raises(SimulatorsDisabled):
        simulator_module("integrations.providers.lever", "simulator_state")
    settings.ATS_SIMULATORS_ENABLED = True
    module = simulator_module("integrations.providers.lever", "simulator_state")
    assert module.__name__ == "integrations.providers.lever.simulator_state"
