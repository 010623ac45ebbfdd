"""The local PKI of the embedded default and the demo: one root, and the local TSA's certificate under it.

It is made on first use under ``settings.VAR_DIR / "pki"`` and reused afterwards, by every process:
``root.pem`` holds the root's certificate then its key, ``tsa.pem`` the TSA's.  The keys are kept
unencrypted (files readable by their owner only): this is the local test world, trusted by nothing
but this platform's own default settings; production trusts Kamu SM's roots instead.

Two processes may start at once (web, worker and the local TSA under ``make run``).  Each file is
written whole to a temporary file and published with ``os.link``, which refuses to replace: the
first writer wins and everyone, the losers included, reads back what was published.  The root is
published before the TSA certificate is made, so a TSA certificate is always issued by the root
that is on disk.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings

from signing import pki

ROOT_NAME = "Yerel Test Kök Sertifikası"


@dataclass(frozen=True)
class DevPki:
    root: pki.Issued
    tsa: pki.Issued


def dev_pki(directory: Path | None = None) -> DevPki:
    directory = Path(directory or settings.VAR_DIR / "pki")
    root_path, tsa_path = directory / "root.pem", directory / "tsa.pem"
    if not (root_path.exists() and tsa_path.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        root = _load_or_create(root_path, lambda: pki.root_ca(ROOT_NAME))
        _load_or_create(tsa_path, lambda: pki.tsa(root))
    # Read once per process (each seal verification and timestamp asks for the roots), again only
    # when a file is replaced.
    return _loaded(directory, root_path.stat().st_mtime_ns, tsa_path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _loaded(directory: Path, root_stamp: int, tsa_stamp: int) -> DevPki:
    root, tsa = _read(directory / "root.pem"), _read(directory / "tsa.pem")
    try:
        tsa.certificate.verify_directly_issued_by(root.certificate)
    except Exception as exc:  # noqa: BLE001  (any failure here means the same thing)
        raise RuntimeError(f"{directory}: tsa.pem was not issued by root.pem; remove both to make a new local PKI.") from exc
    return DevPki(root=root, tsa=tsa)


def _load_or_create(path: Path, make) -> pki.Issued:
    if not path.exists():
        _publish(path, make())
    return _read(path)


def _publish(path: Path, issued: pki.Issued) -> None:
    """Write *issued* to *path* unless someone else already did; never leave a partial file at *path*."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pki.pem(issued.certificate) + pki.key_pem(issued.key))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first; its files are the ones everybody uses
    finally:
        os.unlink(temporary)


def _read(path: Path) -> pki.Issued:
    data = path.read_bytes()
    try:
        certificate = x509.load_pem_x509_certificate(data)
        key = load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise RuntimeError(f"{path} does not hold a PEM certificate and its unencrypted key.") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.public_key() != certificate.public_key():
        raise RuntimeError(f"{path}: the key does not belong to the certificate.")
    return pki.Issued(key, certificate)
