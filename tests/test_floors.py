"""The floors of the house: no app imports one above it.

Read from the import statements of the code (those inside functions too), not from a running
process. From the ground up: what every app may use (``integrator``'s errors, API and settings
helpers, commands), the rules engine, UBL-TR as data and XML, GİB's registered users and routing, taxpayers, seals, the archive, the reports' day figures (kept by the services that change invoices), invoices, envelopes and the
exchange with GİB, the invoice a person reads (delivery), what is handed over (exports), e-Arşiv's reports, the pipeline that leads an invoice from step to step, the bulk uploads that issue through it, the invoice designs (drawn as the PDF is), logging in (lockout, two-factor), the local GİB hub, the
demo. Above them the doors: each app's pages, API views, URLs, admin, template tags and commands,
through which people and programs come in; they may use any app, and no app uses them. On the roof,
``integrator``'s URLs, Celery app, settings and middleware, which see every app.

``UPWARD`` names the imports that still run upward, each by module: the test fails on a new one, and
on one that is gone but still listed, so the list only shrinks.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["integrator", "schematron", "ubl", "directory", "tenants", "signing", "archive", "reports", "invoices", "envelopes", "delivery", "exports", "earsiv", "pipeline",
          "uploads", "designs", "accounts", "gibhub", "smsgateway", "demo"]
DOORS = {"views", "apis", "urls", "admin", "templatetags", "management"}  # a module of an app by these names
ROOF = {"integrator.urls", "integrator.celery", "integrator.settings", "integrator.wsgi", "integrator.asgi", "integrator.health",
        "integrator.middleware"}

UPWARD = {
    ("integrator", "integrator.celery"),  # the package loads the Celery app, as Celery's guide for Django does
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
        return len(FLOORS) + 1
    top, *inside = module.split(".")
    if top not in FLOORS:
        return None
    return len(FLOORS) if inside and inside[0] in DOORS else FLOORS.index(top)


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


def test_a_door_may_use_any_app_and_no_app_a_door(tmp_path):
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "views.py").write_text("from gibhub.registry import hub_register\n", encoding="utf-8")
    (tmp_path / "tenants" / "services.py").write_text("from invoices.views import invoice_list\n", encoding="utf-8")
    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices" / "models.py").write_text("from tenants.views import dashboard\n", encoding="utf-8")
    assert _upward(tmp_path) == {("tenants.services", "invoices.views"), ("invoices.models", "tenants.views")}


def test_the_ubl_builder_needs_no_django():
    # The parsers word their errors in the answer's language (Django's translation); the rest is plain.
    plain = {"ubl.document", "ubl.build", "ubl.totals", "ubl.words", "ubl.names"}
    used = {(importer, imported) for importer, imported in _imports(ROOT) if importer in plain}
    assert {imported.split(".")[0] for _importer, imported in used} <= {"ubl", "__future__", "base64", "dataclasses", "datetime",
                                                                         "decimal", "functools", "pathlib", "lxml", "typing", "re"}
