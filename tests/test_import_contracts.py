"""The import layers (issue 22, README "Layout") are contracts in pyproject.toml
([tool.importlinter]); dev.py test runs `lint-imports` after mypy, and this test runs it too, so
the suite fails when a change breaks a layer."""

import subprocess
import sys
from pathlib import Path

from grimp import ImportGraph

from tests.import_contracts import PluginContract

ROOT = Path(__file__).resolve().parent.parent
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def test_every_import_contract_is_kept():
    result = subprocess.run(
        [sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and " KEPT" in result.stdout


def _graph(*imports: tuple[str, str]) -> ImportGraph:
    graph = ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="import x")
    return graph


def _simulators_contract() -> PluginContract:
    return PluginContract(
        name="simulators",
        session_options={"root_packages": ["app"]},
        contract_options={"plugin_names": ["simulator", "simulator_*", "*_simulator"]},
    )


def test_the_simulators_contract_breaks_when_production_code_imports_a_simulator():
    graph = _graph(
        ("app.providers.x.provider", "app.providers.x.client"),
        ("app.providers.x.simulator", "app.providers.x.simulator_state"),  # plug-ins among themselves
        ("app.providers.x.sync_simulator", "app.providers.x.client"),
    )
    assert _simulators_contract().check(graph, verbose=False).kept
    graph.add_import(
        importer="app.providers.x.console",
        imported="app.providers.x.simulator_state",
        line_number=7,
        line_contents="",
    )
    check = _simulators_contract().check(graph, verbose=False)
    assert not check.kept
    assert check.metadata["violations"] == [
        ("app.providers.x.console", "app.providers.x.simulator_state", [7])
    ]


def _pyproject_contract(contract_id: str):
    """The contract of that id as pyproject.toml configures it (for a graph made up below)."""
    import tomllib

    from importlinter import configuration
    from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
    from importlinter.contracts.layers import LayersContract

    configuration.configure()  # what lint-imports sets up before it checks (a timer)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    options = next(c for c in config["contracts"] if c["id"] == contract_id)
    kind = {"layers": LayersContract, "acyclic_siblings": AcyclicSiblingsContract}[options["type"]]
    return kind(
        name=options["name"],
        session_options={"root_packages": config["root_packages"]},
        contract_options={k: v for k, v in options.items() if k not in ("id", "name", "type")},
    )


def _app_graph(*imports: tuple[str, str]) -> ImportGraph:
    """A graph as grimp builds one from files: every package of a module is in it too."""
    graph = _graph(*imports)
    names = {m for pair in imports for m in pair} | {
        "jobcannon.audit",
        "jobcannon.workspaces",
        "jobcannon.core",
        "assessments",
    }
    for name in names:
        parts = name.split(".")
        for n in range(1, len(parts) + 1):
            graph.add_module(".".join(parts[:n]))
    return graph


def test_the_apps_contract_keeps_each_app_below_the_ones_that_use_it():
    allowed = [
        ("jobcannon.audit.retention", "integrations.models"),
        ("integrations.subscriptions", "jobcannon.workspaces.hooks"),
        ("assessments.services.runs", "jobcannon.workspaces.models"),
        ("jobcannon.workspaces.services", "jobcannon.core.queue"),
    ]
    assert _pyproject_contract("apps").check(_app_graph(*allowed), verbose=False).kept
    for upward in [
        ("jobcannon.core.metrics", "integrations.observability"),  # the ground imports an app
        ("jobcannon.core.jobs", "jobcannon.workspaces.models"),
        ("assessments.services.runs", "integrations.services.writeback"),  # run events go through hooks
        ("jobcannon.workspaces.views", "integrations.selectors"),  # the dashboard is filled by hooks
        ("jobcannon.workspaces.services", "jobcannon.audit.services"),  # audited through hooks
    ]:
        check = _pyproject_contract("apps").check(_app_graph(*allowed, upward), verbose=False)
        assert not check.kept, upward


def test_the_acyclic_contract_breaks_on_a_cycle_between_sibling_modules():
    chain = [
        ("integrations.services.writeback", "integrations.services.status"),
        ("integrations.services.integrations", "integrations.services.status"),
        ("integrations.services.integrations", "integrations.services.writeback"),
        ("integrations.sync.refresh", "integrations.services.activity"),
        ("integrations.providers.ashby.simulator_sync_data", "integrations.providers.ashby.simulator_store"),
    ]
    assert _pyproject_contract("acyclic").check(_app_graph(*chain), verbose=False).kept
    for closing in [
        ("integrations.services.writeback", "integrations.services.integrations"),  # inside a package
        ("integrations.services.webhooks", "integrations.sync.refresh"),  # between two packages
        ("integrations.providers.ashby.simulator_store", "integrations.providers.ashby.simulator_sync_data"),
    ]:
        check = _pyproject_contract("acyclic").check(_app_graph(*chain, closing), verbose=False)
        assert not check.kept, closing


def test_inside_integrations_the_models_import_neither_the_provider_contract_nor_the_registry():
    """services > registry > base > models: the registry hands out provider objects (base), and
    the models reach the registry through the app config. Type-checking-only imports count."""
    allowed = [
        ("integrations.services.webhooks", "integrations.registry"),
        ("integrations.registry", "integrations.base"),
        ("integrations.base", "integrations.models"),
    ]
    contract = _pyproject_contract("integrations-core")
    assert contract.check(_app_graph(*allowed), verbose=False).kept
    for upward in [
        ("integrations.models", "integrations.registry"),  # the old Integration.provider_obj import
        ("integrations.models", "integrations.base"),
        ("integrations.base", "integrations.registry"),
    ]:
        assert not contract.check(_app_graph(*allowed, upward), verbose=False).kept, upward


def test_type_checking_imports_count_in_every_contract():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["exclude_type_checking_imports"] is False


def test_the_templates_of_the_lower_apps_name_nothing_of_integrations():
    """Templates are imports too: the dashboard (workspaces) and the run list and report
    (assessments) get what integrations shows through hooks, with integrations' own template
    for its dashboard section; they name no integrations URL, model attribute or registry."""
    import re

    upward = re.compile(r"integrations:|provider_obj|\.integration\b|integration_id")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in ("templates/workspaces", "templates/assessments")
        for path in sorted((ROOT / folder).rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if upward.search(line)
    ]
    assert found == []
