"""Benchmark: seals per second on one process, beside the raw RSA-2048 rate of the same key.

Run from the checkout:  .venv/bin/python bench/sign.py [--seconds S]

For GİB's TicariFaturaOrnegi.xml: XAdES-BES and XAdES-T (timestamps from the local TSA, served from
a thread of this process over real HTTP) with a PKCS#12 file key and with a key on a SoftHSM2
token; and each key's raw signing rate, the limit a seal cannot beat.  Everything is made in a
temporary folder (the test PKI, the token store) and removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def setup_django(var_dir: str) -> None:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrator.settings")
    os.environ["VAR_DIR"] = var_dir
    import django

    django.setup()


def sample() -> bytes:
    from django.conf import settings

    return (Path(settings.GIB_PACKAGE_SOURCE) / "samples/invoices/ubltr-1.2.1/TicariFaturaOrnegi.xml").read_bytes()


def rate(operation, seconds: float) -> tuple[float, float]:
    """Runs per second and the median milliseconds of one run, over about *seconds*."""
    operation()  # warm up: first-use caches, a first TLS-free connection
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return len(times) / sum(times), statistics.median(times) * 1000


def keys(folder: Path):
    from signing import pki
    from signing.keys import Pkcs12Key
    from tests.softhsm import token_store

    root = pki.root_ca("Bench Kök")
    seal = pki.seal(root, identifier="1234567890", title="A Tekstil A.Ş.")
    file_key = Pkcs12Key(pki.to_pkcs12(seal, b"bench", chain=[root.certificate]), b"bench")
    (folder / "softhsm").mkdir()
    hsm = token_store(folder / "softhsm", root)
    return root, {"PKCS#12 file": file_key, "SoftHSM2 token": hsm.key()}


def measure(seconds: float) -> list[tuple[str, str, float, float]]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from signing import pki, timestamp, xades
    from signing.tsa_server import TsaApplication
    from tests.tsa_fixtures import serving

    document = sample()
    root, providers = keys(Path(os.environ["VAR_DIR"]))
    rows = []
    with serving(TsaApplication(signer=pki.tsa(root), policy="2.999.3161.1")) as url:
        stamper = lambda digest: timestamp.timestamp(digest, url=url, roots=[root.certificate]).der  # noqa: E731
        for name, key in providers.items():
            signed_info = b"<ds:SignedInfo>" + b"x" * 1200  # about the size of a canonical SignedInfo
            cases = {
                "raw RSA-2048 (the limit)": lambda: key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256()),
                "XAdES-BES": lambda: xades.sign(document, key),
                "XAdES-T (local TSA)": lambda: xades.sign(document, key, timestamper=stamper),
            }
            rows += [(name, case, *rate(operation, seconds)) for case, operation in cases.items()]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sign-") as var_dir:
        setup_django(var_dir)
        print(f"TicariFaturaOrnegi.xml ({len(sample()):,} bytes), one process, {args.seconds:g} s per row\n")
        print(f"| {'key':<15} | {'operation':<25} | {'per second':>10} | {'median ms':>9} |")
        print(f"|{'-' * 17}|{'-' * 27}|{'-' * 12}|{'-' * 11}|")
        for key, operation, per_second, median in measure(args.seconds):
            print(f"| {key:<15} | {operation:<25} | {per_second:>10.0f} | {median:>9.2f} |")


if __name__ == "__main__":
    main()
