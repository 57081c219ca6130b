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
