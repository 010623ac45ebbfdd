"""Benchmark: an e-Arşiv report of 10,000 invoices built, sealed and validated, its time and peak memory.

Run from the checkout:  .venv/bin/python bench/earsiv_report.py [--invoices 10000]

The invoices are GİB's e-Arşiv sample shape as the platform builds it (two lines, KDV), sealed once
with a test seal (XAdES-BES) and renumbered for each of the report's invoices: what the report
reads of each (its parse, its MD5, its SigningTime) costs the same as for distinct ones. Each is
read when its turn comes, as the archive hands them over. The report is then sealed as the platform
seals it (enveloped XAdES-T, the timestamp from a local TSA over real HTTP) and validated against
GİB's EArsiv.xsd and e-Arşiv schematron (Saxon). Time is wall-clock per step; peak memory is the
process's peak resident size (Saxon's and libxml2's memory included), beside what the process held
before the report began (Python, Django, lxml, Saxon with the compiled schema and rules). Everything
is made in a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
GOAL_SECONDS, GOAL_MB = 10.0, 200.0


def setup_django(var_dir: str) -> None:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrator.settings")
    os.environ["VAR_DIR"] = var_dir
    os.environ["GIB_PACKAGES_ROOT"] = str(Path(var_dir) / "gib")
    import django

    django.setup()


def sealed_invoice(key) -> bytes:
    from decimal import Decimal

    from signing import xades
    from ubl import build, totals
    from ubl.document import Address, Invoice, Line, Party, Tax

    supplier = Party(identifier="1234567890", name="A Tekstil A.Ş.", tax_office="Kadıköy", address=Address(district="Kadıköy", city="İstanbul"))
    customer = Party(identifier="10000000146", first_name="Ayşe", last_name="Yılmaz", address=Address(district="Kadıköy", city="İstanbul"))
    lines = [Line(name="Pamuklu kumaş", quantity=Decimal("12.5"), unit_code="MTR", unit_price=Decimal("40.10"), taxes=[Tax("0015", Decimal("20"))]),
             Line(name="Danışmanlık", quantity=Decimal("3"), unit_code="HUR", unit_price=Decimal("1500"), taxes=[Tax("0015", Decimal("20"))])]
    invoice = Invoice(profile="EARSIVFATURA", type_code="SATIS", issue_date=dt.date.today(), supplier=supplier, customer=customer, lines=lines,
                      id="EAA2026000000001", uuid="00000000-0000-4000-8000-000000000001", issue_time=dt.time(14, 5))
    xml = build.to_bytes(build.build_invoice(totals.compute(invoice)))
    return xades.sign(xml, key)


def invoices(template: bytes, count: int):
    from earsiv.building import IssuedInvoice

    for n in range(count):
        number, ettn = f"EAA2026{n + 1:09d}", str(uuid.UUID(int=n + 1, version=4)).upper()
        signed = template.replace(b"EAA2026000000001", number.encode()).replace(b"00000000-0000-4000-8000-000000000001", ettn.encode())
        yield IssuedInvoice(number=number, uuid=ettn, signed=signed, url=f"https://portal.example.com.tr/e/{n}")


def measure(count: int) -> list[tuple[str, float]]:
    from django.conf import settings

    from earsiv.building import Header, build_report
    from schematron.earsiv import validate_report
    from schematron.package import package_install
    from signing import pki, timestamp, xades
    from signing.keys import Pkcs12Key
    from signing.tsa_server import TsaApplication
    from tests.tsa_fixtures import serving

    package_install(source=Path(settings.GIB_PACKAGE_SOURCE))
    root = pki.root_ca("Bench Kök")
    seal = pki.seal(root, identifier="1234567890", title="A Tekstil A.Ş.")
    key = Pkcs12Key(pki.to_pkcs12(seal, b"bench", chain=[root.certificate]), b"bench")
    template = sealed_invoice(key)
    header = Header(taxpayer="1234567890", preparer=settings.INTEGRATOR_VKN, number=str(uuid.uuid4()).upper(), day=dt.date.today(), part=1)
    rows = []
    with serving(TsaApplication(signer=pki.tsa(root), policy="2.999.3161.1")) as url:
        stamper = lambda digest: timestamp.timestamp(digest, url=url, roots=[root.certificate]).der  # noqa: E731
        # A report of one invoice first: the schema and GİB's rules compiled and run once, as a worker has them.
        validate_report(xades.sign_report(build_report(header, invoices(template, 1), [], []), key, signing_time=dt.datetime.now(dt.UTC), timestamper=stamper))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        xml = build_report(header, invoices(template, count), [], [])
        built = time.perf_counter()
        signed = xades.sign_report(xml, key, signing_time=dt.datetime.now(dt.UTC), timestamper=stamper)
        del xml
        sealed = time.perf_counter()
        issues = validate_report(signed)
        validated = time.perf_counter()
    if issues:
        raise SystemExit(f"the report does not validate: {issues[:3]}")
    rows += [("build (read, parse, write)", built - started), ("seal (XAdES-T)", sealed - built), ("validate (XSD, schematron)", validated - sealed)]
    rows.append(("total", validated - started))
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return rows, len(signed) / 2**20, before, peak_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        rows, size_mb, before, peak_rss = measure(args.invoices)
    print(f"e-Arşiv report of {args.invoices:,} invoices ({size_mb:.1f} MB signed)\n")
    print(f"| {'step':<28} | {'seconds':>8} | {'goal':>8} |")
    print(f"|{'-' * 30}|{'-' * 10}:|{'-' * 10}:|")
    for name, seconds in rows:
        print(f"| {name:<28} | {seconds:>8.2f} | {('< %.0f' % GOAL_SECONDS) if name == 'total' else '':>8} |")
    print(f"| {'peak memory, process (MB)':<28} | {peak_rss:>8.0f} | {'< %.0f' % GOAL_MB:>8} |")
    print(f"| {'  of which before the report':<28} | {before:>8.0f} | {'':>8} |")


if __name__ == "__main__":
    main()
