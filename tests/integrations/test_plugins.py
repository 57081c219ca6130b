"""Simulators are dev/test plug-ins (integrations/plugins.py): each provider's
simulator_plugin registers itself from the plug-in app integrations.simulator_plugins, which only
the local and test settings install, and only when ATS_SIMULATORS_ENABLED. With it off, as in
production, the app and every provider module load without importing one of them, and no module
outside the plug-ins names one (checked from the source below)."""

import ast
import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.plugins import SimulatorsDisabled, plugin_for
from integrations.registry import get_providers
from tests.factories import IntegrationFactory

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
from django.apps import apps
print("PLUGIN APP", apps.is_installed("integrations.simulator_plugins"))
print("MODELS", sorted(m._meta.label for m in apps.get_models() if m.__name__ == "SimulatorObject"))
from django.core.management import call_command
from django.db import connection

call_command("migrate", verbosity=0)
call_command("makemigrations", check=True, dry_run=True, verbosity=0)  # the schema matches the models
print("TABLES", sorted(t for t in connection.introspection.table_names() if "simulator" in t))
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
    assert "PLUGIN APP False" in result.stdout, result.stdout
    # Nor does the staff admin list the simulators' state (SimulatorObject) where none runs.
    admin_models = next(line for line in result.stdout.splitlines() if line.startswith("ADMIN "))
    assert "'integrations.Integration'" in admin_models
    assert "SimulatorObject" not in admin_models
    # Their state is the plug-in app's model: where it is not installed, there is no such model,
    # and a database migrated from scratch has no table for it.
    assert "MODELS []" in result.stdout, result.stdout
    assert "TABLES []" in result.stdout, result.stdout


PROVIDERS_WITH_A_SIMULATOR = ["ashby", "knit", "lever", "smartrecruiters"]


def test_each_provider_simulator_is_registered_where_simulators_are_enabled():
    """The test settings install the plug-in app: every shipped provider's sandbox serves its
    pages, and the fake ATS (no simulator) has none."""
    for key in PROVIDERS_WITH_A_SIMULATOR:
        assert get_providers()[key].simulator_urls(), key
        assert type(plugin_for(key)).__module__ == f"integrations.providers.{key}.simulator_plugin"
    with pytest.raises(SimulatorsDisabled, match="No built-in fake simulator"):
        plugin_for("fake")


@pytest.mark.django_db
@pytest.mark.parametrize("key", PROVIDERS_WITH_A_SIMULATOR)
def test_with_simulators_switched_off_the_simulator_actions_answer_409(settings, workspace, key):
    """What only a simulator can do is refused with a clear 409 (SimulatorsDisabled), as in
    production, even where the plug-ins were registered when the server started."""
    settings.ATS_SIMULATORS_ENABLED = False
    provider = get_providers()[key]
    integration = IntegrationFactory(
        workspace=workspace, provider=key, environment="sandbox", provider_settings={"use_simulator": True}
    )
    assert provider.simulator_urls() == []
    for action in (provider.send_test_webhook, provider.send_test_assessment, provider.demo_setup):
        with pytest.raises(SimulatorsDisabled) as refused:
            action(integration)
        assert refused.value.status == 409
        assert "ATS_SIMULATORS_ENABLED" in refused.value.message


# -- production code names no simulator (issue 22) ---------------------------------------------
# The "simulators" import contract (pyproject.toml, tests/import_contracts.py) sees import
# statements only: a dotted path handed to importlib, or a helper that imports "<package>.<name>"
# for a provider (how providers reached their simulators until issue 22), loads a simulator from
# production code just the same. These read the source instead. Docstrings and comments may
# describe the simulators; prose is never a dotted path or a module's name as an argument.

OLD_LOADERS = {"simulator_module", "LazySimulatorModule"}
# The dev and test settings are where the plug-ins are switched on: they name the plug-in app.
SIMULATOR_STRING_EXCEPTIONS = {
    ("jobcannon/settings/local.py", "integrations.simulator_plugins"),
    ("jobcannon/settings/test.py", "integrations.simulator_plugins"),
}


def _plugin_names() -> list[str]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["id"] == "simulators")["plugin_names"]


def _is_plugin(dotted: str, patterns: list[str]) -> bool:
    """As the contract decides: a name (or a package above it) matching a plug-in pattern."""
    return any(fnmatch.fnmatchcase(part, p) for part in re.split(r"[.:]", dotted) for p in patterns)


def _simulator_module_names(patterns: list[str]) -> set[str]:
    """The last names of the plug-in modules and packages in the tree (simulator_state, ...)."""
    return {
        path.stem if path.suffix == ".py" else path.name
        for folder in ("integrations", "assessments", "jobcannon")
        for path in (ROOT / folder).rglob("*")
        if (path.suffix == ".py" or path.is_dir()) and _is_plugin(path.stem, patterns)
    }


def _simulator_reaches(path: Path, patterns: list[str], module_names: set[str]) -> list[str]:
    """`file:line: what` for each way the module at `path` reaches a simulator: an import (at
    any depth), the old loaders, a dotted path naming a plug-in module, or a plug-in module's
    name handed to a call (importlib.import_module, import_string, a loader of our own)."""
    tree = ast.parse(path.read_text(), str(path))
    name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [f"{line}: import {a.name}" for a in node.names if _is_plugin(a.name, patterns)]
        elif isinstance(node, ast.ImportFrom):
            # `from x import name`: x a plug-in, or name a plug-in module or one of the old loaders
            # (a function named simulator_* elsewhere, e.g. forms.simulator_available, is not).
            found += [
                f"{line}: from {'.' * node.level}{node.module or ''} import {a.name}"
                for a in node.names
                if _is_plugin(node.module or "", patterns) or a.name in module_names | OLD_LOADERS
            ]
        elif (
            isinstance(node, ast.Name | ast.Attribute)
            and (getattr(node, "id", None) or getattr(node, "attr", None)) in OLD_LOADERS
        ):
            found.append(f"{line}: {getattr(node, 'id', None) or getattr(node, 'attr', None)}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"[\w.:]*[.:][\w.:]*", node.value)
            and _is_plugin(node.value, patterns)
            and (name, node.value) not in SIMULATOR_STRING_EXCEPTIONS
        ):
            found.append(f"{line}: dotted path {node.value!r}")
        elif isinstance(node, ast.Call):
            found += [
                f"{line}: {arg.value!r} handed to a call"
                for arg in [*node.args, *(k.value for k in node.keywords)]
                if isinstance(arg, ast.Constant) and arg.value in module_names
            ]
    return [f"{name}:{entry}" for entry in found]


def _production_modules(patterns: list[str]) -> list[Path]:
    """Every module of integrations, assessments and jobcannon outside the plug-ins."""
    return [
        path
        for folder in ("integrations", "assessments", "jobcannon")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not _is_plugin(".".join(path.relative_to(ROOT).with_suffix("").parts), patterns)
    ]


def test_the_simulator_check_sees_each_way_of_reaching_a_simulator(tmp_path):
    """The checker itself: each form is reported, prose and look-alike keys are not."""
    sample = (
        '"""Talks to the built-in simulator (simulator_state holds its rows)."""\n'
        "import importlib\n"
        "from integrations.plugins import LazySimulatorModule, simulator_module\n"
        "from . import simulator_state\n"
        "sim = LazySimulatorModule(__package__, 'simulator_state')\n"
        "def f(integration, load):\n"
        "    importlib.import_module('integrations.providers.lever.sync_simulator')\n"
        "    load(__package__, 'simulator_pages')\n"
        "    importlib.import_module(f'{__package__}.simulator')\n"
        "    settings = {'use_simulator': True, 'simulator_url': '/sim/lever/'}\n"
        "    return settings, 'Use the built-in simulator.', integration.get('simulator')\n"
    )
    module = tmp_path / "sample.py"
    module.write_text(sample)
    names = {"simulator", "simulator_state", "simulator_pages", "sync_simulator"}
    found = _simulator_reaches(module, ["simulator", "simulator_*", "*_simulator"], names)
    assert sorted({int(entry.split(":")[1]) for entry in found}) == [3, 4, 5, 7, 8, 9, 11], found


def test_production_code_names_no_simulator():
    """No module outside the plug-ins imports, loads or names a simulator module: each
    provider's simulator_plugin registers itself with integrations.plugins from the
    plug-in app (integrations.simulator_plugins), installed only where simulators are enabled."""
    patterns = _plugin_names()
    module_names = _simulator_module_names(patterns)
    found = [
        entry
        for path in _production_modules(patterns)
        for entry in _simulator_reaches(path, patterns, module_names)
    ]
    assert found == []
    # Nor a simulator's URL: its pages are the plug-in's to link (SimulatorPlugin), so a page of
    # production code reversing "integrations:sim-<key>:..." names the simulator all the same.
    assert _simulator_url_names([*_production_modules(patterns), *_production_templates(patterns)]) == []


# A simulator's URL names: integrations/urls.py mounts each plug-in's urlpatterns under the
# namespace "sim-<key>" ("integrations:sim-smartrecruiters:company").
SIMULATOR_URL_NAME = re.compile(r"\bsim-[\w-]+:")
# The simulators' own templates: a folder named like a plug-in module (ashby/simulator/) or a
# name starting sim_ or _sim_ (lever/sim_home.html, smartrecruiters/_sim_banner.html).
SIMULATOR_TEMPLATE_NAMES = ["sim_*", "_sim_*"]


def _production_templates(patterns: list[str]) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if not any(fnmatch.fnmatchcase(part, p) for part in path.parent.parts for p in patterns)
        and not any(fnmatch.fnmatchcase(path.stem, p) for p in [*patterns, *SIMULATOR_TEMPLATE_NAMES])
    ]


def _simulator_url_names(paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{n}: {match.group()}"
        for path in paths
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for match in SIMULATOR_URL_NAME.finditer(line)
    ]


def test_the_simulator_url_check_sees_a_simulator_url_name_in_code_and_in_a_template(tmp_path):
    view = tmp_path / "views.py"
    view.write_text(
        'url = reverse("integrations:sim-smartrecruiters:company", args=[company_id])\n'
        'key = "sim-" + provider.key  # building the namespace is not naming one of its URLs\n'
    )
    page = tmp_path / "detail.html"
    page.write_text("<a href=\"{% url 'integrations:sim-lever:home' %}\">Sandbox</a>\n")
    assert _simulator_url_names([view, page]) == [
        "views.py:1: sim-smartrecruiters:",
        "detail.html:1: sim-lever:",
    ]
    production = {str(p.relative_to(ROOT)) for p in _production_templates(_plugin_names())}
    assert "templates/integrations/providers/smartrecruiters/_detail.html" in production
    assert (
        not {
            "templates/integrations/providers/smartrecruiters/_sim_banner.html",
            "templates/integrations/providers/lever/sim_home.html",
            "templates/integrations/providers/ashby/simulator/home.html",
        }
        & production
    )


@pytest.mark.django_db
def test_the_smartrecruiters_integration_page_links_its_sandbox_company_only_where_simulators_are_on(
    settings, client_in_workspace, workspace
):
    """The link comes from the SmartRecruiters simulator plug-in; with simulators off (as in
    production) the page renders without it instead of failing."""
    from django.urls import reverse

    integration = IntegrationFactory(
        workspace=workspace,
        provider="smartrecruiters",
        environment="sandbox",
        provider_settings={"use_simulator": True, "company_id": "co-sandbox1"},
    )
    page = reverse("integrations:detail", args=[integration.pk])
    on = client_in_workspace.get(page)
    assert on.status_code == 200
    assert 'href="/sim/smartrecruiters/company/co-sandbox1/" id="sr-simulator-link"' in on.content.decode()
    settings.ATS_SIMULATORS_ENABLED = False
    off = client_in_workspace.get(page)
    assert off.status_code == 200
    assert "sr-simulator-link" not in off.content.decode()
