"""Benchmark: validation per layer, ours against the ISO reference skeleton run by Saxon.

Run from the checkout:  .venv/bin/python bench/validate.py [--runs N]

It installs GİB's package (settings.GIB_PACKAGE_SOURCE) into a temporary GIB_PACKAGES_ROOT, then
times TicariFaturaOrnegi.xml and a ~300 KB invoice made by repeating that sample's InvoiceLines
(totals are NOT fixed, so the big one also exercises the platform's failure path).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def gib() -> Path:
    """GİB's package, where the settings look for it (call after setup_django)."""
    from django.conf import settings

    return Path(settings.GIB_PACKAGE_SOURCE)


def sample() -> Path:
    return gib() / "samples" / "invoices" / "ubltr-1.2.1" / "TicariFaturaOrnegi.xml"


def setup_django(packages_root: str) -> None:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrator.settings")
    os.environ["GIB_PACKAGES_ROOT"] = packages_root
    import django

    django.setup()


def big_invoice(target_bytes: int = 300_000) -> bytes:
    text = sample().read_bytes().decode("utf-8")
    start, end = text.index("<cac:InvoiceLine>"), text.rindex("</cac:InvoiceLine>") + len("</cac:InvoiceLine>")
    lines = text[start:end]
    copies = max(1, (target_bytes - len(text)) // len(lines) + 1)
    return (text[:end] + lines * copies + text[end:]).encode("utf-8")


def layer_timings(document: bytes) -> dict[str, float]:
    """One validation, split by layer (seconds)."""
    from datetime import date

    from schematron import engine, validation
    from schematron.package import active_package
    from schematron.parsing import parse_untrusted

    marks, package = [time.perf_counter()], active_package()
    parsed = parse_untrusted(document)
    marks.append(time.perf_counter())
    validation._schema_issues(parsed, package)
    marks.append(time.perf_counter())
    saxon_document = engine.parse(parsed.text)
    marks.append(time.perf_counter())
    validation._gib_issues(parsed, package, saxon_document, validation.detect_type(parsed.tree), date(2009, 1, 5))
    marks.append(time.perf_counter())
    validation._platform_issues(parsed, saxon_document, date(2009, 1, 5), None)
    marks.append(time.perf_counter())
    names = ("1 parse (lxml)", "2 xsd", "3a parse (saxon)", "3b gib schematron", "4 platform rules")
    return {name: marks[i + 1] - marks[i] for i, name in enumerate(names)}


def median_layers(document: bytes, runs: int) -> dict[str, float]:
    samples = [layer_timings(document) for _ in range(runs)]
    result = {name: statistics.median(s[name] for s in samples) for name in samples[0]}
    result["total (validate())"] = median_time(lambda: _validate(document), runs)
    return result


def _validate(document: bytes):
    from datetime import date

    from schematron.validation import validate

    return validate(document, today=date(2009, 1, 5))


def median_time(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def reference_runner():
    sys.path.insert(0, str(CHECKOUT))
    from schematron import engine
    from tests.schematron_reference import ReferenceSchematron

    return ReferenceSchematron(engine.processor(), gib() / "schematron" / "UBL-TR_Main_Schematron.xml")


def _worker(args: tuple[str, bytes, int, str]) -> float:
    packages_root, document, count, which = args
    setup_django(packages_root)
    if which == "ours":
        run = lambda: _validate(document)  # noqa: E731
    else:
        reference = reference_runner()
        run = lambda: reference.failed(document, doc_type="efatura")  # noqa: E731
    for _ in range(5):
        run()  # warm the caches / JIT before timing
    start = time.perf_counter()
    for _ in range(count):
        run()
    return time.perf_counter() - start


def throughput(packages_root: str, document: bytes, processes: int, count: int, which: str) -> float:
    """Documents per second over ``processes`` spawned workers (each with its own Saxon)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        elapsed = pool.map(_worker, [(packages_root, document, count, which)] * processes)
    return processes * count / max(elapsed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as packages_root:
        setup_django(packages_root)
        from schematron.package import package_install

        package_install(source=gib())
        report(packages_root, options.runs)


def report(packages_root: str, runs: int) -> None:
    reference = reference_runner()
    documents = {"TicariFaturaOrnegi.xml": sample().read_bytes(), "repeated lines": big_invoice()}
    for name, document in documents.items():
        print(f"\n== {name}: {len(document) / 1024:.0f} KB, median of {runs} runs")
        for layer, seconds in median_layers(document, runs).items():
            print(f"  {layer:<24} {seconds * 1000:8.3f} ms")
        reference_time = median_time(lambda: reference.failed(document, doc_type="efatura"), max(20, runs // 4))
        print(f"  {'reference (SVRL)':<24} {reference_time * 1000:8.3f} ms   (schematron only, incl. Saxon parse)")
        count = max(50, int(1.0 / max(reference_time, 1e-4)))
        for which in ("ours", "reference"):
            rates = [throughput(packages_root, document, p, count, which) for p in (1, 2)]
            print(f"  {which:<10} docs/s: 1 process {rates[0]:8.0f}   2 processes {rates[1]:8.0f}")


if __name__ == "__main__":
    main()
