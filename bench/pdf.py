"""Benchmark: invoice PDFs, as ``delivery.pdf.pdf_render`` draws them (its worker process kept warm).

Run from the checkout:  .venv/bin/python bench/pdf.py [--seconds S] [--profile]

Rows: a one-page invoice the platform builds (its own design, two lines), per second on one process
(the caller and its worker take turns: one core), beside the goal; GİB's samples with GİB's design and
with their own; a 500-line invoice, its time and the peak memory of drawing it, beside the goal.
``--profile`` splits one PDF of the one-page invoice into its steps, drawn in this process.
GİB's package is installed into a temporary folder first (settings.GIB_PACKAGE_SOURCE).
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
GOAL_PER_SECOND = 20  # one-page invoices per second on one core
GOAL_BIG_SECONDS = 3.0  # a 500-line invoice


def setup_django(packages_root: str) -> None:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrator.settings")
    os.environ["GIB_PACKAGES_ROOT"] = packages_root
    import django

    django.setup()


def built(lines: int = 0) -> bytes:
    """The e-Arşiv invoice of the tests' payloads (tests/invoice_payloads.py), with *lines* lines if given."""
    import datetime

    from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
    from tests.invoice_payloads import CASES
    from ubl import build, totals
    from ubl.document import Address, Party

    data = copy.deepcopy(CASES["earsiv_satis"])
    data["issue_date"] = datetime.date(2026, 11, 20).isoformat()
    if lines:
        data["lines"] = [dict(data["lines"][n % 2], name=f"{data['lines'][n % 2]['name']} {n + 1}") for n in range(lines)]
    serializer = InvoicePayloadSerializer(data=data)
    assert serializer.is_valid(), serializer.errors
    supplier = Party("1234567890", name="A Tekstil A.Ş.", tax_office="Kadıköy", address=Address(district="Kadıköy", city="İstanbul"))
    document = payload_to_invoice(serializer.validated_data, supplier=supplier)
    document.id, document.uuid = "EAA2026000000042", "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
    return build.to_bytes(build.build_invoice(build.with_amount_in_words(totals.compute(document))))


def sample(name: str) -> bytes:
    from django.conf import settings

    return next(Path(settings.GIB_PACKAGE_SOURCE).glob(f"samples/invoices/*/{name}")).read_bytes()


def cpu() -> float:
    """CPU seconds of this process and of its children that ended (a worker's, once it has left)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def worker_cpu() -> float:
    """CPU seconds of the running PDF worker so far, from /proc."""
    from delivery.rendering import worker

    if worker._current is None:
        return 0.0
    with open(f"/proc/{worker._current.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rate(document: bytes, seconds: float) -> tuple[float, float, float]:
    """PDFs per second, median ms of one, and CPU ms per PDF (caller and worker together)."""
    from delivery.pdf import pdf_render

    pdf_render(document)  # warm: the worker started, the design compiled
    times: list[float] = []
    started_cpu, started_worker = cpu(), worker_cpu()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        pdf_render(document)
        times.append(time.perf_counter() - start)
    used = cpu() - started_cpu + worker_cpu() - started_worker
    return len(times) / sum(times), statistics.median(times) * 1000, used / len(times) * 1000


def big(document: bytes) -> tuple[float, str, float, int]:
    """Seconds and pages of *document* by pdf_render; the peak memory (MB) of drawing it in a fresh
    child, and how much of it the drawing grew."""
    from delivery.pdf import pdf_render
    from delivery.rendering import layout
    from delivery.rendering.worker import draw_here

    start = time.perf_counter()
    pdf = pdf_render(document)
    seconds = time.perf_counter() - start
    pages = _pages(pdf)
    layout.warm()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        with open("/proc/self/statm") as statm:
            resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        draw_here(document, gib_design=None)
        os.write(write, str(resident).encode())
        os._exit(0)
    os.close(write)
    resident = int(os.read(read, 64) or b"0")
    os.close(read)
    _, _status, usage = os.wait4(pid, 0)
    peak = usage.ru_maxrss * 1024
    return seconds, pages, peak / 2**20, (peak - resident) // 2**20


def _pages(pdf: bytes) -> str:
    """The page count poppler's pdfinfo reads (weasyprint packs its page objects into compressed streams)."""
    if shutil.which("pdfinfo") is None:
        return "?"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def profile() -> None:
    """One PDF of the one-page invoice, step by step, in this process (median of 20)."""
    from delivery import karekod
    from delivery.rendering import layout, page
    from schematron.parsing import parse_untrusted

    document = built()
    layout.warm()
    steps: dict[str, list[float]] = {}

    def timed(name, function):
        start = time.perf_counter()
        result = function()
        steps.setdefault(name, []).append(time.perf_counter() - start)
        return result

    for _ in range(21):
        root = timed("parse the invoice", lambda: parse_untrusted(document).tree.getroot())
        facts = timed("karekod facts", lambda: karekod.karekod_of(root))
        timed("karekod image (segno, Pillow)", lambda: karekod.karekod_image(facts))
        drawn = timed("page: XSLT, karekod, phrases", lambda: page.page_of(document, gib_design=None))
        timed("layout and PDF (weasyprint)", lambda: layout.pdf_of(drawn))
    print("\nOne one-page PDF, step by step (in this process, collections on, median of 20):\n")
    for name, values in steps.items():
        print(f"  {name:<32} {statistics.median(values[1:]) * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per rate row (default 5)")
    parser.add_argument("--profile", action="store_true", help="also split one PDF into its steps")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as packages_root:
        setup_django(packages_root)
        import logging

        logging.disable(logging.WARNING)
        from django.conf import settings

        from schematron.package import package_install

        package_install(source=Path(settings.GIB_PACKAGE_SOURCE))
        report(args.seconds)
        if args.profile:
            profile()


def report(seconds: float) -> None:
    cases = {
        "one page, the platform's design": built(),
        "TemelFaturaOrnegi, GİB's general.xslt": sample("TemelFaturaOrnegi.xml"),
        "TicariFaturaOrnegi, its own design": sample("TicariFaturaOrnegi.xml"),
    }
    print(f"pdf_render, one process (caller and worker take turns), {seconds:g} s per row, load average {os.getloadavg()[0]:.1f}\n")
    print(f"| {'invoice':<40} | {'PDFs/s':>7} | {'median ms':>9} | {'CPU ms/PDF':>10} | {'goal':>10} |")
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 11}|{'-' * 12}|{'-' * 12}|")
    for number, (name, document) in enumerate(cases.items()):
        per_second, median, used = rate(document, seconds)
        goal = f"≥ {GOAL_PER_SECOND}/s" if number == 0 else ""
        print(f"| {name:<40} | {per_second:>7.1f} | {median:>9.1f} | {used:>10.1f} | {goal:>10} |")
    taken, pages, peak, grown = big(built(lines=500))
    print(f"\n| {'500-line invoice':<40} | {'seconds':>7} | {'pages':>9} | {'peak MB':>10} | {'goal':>10} |")
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 11}|{'-' * 12}|{'-' * 12}|")
    print(f"| {'the platform design':<40} | {taken:>7.2f} | {pages:>9} | {peak:>10.0f} | {'< ' + str(GOAL_BIG_SECONDS) + ' s':>10} |")
    print(f"\n(peak MB: the resident memory of a process drawing it, {grown} MB of it grown while drawing)")


if __name__ == "__main__":
    main()
