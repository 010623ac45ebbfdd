"""The floors of the house: no app imports one above it.

Read from the import statements of the code (those inside functions too), not from a running
process. From the ground up: what every app may use (``integrator``'s errors, API and settings
helpers, commands), the rules engine, taxpayers, seals, the archive, invoices, envelopes and the
exchange with GİB, the local GİB hub; on the roof, ``integrator``'s URLs, Celery app and settings,
which see every app.

``UPWARD`` names the imports that still run upward, each by module: the test fails on a new one, and
on one that is gone but still listed, so the list only shrinks.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["integrator", "schematron", "tenants", "signing", "archive", "invoices", "envelopes", "gibhub"]
ROOF = {"integrator.urls", "integrator.celery", "integrator.settings", "integrator.wsgi", "integrator.asgi", "integrator.health"}

UPWARD = {
    ("integrator", "integrator.celery"),  # the package loads the Celery app, as Celery's guide for Django does
    ("integrator.api", "archive.models"),  # the audit of API calls
    ("invoices.apis", "envelopes.answers"),
    ("invoices.services", "envelopes.routing"),
    ("invoices.tasks", "envelopes.tasks"),
    ("invoices.templatetags.invoice_tags", "envelopes"),
    ("invoices.views", "envelopes.answers"),
    ("schematron.facts", "envelopes.userlist"),
    ("signing.services", "invoices.pipeline"),
    ("signing.xades", "invoices.ubl.names"),
    ("tenants.demo", "envelopes.userlist"),
    ("tenants.demo", "gibhub.registry"),
    ("tenants.demo", "gibhub.userlist"),
    ("tenants.demo", "signing.services"),
    ("tenants.urls", "invoices"),
    ("tenants.views", "invoices.selectors"),
    ("tenants.views", "signing.selectors"),
}


def _module(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(root: Path) -> set[tuple[str, str]]:
    found = set()
    for app in FLOORS:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {(_module(path, root), alias.name) for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add((_module(path, root), node.module))
    return found


def _floor(module: str) -> int | None:
    if module in ROOF:
        return len(FLOORS)
    top = module.split(".")[0]
    return FLOORS.index(top) if top in FLOORS else None


def _upward(root: Path = ROOT) -> set[tuple[str, str]]:
    return {(importer, imported) for importer, imported in _imports(root)
            if _floor(importer) is not None and _floor(imported) is not None and _floor(imported) > _floor(importer)}


def test_no_app_imports_one_above_it_but_those_listed():
    assert (sorted(_upward() - UPWARD), sorted(UPWARD - _upward())) == ([], [])


def test_an_upward_import_is_seen_wherever_it_stands(tmp_path):
    (tmp_path / "schematron").mkdir()
    (tmp_path / "schematron" / "rules.py").write_text("def f():\n    from gibhub import models\n", encoding="utf-8")
    (tmp_path / "gibhub").mkdir()
    (tmp_path / "gibhub" / "views.py").write_text("import schematron.rules\nfrom integrator.urls import urlpatterns\n", encoding="utf-8")
    assert _upward(tmp_path) == {("schematron.rules", "gibhub"), ("gibhub.views", "integrator.urls")}  # the roof is above all
