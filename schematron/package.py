"""Installed GİB packages: GIB_PACKAGES_ROOT/<version>/ plus a small JSON registry.

Layout of an installed version (independent of how GİB's zip or folder was laid out)::

    <version>/xsd/{common,maindoc,Envelope,HRXML}/...
    <version>/schematron/*.xml, History.txt
    <version>/xslt/...                       (only when the source has it)
    <version>/wsdl/EFatura_Test.wsdl, ...     (only when the source has it)
    <version>/earsiv/EArsiv.xsd, earsiv_schematron.xsl, EArsivWs.wsdl, ...   (GİB's e-Arşiv report package, likewise)
    <version>/compiled/<compiler>/gib.xsl, gib.json   (our compiler's output, made at install)

``version`` is the last date in schematron/History.txt plus a short hash of the installed files, so
re-installing the same package is idempotent and a changed package never overwrites an old one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from schematron import xsd
from schematron.compiler import COMPILER_VERSION, AssertInfo, Compiled, compile_schema

REGISTRY = "registry.json"
MAIN_SCHEMATRON = "UBL-TR_Main_Schematron.xml"
NOT_INSTALLED = "no GİB package installed: run manage.py gib_package install PATH"

# Each installed folder is found in the source by a file it must contain.
FOLDER_MARKERS = {
    "xsd/common": "UBL-CommonAggregateComponents-2.1.xsd",
    "xsd/maindoc": "UBL-Invoice-2.1.xsd",
    "xsd/Envelope": "PackageProxy_1_2.xsd",
    "xsd/HRXML": "UserAccount.xsd",
    "schematron": MAIN_SCHEMATRON,
}
OPTIONAL_MARKERS = {"xslt": "general.xslt", "wsdl": "EFatura_Test.wsdl", "earsiv": "EArsiv.xsd"}
SCHEMATRON_FILES = (MAIN_SCHEMATRON, "UBL-TR_Common_Schematron.xml", "UBL-TR_Codelist.xml", "History.txt")
logger = logging.getLogger(__name__)


class PackageError(Exception):
    """The source is not a usable GİB package, or the requested version is unknown."""


class PackageNotInstalled(PackageError):
    def __init__(self) -> None:
        super().__init__(NOT_INSTALLED)


@dataclass(frozen=True)
class InstalledPackage:
    version: str
    path: Path

    @property
    def xsd_root(self) -> Path:
        return self.path / "xsd"

    @property
    def schematron(self) -> Path:
        return self.path / "schematron" / MAIN_SCHEMATRON

    @property
    def earsiv_dir(self) -> Path:
        """GİB's e-Arşiv report package (EArsiv.xsd, its schematron and EArsivWs.wsdl), when installed."""
        return self.path / "earsiv"

    @property
    def compiled_dir(self) -> Path:
        # One folder per compiler version: what another compiler made is never read by this one.
        return self.path / "compiled" / COMPILER_VERSION

    @property
    def compiled_xslt(self) -> Path:
        return self.compiled_dir / "gib.xsl"

    @property
    def compiled_asserts(self) -> Path:
        return self.compiled_dir / "gib.json"


# --- registry -----------------------------------------------------------------------------------


def packages_root() -> Path:
    return Path(settings.GIB_PACKAGES_ROOT)


def read_registry() -> dict:
    path = packages_root() / REGISTRY
    if not path.is_file():
        return {"active": None, "versions": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _write_registry(registry: dict) -> None:
    root = packages_root()
    root.mkdir(parents=True, exist_ok=True)
    # Write-then-rename: a reader never sees half a registry.
    fd, temporary = tempfile.mkstemp(dir=root, suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(registry, handle, indent=2, ensure_ascii=False)
    os.replace(temporary, root / REGISTRY)


def active_package() -> InstalledPackage:
    """The package validation uses; raises PackageNotInstalled when there is none.

    Called for every document, so the registry is read again only when its file changes (every
    write replaces it, giving it a new modification time).
    """
    registry = packages_root() / REGISTRY
    try:
        stamp = registry.stat().st_mtime_ns
    except FileNotFoundError:
        raise PackageNotInstalled() from None
    return _active_in(registry, stamp)


@lru_cache(maxsize=8)
def _active_in(registry: Path, stamp: int) -> InstalledPackage:
    version = json.loads(registry.read_text(encoding="utf-8")).get("active")
    package = InstalledPackage(version=version, path=registry.parent / version) if version else None
    if package is None or not package.schematron.is_file():
        raise PackageNotInstalled()
    return package


def package_activate(*, version: str) -> InstalledPackage:
    registry = read_registry()
    if version not in {entry["version"] for entry in registry["versions"]}:
        raise PackageError(f"GİB package version {version!r} is not installed (see manage.py gib_package list)")
    registry["active"] = version
    _write_registry(registry)
    return active_package()


# --- locating files in a source folder ----------------------------------------------------------


def _find(source: Path, name: str) -> Path | None:
    matches = sorted(source.rglob(name), key=lambda p: (len(p.parts), str(p)))
    return matches[0] if matches else None


def _locate_folders(source: Path) -> dict[str, Path]:
    found, missing = {}, []
    for target, marker in FOLDER_MARKERS.items():
        hit = _find(source, marker)
        if hit is None:
            missing.append(marker)
        else:
            found[target] = hit.parent
    if missing:
        raise PackageError(f"not a GİB package: {source} lacks {', '.join(missing)}")
    for target, marker in OPTIONAL_MARKERS.items():
        if hit := _find(source, marker):
            found[target] = hit.parent
    return found


def _check_schematron(folder: Path) -> None:
    missing = [name for name in SCHEMATRON_FILES if not (folder / name).is_file()]
    if missing:
        raise PackageError(f"GİB schematron folder {folder} lacks {', '.join(missing)}")


def history_date(history: Path) -> str:
    """The last yyyymmdd entry of GİB's History.txt (Windows-1254 text)."""
    dates = re.findall(r"^\s*(20\d{6})\s*$", history.read_bytes().decode("cp1254"), flags=re.MULTILINE)
    if not dates:
        raise PackageError(f"{history} names no release date")
    return dates[-1]


# --- installing ---------------------------------------------------------------------------------


def _copy_folders(folders: dict[str, Path], target: Path) -> None:
    for relative, source in folders.items():
        if relative == "schematron":
            (target / relative).mkdir(parents=True)
            for item in source.iterdir():
                if item.is_file():
                    shutil.copy2(item, target / relative / item.name)
        else:
            shutil.copytree(source, target / relative)


def _content_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def _store_compiled(package: InstalledPackage, compiled: Compiled) -> None:
    """Write the compiler's output into compiled/<compiler version>/, all or nothing.

    The files are written into a fresh folder that is then renamed, so a reader never sees half of
    them; when another process got there first, its (identical) folder stays.
    """
    package.compiled_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=package.compiled_dir.parent, prefix=".staging-"))
    try:
        (staging / "gib.xsl").write_bytes(compiled.xslt)
        (staging / "gib.json").write_text(json.dumps(compiled.asserts_as_dicts(), ensure_ascii=False), encoding="utf-8")
        os.rename(staging, package.compiled_dir)
    except OSError:
        if not package.compiled_xslt.is_file():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def compiled_rules(package: InstalledPackage) -> tuple[str, list[AssertInfo]]:
    """The package's compiled stylesheet and assert table, as this version of the compiler makes them.

    A package installed by an earlier version of the platform holds only an earlier compiler's
    output, which this code cannot read: it is compiled again from the package's schematron, once,
    and kept beside the old output (or, on a read-only disk, kept in this process only).
    """
    if package.compiled_xslt.is_file():
        table = json.loads(package.compiled_asserts.read_text(encoding="utf-8"))
        return package.compiled_xslt.read_text(encoding="utf-8"), [AssertInfo(**row) for row in table]
    compiled = compile_schema(package.schematron)
    try:
        _store_compiled(package, compiled)
    except OSError as exc:
        logger.warning("GİB package %s: cannot store its recompiled rules (%s); using them in memory", package.version, exc)
    return compiled.xslt.decode("utf-8"), compiled.asserts


def _stage(source: Path, staging: Path) -> str:
    """Copy and compile the package into ``staging``; return its version."""
    folders = _locate_folders(source)
    _check_schematron(folders["schematron"])
    _copy_folders(folders, staging)
    xsd.point_envelope_imports(staging / "xsd")
    version = f"{history_date(staging / 'schematron' / 'History.txt')}-{_content_hash(staging)}"
    package = InstalledPackage(version=version, path=staging)
    _store_compiled(package, compile_schema(package.schematron))
    return version


def _from_folder(source: Path) -> InstalledPackage:
    root = packages_root()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    try:
        version = _stage(source, staging / "package")
        if not (root / version).exists():
            os.replace(staging / "package", root / version)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InstalledPackage(version=version, path=root / version)


def _register(package: InstalledPackage, source: Path) -> None:
    registry = read_registry()
    registry["versions"] = [entry for entry in registry["versions"] if entry["version"] != package.version]
    registry["versions"].append(
        {"version": package.version, "source": str(source), "installed_at": datetime.now(UTC).isoformat()}
    )
    registry["active"] = package.version
    _write_registry(registry)


def package_install(*, source: Path) -> InstalledPackage:
    """Install GİB's package from a folder or GİB's zip, compile its schematron, make it active."""
    if not source.exists():
        raise PackageError(f"{source} does not exist")
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise PackageError(f"{source} is neither a folder nor a zip file")
        with tempfile.TemporaryDirectory() as unpacked:
            with zipfile.ZipFile(source) as archive:
                archive.extractall(unpacked)  # extractall drops absolute and '..' member paths
            package = _from_folder(Path(unpacked))
    else:
        package = _from_folder(source)
    _register(package, source)
    return package


def packages_list() -> list[dict]:
    registry = read_registry()
    return [{**entry, "active": entry["version"] == registry["active"]} for entry in registry["versions"]]
