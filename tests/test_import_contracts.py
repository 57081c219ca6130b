"""The import layers (issue 22, README "Layout") are contracts in pyproject.toml
([tool.importlinter]); dev.py test runs `lint-imports` after mypy, and this test runs it too, so
the suite fails when a change breaks a layer."""

import re
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
    """Imports only: that production code names no simulator at all (a dotted path handed to
    importlib, the loaders providers used before issue 22) is checked from the source by
    tests/integrations/test_plugins.py::test_production_code_names_no_simulator."""
    graph = _graph(
        ("app.providers.x.provider", "app.providers.x.client"),
        ("app.providers.x.simulator", "app.providers.x.simulator_state"),  # plug-ins among themselves
        ("app.providers.x.sync_simulator", "app.providers.x.client"),
        # a plug-in package's modules are plug-ins too (the plug-in app registering them)
        ("app.simulator_plugins.apps", "app.providers.x.simulator_plugin"),
        ("app.providers.x.simulator_plugin", "app.plugins"),  # the hook registry they fill
    )
    assert _simulators_contract().check(graph, verbose=False).kept
    graph.add_import(
        importer="app.providers.x.console",
        imported="app.providers.x.simulator_state",
        line_number=7,
        line_contents="",
    )
    graph.add_import(
        importer="app.plugins", imported="app.simulator_plugins.apps", line_number=3, line_contents=""
    )
    check = _simulators_contract().check(graph, verbose=False)
    assert not check.kept
    assert check.metadata["violations"] == [
        ("app.plugins", "app.simulator_plugins.apps", [3]),
        ("app.providers.x.console", "app.providers.x.simulator_state", [7]),
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
    from importlinter.contracts.forbidden import ForbiddenContract

    kind = {
        "layers": LayersContract,
        "acyclic_siblings": AcyclicSiblingsContract,
        "forbidden": ForbiddenContract,
    }[options["type"]]
    return kind(
        name=options["name"],
        session_options={"root_packages": config["root_packages"]},
        # lint-imports reads TOML booleans as strings ("True"): so do we
        contract_options={
            k: str(v) if isinstance(v, bool) else v
            for k, v in options.items()
            if k not in ("id", "name", "type")
        },
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
    """services > registry > base > models: the registry hands out provider objects (base); the
    models do not reach it at all, not even at runtime (checked from the source further down).
    Type-checking-only imports count."""
    allowed = [
        ("integrations.services.webhooks", "integrations.registry"),
        ("integrations.registry", "integrations.base"),
        ("integrations.base", "integrations.models"),
    ]
    contract = _pyproject_contract("integrations-core")
    assert contract.check(_app_graph(*allowed), verbose=False).kept
    for upward in [
        ("integrations.models", "integrations.registry"),
        ("integrations.models", "integrations.base"),
        ("integrations.base", "integrations.registry"),
    ]:
        assert not contract.check(_app_graph(*allowed, upward), verbose=False).kept, upward


def test_inside_a_provider_only_its_queue_entry_points_import_provider_py():
    """provider.py hands the provider down (arguments, `as_view(provider=self)`); its pages, APIs,
    console and services never import it back, and no provider module imports the registry."""
    sr = "integrations.providers.smartrecruiters"
    allowed = [
        (f"{sr}.tasks", f"{sr}.provider"),
        (f"{sr}.provider", f"{sr}.views"),
        (f"{sr}.provider", f"{sr}.console"),
        (f"{sr}.console", f"{sr}.setup"),
        (f"{sr}.views", f"{sr}.setup"),
        (f"{sr}.setup", f"{sr}.services"),
        (f"{sr}.apis_consent", "integrations.services.integrations"),
        ("integrations.services.integrations", "integrations.registry"),
        *[
            (f"integrations.providers.{p}.provider", f"integrations.providers.{p}.constants")
            for p in ("ashby", "knit", "lever")
        ],
    ]
    layers = _pyproject_contract("provider-modules")
    registry = _pyproject_contract("providers-not-registry")
    for contract in (layers, registry):
        assert contract.check(_app_graph(*allowed), verbose=False).kept
    for upward in [
        (f"{sr}.views", f"{sr}.provider"),
        (f"{sr}.console", f"{sr}.provider"),
        (f"{sr}.setup", f"{sr}.tasks"),
    ]:
        assert not layers.check(_app_graph(*allowed, upward), verbose=False).kept, upward
    direct = (f"{sr}.apis_consent", "integrations.registry")
    assert not registry.check(_app_graph(*allowed, direct), verbose=False).kept


def test_the_audit_app_reaches_no_web_module_of_integrations():
    """Audit sits above integrations to purge and export its rows (models, services); the
    request guard for what an ATS sends is integrations' own (integrations.middleware), so
    audit never needs its views, URLs or middleware."""
    allowed = [
        ("jobcannon.audit.retention", "integrations.models"),
        ("jobcannon.audit.apps", "integrations.services.hooks"),
        ("integrations.middleware", "integrations.views"),
    ]
    contract = _pyproject_contract("audit-not-integrations-web")
    web = [
        "integrations.views",
        "integrations.console_views",
        "integrations.admin_views",
        "integrations.urls",
    ]

    def graph(*imports: tuple[str, str]) -> ImportGraph:
        built = _app_graph(*allowed, *imports)
        for module in web:  # forbidden modules must exist in the graph
            built.add_module(module)
        return built

    assert contract.check(graph(), verbose=False).kept
    for upward in [
        ("jobcannon.audit.middleware", "integrations.views"),  # the guard's view check, before issue 22
        ("jobcannon.audit.middleware", "integrations.middleware"),
        ("jobcannon.audit.views", "integrations.urls"),
    ]:
        assert not contract.check(graph(upward), verbose=False).kept, upward


def test_type_checking_imports_count_in_every_contract():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["exclude_type_checking_imports"] is False


# templates/base.html is the site's layout, the project's like jobcannon/urls.py: its main menu
# links every app (the dashboard, integrations, assessments, the audit log), so it sits above them.
PROJECT_LAYOUT = {"base.html"}


def _core_templates() -> list[Path]:
    """Every template jobcannon.core's views render (any "*.html" named in its code: the system
    status page, the error page, the dev mailbox), what those extend or include, everything under
    templates/core/ and our overrides of the admin's own templates (not templates/admin/<app>/)."""
    import re

    named = re.compile(r"""["']([\w/.-]+\.html)["']""")
    parents = re.compile(r"""\{%\s*(?:extends|include)\s+["']([\w/.-]+\.html)["']""")
    todo = [
        name for path in (ROOT / "jobcannon/core").rglob("*.py") for name in named.findall(path.read_text())
    ]
    todo += [str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates/core").rglob("*.html")]
    todo += [str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates/admin").glob("*.html")]
    todo += [
        str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates/admin/widgets").rglob("*.html")
    ]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        path = ROOT / "templates" / name
        if name in seen or name in PROJECT_LAYOUT or not path.exists():  # not ours: Django's own
            continue
        seen.add(name)
        todo += parents.findall(path.read_text())
    return [ROOT / "templates" / name for name in sorted(seen)]


def test_the_core_templates_found_include_every_page_core_renders():
    found = {str(p.relative_to(ROOT / "templates")) for p in _core_templates()}
    assert {
        "admin/system_status.html",
        "error.html",
        "core/mailbox.html",
        "core/mailbox_message.html",
    } <= found
    assert not any(name.startswith(("integrations/", "admin/integrations/")) for name in found)


# Names of integrations in a template: its URL names and paths ("integrations:detail",
# "admin:integrations_integration_change", ".../integrations/<provider>/logs"), its permissions
# (perms.integrations.*), its model attributes and lookups.
UPWARD = r"integrations[:_./]|provider_obj|\.integration\b|integration_id|integration__"
# Core is the ground: what its templates compute ({{ ... }} and {% ... %}) names no app above it.
# (Prose may: "Retries scheduled (webhooks, write-backs)" describes django-q2's one-off schedules.)
ABOVE_CORE = r"integration|provider|webhook|writeback|reauth|assessment|candidate|workspace|audit"


def _template_lines(paths: list[Path], pattern: str, *, code_only: bool = False) -> list[str]:
    return [
        found
        for path in paths
        for found in _matching_lines(
            str(path.relative_to(ROOT)), path.read_text(), pattern, code_only=code_only
        )
    ]


def _matching_lines(name: str, text: str, pattern: str, *, code_only: bool = False) -> list[str]:
    import re

    found = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = re.findall(r"\{\{.*?\}\}|\{%.*?%\}", line) if code_only else [line]
        if any(re.search(pattern, part, re.IGNORECASE) for part in parts):
            found.append(f"{name}:{n}: {line.strip()}")
    return found


def test_the_templates_of_the_lower_apps_name_nothing_of_integrations():
    """Templates are imports too: the dashboard (workspaces), the run list and report
    (assessments) and core's pages (the staff system status page, the error page, the dev
    mailbox) get what integrations shows through hooks, with integrations' own template for its
    section (templates/integrations/_dashboard.html, _system_status.html); they name no
    integrations URL, permission, model attribute or registry."""
    lower = [
        *(
            path
            for folder in ("templates/workspaces", "templates/assessments")
            for path in sorted((ROOT / folder).rglob("*.html"))
        ),
        *_core_templates(),
    ]
    assert _template_lines(lower, UPWARD) == []
    assert _template_lines(_core_templates(), ABOVE_CORE, code_only=True) == []


# The integrations block of templates/admin/system_status.html (core's) until issue 22, less
# the table markup: what the template checks above must catch.
STATUS_PAGE_BEFORE = """{% if problems_error %}<p class="errornote">{{ problems_error }}</p>{% else %}
<h3>Webhooks rejected / failed in the last 24 h</h3>
{% for row in problems.webhooks %}<td>{% if perms.integrations.view_webhookevent %}<a href="{% url 'admin:index' %}integrations/{{ row.provider|urlencode }}/logs?status={{ row.status }}">{{ row.provider }}</a>{% endif %}</td>{% endfor %}
<h3>Write-backs not delivered</h3>
{% for row in problems.writebacks %}<td>{{ row.integration__provider }}</td>{% endfor %}
<h3>Integrations waiting for re-authorization</h3>
{% for i in problems.needs_reauth %}<a href="{% url 'admin:integrations_integration_change' i.pk %}">{{ i.provider }} ({{ i.environment }})</a>{% endfor %}
{% endif %}"""


def test_the_template_checks_catch_what_core_named_before_its_sections_had_templates():
    upward = _matching_lines("before", STATUS_PAGE_BEFORE, UPWARD)
    assert [line.split(":")[1] for line in upward] == ["3", "5", "7"]
    above_core = _matching_lines("before", STATUS_PAGE_BEFORE, ABOVE_CORE, code_only=True)
    assert [line.split(":")[1] for line in above_core] == ["3", "5", "7"]
    # Prose about what core's own queue holds is not a reference to an app above it.
    assert (
        _matching_lines(
            "prose", "<th>Retries scheduled (webhooks, write-backs)</th>", ABOVE_CORE, code_only=True
        )
        == []
    )


# -- the registry at runtime (issue 22: cycles import-linter cannot see) ----------------------
# grimp sees static imports only: `apps.get_app_config("integrations").provider(key)` or an
# attribute such as `integration.provider_obj` reaches the registry at runtime without an import,
# so models -> registry -> base -> models and provider.py -> console -> provider.py ran as cycles
# that every contract above called kept. These read the source instead.

REGISTRY_NAMES = {"get_provider", "get_providers", "provider_for", "provider_choices"}


def _registry_reaches(path: Path) -> list[str]:
    """Where the module at `path` reaches integrations.registry, by import (at any depth, a
    function-level one too), dotted-path string (import_string/importlib), a registry function,
    the app config's provider lookup or the removed `Integration.provider_obj`."""
    import ast
    import re

    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import) and any(a.name.split(".")[-1] == "registry" for a in node.names):
            found.append(f"{line}: import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.ImportFrom) and (
            (node.module or "").split(".")[-1] == "registry"
            or any(a.name == "registry" or a.name in REGISTRY_NAMES for a in node.names)
        ):
            found.append(f"{line}: from {'.' * node.level}{node.module or ''} import ...")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"[\w.]*\bregistry\b[\w.:]*", node.value)
        ):
            found.append(f"{line}: dotted path {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr == "provider_obj":
            found.append(f"{line}: .provider_obj")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "attr", getattr(node.value.func, "id", "")) == "get_app_config"
        ):
            found.append(f"{line}: get_app_config(...).{node.attr}")
        elif (
            isinstance(node, ast.Name | ast.Attribute)
            and (getattr(node, "id", None) or getattr(node, "attr", None)) in REGISTRY_NAMES
        ):
            found.append(f"{line}: {getattr(node, 'id', None) or getattr(node, 'attr', None)}")
    return found


def test_registry_reach_check_sees_every_way_in():
    """The checker itself: each form the audit found (or could find) is reported."""
    import tempfile

    sample = (
        "from django.apps import apps\n"
        "def f(integration):\n"
        "    from integrations.registry import get_provider\n"
        "    import importlib\n"
        "    importlib.import_module('integrations.registry')\n"
        "    apps.get_app_config('integrations').provider(integration.provider)\n"
        "    return integration.provider_obj\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(sample)
    found = _registry_reaches(Path(f.name))
    assert sorted({entry.split(":")[0] for entry in found}) == ["3", "5", "6", "7"], found


def test_the_models_and_the_app_config_never_reach_the_registry():
    """models < base < registry < services also at runtime: the models hand out no provider
    object (callers above the registry ask it: `integrations.registry.provider_for`) and the app
    config offers no provider lookup for them."""
    found = {
        name: _registry_reaches(ROOT / "integrations" / name) for name in ("models.py", "apps.py", "base.py")
    }
    assert found == {"models.py": [], "apps.py": [], "base.py": []}


def test_no_provider_module_reaches_the_registry():
    """A provider's modules below provider.py get the provider (or its client) passed in by
    provider.py, or by the view class provider.py builds (`as_view(provider=self)`), so none of
    them calls back up into provider.py through the registry; provider.py itself is an entry the
    registry loads, and does not look itself up either."""
    found = [
        f"{path.relative_to(ROOT)}:{entry}"
        for path in sorted((ROOT / "integrations" / "providers").rglob("*.py"))
        for entry in _registry_reaches(path)
    ]
    assert found == []


def test_nothing_asks_an_integration_for_its_provider_object():
    """`Integration.provider_obj` is gone: a template still naming it would render an empty
    provider name instead of failing, so templates are checked as well as code."""
    from integrations.apps import IntegrationsConfig
    from integrations.models import Integration

    assert not hasattr(Integration, "provider_obj")
    assert not hasattr(IntegrationsConfig, "provider")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("integrations", "jobcannon", "assessments", "templates", "benchmarks", "tests")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".html", ".txt") and path.name != "test_import_contracts.py"
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if "provider_obj" in line
    ]
    assert found == []


# -- core's strings name nothing above it (issue 22) -------------------------------------------
# import-linter sees imports only: a dotted path (import_string), a URL prefix tested in a view,
# a provider key or an exception's class name compared as a string reaches the apps above core
# just the same. Docstrings (and comments, which the AST drops) may describe them.

UPPER_PACKAGES = ("integrations", "assessments", "jobcannon.audit", "jobcannon.workspaces")
# The first path segments integrations' URLconf serves (jobcannon/urls.py).
UPPER_URL_SEGMENTS = ("webhooks", "partners", "integrations", "reconnect", "sim")
# Vocabulary of the upper apps, caught inside snake_case names (metric names, labels, keys):
# prose such as "retry schedules (webhooks, write-backs)" has no underscore and is let through.
UPPER_WORDS = ("webhook", "writeback", "integration", "assessment", "partner", "candidate")
# What core may still name, with why. Its log redaction hides these keys wherever a log line
# carries them (jobcannon/core/logging.py); a register filled by the apps would be better.
# (file, word) pairs of the ground allowed to name an upper app's word: none (the log redaction
# rules cover `<what>_answers` and `<what>_secret` by shape, not by the apps' field names).
CORE_STRING_EXCEPTIONS: set[tuple[str, str]] = set()


def _class_names(folders: list[Path]) -> set[str]:
    import ast

    return {
        node.name
        for folder in folders
        for path in folder.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ClassDef)
    }


def _above_core_pattern() -> re.Pattern[str]:
    """Dotted paths, app labels and URL namespaces of the upper apps, their URL prefixes, the
    provider keys (one folder each), the CamelCase class names they define (models, statuses,
    errors) less those core defines too (Meta, Migration, Command), and their vocabulary."""
    providers = [p.name for p in (ROOT / "integrations/providers").iterdir() if (p / "provider.py").exists()]
    classes = sorted(
        name
        for name in _class_names([ROOT / "integrations", ROOT / "assessments"])
        - _class_names([ROOT / "jobcannon/core"])
        if sum(c.isupper() for c in name) >= 2
    )
    packages = "|".join(re.escape(p) for p in UPPER_PACKAGES)
    return re.compile(
        rf"(?<![\w.])(?:{packages})(?=[.:]\w)[\w.:]*"
        rf"|^(?:{packages}|audit|workspaces)$"
        rf"|/(?:{'|'.join(UPPER_URL_SEGMENTS)})\b"
        rf"|(?i:\b(?:{'|'.join(providers)})\b)"
        rf"|\b(?:{'|'.join(classes)})\b"
        rf"|(?<!\w)(?=\w*_)\w*(?:{'|'.join(UPPER_WORDS)})\w*"
    )


def _strings_above_core(path: Path, pattern: re.Pattern[str]) -> list[str]:
    """`file:line: match in 'constant'` for each string constant in the module at `path` that
    names something above core, docstrings skipped."""
    import ast

    tree = ast.parse(path.read_text(), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
    return [
        f"{name}:{node.lineno}: {match.group()} in {node.value!r}"
        for node in sorted(
            (n for n in ast.walk(tree) if isinstance(n, ast.Constant)), key=lambda n: (n.lineno, n.col_offset)
        )
        if isinstance(node.value, str) and id(node) not in docstrings
        for match in pattern.finditer(node.value)
        if (name, match.group()) not in CORE_STRING_EXCEPTIONS
    ]


def test_the_core_string_check_sees_each_way_of_naming_an_upper_app(tmp_path):
    """The checker itself: each form is reported once, docstrings, comments and prose are not."""
    sample = (
        '"""Core module: integrations register their /webhooks/ paths here."""\n'
        "# a comment about WebhookEvent and /partners/ is fine\n"
        "TASK = 'integrations.tasks.webhook_event_process_task'\n"
        "LABEL = 'assessments'\n"
        "def f(request, error):\n"
        '    """Reads WebhookEvent.status (described, not named)."""\n'
        "    if request.path.startswith(('/partners/', '/api/')):\n"
        "        return 'ATSAmbiguousError' == error\n"
        "    HELP = 'Retry schedules (webhooks, write-backs) not yet run.'\n"
        "    return {'provider': 'SmartRecruiters', 'name': 'jobcannon_writeback_outcomes'}\n"
    )
    module = tmp_path / "sample.py"
    module.write_text(sample)
    found = _strings_above_core(module, _above_core_pattern())
    assert [line.split(":", 1)[1].split(" in ")[0] for line in found] == [
        "3: integrations.tasks.webhook_event_process_task",
        "4: assessments",
        "7: /partners",
        "8: ATSAmbiguousError",
        "10: SmartRecruiters",
        "10: jobcannon_writeback_outcomes",
    ], found


def test_core_strings_name_no_app_above_core():
    """jobcannon.core holds no dotted path, URL prefix, provider key, class name or vocabulary
    of integrations, assessments, audit or workspaces: those apps register what core needs."""
    pattern = _above_core_pattern()
    found = [
        entry
        for path in sorted((ROOT / "jobcannon/core").rglob("*.py"))
        for entry in _strings_above_core(path, pattern)
    ]
    assert found == []


# -- dotted-path strings are imports too (issue 22) --------------------------------------------
# django-q2 runs a task by the dotted path it was queued with, import_string loads a class by
# its path: a module that names another by such a string depends on it at run time, though
# grimp sees no import. Until issue 22 services named integrations.tasks (which imports them),
# integrations.sync.refresh named integrations.sync.tasks, jobcannon.audit.retention named
# jobcannon.audit.tasks: cycles every contract called kept. Here each such string becomes an
# edge of the import graph, and every contract of pyproject.toml is checked on that graph.

DOTTED_PATH = re.compile(r"^(jobcannon|integrations|assessments)\.[\w.]+$")
ROOT_PACKAGES = ("jobcannon", "integrations", "assessments")
# Django's configuration names what Django loads (INSTALLED_APPS, MIDDLEWARE, ATS_PROVIDERS, the
# simulators' plug-in app in the dev and test settings, WSGI_APPLICATION): it sits outside the
# layers, as jobcannon/urls.py does, and its strings are not a module's dependencies.
CONFIGURATION = "jobcannon.settings"
# A string edge still to remove, with why; the test fails when one no longer exists.
# Dotted-path strings allowed to point upwards (none today: SmartRecruiters' subscription retry,
# once the one exception, is scheduled through the generic services.queue.provider_step_retry_task).
STRING_EDGE_EXCEPTIONS: set[tuple[str, str]] = set()


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _string_edges(root: Path, modules: set[str]) -> list[tuple[str, str, int, str]]:
    """(module, module it names, line, string) for each string constant in the code under `root`
    that is a dotted path into a module of ours other than itself. A path resolves to the longest
    module it starts with ("integrations.tasks.webhook_event_process_task" names
    integrations.tasks); a root package alone does not count ("integrations.Integration" is an
    app label and a model, as in a ForeignKey's `to`, not a module path)."""
    import ast

    edges = []
    for package in ROOT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            importer = _module_of(path, root)
            if importer == CONFIGURATION or importer.startswith(CONFIGURATION + "."):
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                    continue
                if not DOTTED_PATH.match(node.value):
                    continue
                parts = node.value.split(".")
                named = next(
                    (".".join(parts[:n]) for n in range(len(parts), 1, -1) if ".".join(parts[:n]) in modules),
                    None,
                )
                if named and importer != named and not importer.startswith(named + "."):
                    edges.append((importer, named, node.lineno, node.value))
    return edges


def _contracts_kept_with_string_edges(root: Path) -> dict[str, list[str]]:
    """Every contract of pyproject.toml checked on the import graph of the code under `root` plus
    its dotted-path strings: {contract id: the string edges in its broken chains} for each one
    broken (a broken contract whose chains hold no string edge is lint-imports' to report)."""
    import grimp

    from tests.import_contracts import PluginContract

    sys.path.insert(0, str(root))
    try:
        graph = grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(root))
    edges = [e for e in _string_edges(root, set(graph.modules)) if e[:2] not in STRING_EDGE_EXCEPTIONS]
    named = {
        (importer, imported): f"{importer}:{line} names {value!r}"
        for importer, imported, line, value in edges
    }
    for importer, imported, line, value in edges:
        graph.add_import(
            importer=importer, imported=imported, line_number=line, line_contents=f"string {value!r}"
        )
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    broken = {}
    for options in config["contracts"]:
        if options["type"] == "plugins":
            contract = PluginContract(
                name=options["name"],
                session_options={"root_packages": config["root_packages"]},
                contract_options={"plugin_names": options["plugin_names"]},
            )
        else:
            contract = _pyproject_contract(options["id"])
        check = contract.check(graph, verbose=False)
        if not check.kept:
            text = repr(check.metadata)
            broken[options["id"]] = sorted(
                why
                for (importer, imported), why in named.items()
                if f"'{importer}'" in text and f"'{imported}'" in text
            )
    return broken


def test_the_string_edges_found_include_what_a_task_queue_or_loader_is_handed(tmp_path):
    """The checker itself: a task's dotted path names its module, an app label and a model do
    not, nor does a module naming itself or its own package."""
    package = tmp_path / "integrations"
    (package / "services").mkdir(parents=True)
    for name in ("__init__.py", "services/__init__.py", "tasks.py"):
        (package / name).write_text("")
    (package / "services" / "webhooks.py").write_text(
        "TASK = 'integrations.tasks.webhook_event_process_task'\n"
        "MODEL = 'integrations.Integration'\n"
        "SELF = 'integrations.services.webhooks.webhook_event_process_task'\n"
        "PACKAGE = 'integrations.services'\n"
        "PROSE = 'see integrations.tasks for the queue'\n"
    )
    modules = {
        "integrations",
        "integrations.services",
        "integrations.services.webhooks",
        "integrations.tasks",
    }
    assert _string_edges(tmp_path, modules) == [
        (
            "integrations.services.webhooks",
            "integrations.tasks",
            1,
            "integrations.tasks.webhook_event_process_task",
        )
    ]


def test_every_contract_is_kept_with_dotted_path_strings_counted_as_imports():
    """No cycle through a string (a service naming the tasks module that imports it), core names
    nothing above core, a provider's modules below provider.py name neither it nor its queue
    entry points: with every dotted-path string of production code an import, every contract of
    pyproject.toml is still kept."""
    assert _contracts_kept_with_string_edges(ROOT) == {}
