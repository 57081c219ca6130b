"""A custom import-linter contract type (its documented extension point, registered under
`contract_types` in pyproject.toml): plug-in modules recognised by their name.

The built-in ATS simulators are dev/test plug-ins spread over the provider folders
(`simulator.py`, `simulator_state.py`, `sync_simulator.py`, ...). A `forbidden` contract would
have to list each of them (and every new one), and it skips sources that contain a forbidden
module, so it cannot say "no module outside the plug-ins imports one". This contract can:
a module whose name, or the name of a package it is in, matches one of `plugin_names` (fnmatch
patterns) is a plug-in (so every module of the plug-in app `integrations.simulator_plugins` is
one); plug-ins may import each other and anything else, and no other module may import a plug-in.
Checking direct imports is enough: an indirect chain starts with a direct import of a plug-in
by a non-plug-in, or goes through a plug-in that something outside imported directly."""

from __future__ import annotations

import fnmatch

from grimp import ImportGraph
from importlinter.application import contract_utils, output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class PluginContract(Contract):
    type_name = "plugins"

    plugin_names = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    broken_contract_guidance = fields.TextField(required=False)

    def _is_plugin(self, module: str) -> bool:
        return any(
            fnmatch.fnmatchcase(name, pattern)
            for name in module.split(".")
            for pattern in self.plugin_names  # type: ignore[attr-defined]
        )

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=contract_utils.AlertLevel.ERROR,
        )
        plugins = {m for m in graph.modules if self._is_plugin(m)}
        violations = []
        for importer in sorted(graph.modules - plugins):
            for imported in sorted(graph.find_modules_directly_imported_by(importer) & plugins):
                lines = sorted(
                    d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)
                )
                violations.append((importer, imported, lines))
        output.verbose_print(verbose, f"{len(plugins)} plug-in modules, {len(violations)} imports of them.")
        return ContractCheck(
            kept=not violations,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"violations": violations},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["violations"]:
            where = ", ".join(f"l.{n}" for n in lines)
            output.print_error(
                f"{importer} is not allowed to import the plug-in {imported} ({where})", bold=False
            )
        output.new_line()
        contract_utils.render_broken_contract_guidance(self.broken_contract_guidance)  # type: ignore[arg-type]
