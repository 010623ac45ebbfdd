"""Benchmark: PDFs per second on one process (warm), e-mails per second to a local SMTP server, and
a 500-line invoice's time and peak memory.

Run from the checkout:  .venv/bin/python bench/pdf.py [--seconds S]

The one-page invoice is a built e-Arşiv invoice with two lines (the platform's design); the 500-line
one the same with 500. Each PDF is drawn as the platform draws it (``delivery.paper.pdf_render``: a
child process with its time and memory bounds); the e-mails carry a PDF and the XML, sent by
``delivery.mail.mail_send`` to an aiosmtpd server on loopback. Nothing touches a database.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
GOALS = {"pdf": "≥ 20 /s per core", "lines": "< 3 s", "mail": "—"}


def setup_django(var_dir: str) -> None:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrator.settings")
    os.environ["VAR_DIR"] = var_dir
    import django

    django.setup()


def invoice(lines: int) -> bytes:
    from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
    from ubl import build, totals
    from ubl.document import Address, Party

    line = {"name": "Pamuklu kumaş", "quantity": "2", "unit": "MTR", "unit_price": "40.10", "kdv_rate": "20"}
    data = {"profile": "EARSIVFATURA", "type": "SATIS", "issue_date": "2026-11-20",
            "customer": {"tckn": "10000000146", "first_name": "Ayşe", "last_name": "Yılmaz", "address": {"district": "Kadıköy", "city": "İstanbul"}},
            "lines": [line] * lines}
    serializer = InvoicePayloadSerializer(data=data)
    assert serializer.is_valid(), serializer.errors
    supplier = Party(identifier="1234567890", name="A Tekstil A.Ş.", tax_office="Kadıköy", address=Address(district="Kadıköy", city="İstanbul"))
    document = payload_to_invoice(serializer.validated_data, supplier=supplier)
    document.id, document.uuid = "EAA2026000000042", "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
    return build.to_bytes(build.build_invoice(build.with_amount_in_words(totals.compute(document))))


def rate(operation, seconds: float) -> tuple[float, float]:
    operation()
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return len(times) / sum(times), statistics.median(times) * 1000


def peak_of_children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        from aiosmtpd.controller import Controller
        from django.conf import settings
        from django.core.mail import EmailMessage

        from delivery.mail import mail_send
        from delivery.paper import pdf_render

        one, many = invoice(2), invoice(500)
        pdfs, pdf_ms = rate(lambda: pdf_render(one), arguments.seconds)
        start = time.perf_counter()
        pdf_render(many)
        lines_s = time.perf_counter() - start
        lines_mb = peak_of_children_mb()

        class Sink:
            async def handle_DATA(self, server, session, envelope):
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(Sink(), hostname="127.0.0.1", port=port)
        controller.start()
        settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = (
            "django.core.mail.backends.smtp.EmailBackend", "127.0.0.1", port, False)
        pdf = pdf_render(one)

        def send():
            message = EmailMessage("e-Arşiv faturanız", "Sayın müşterimiz,", "e-fatura@localhost", ["ayse@example.com.tr"])
            message.attach("EAA2026000000042.pdf", pdf, "application/pdf")
            message.attach("EAA2026000000042.xml", one, "application/xml")
            assert mail_send(message).result == "sent"

        mails, mail_ms = rate(send, min(arguments.seconds, 5))
        controller.stop()

    print(f"{'measure':<40} {'today':>14} {'goal':>18}")
    print(f"{'one-page PDF, per second (one process)':<40} {pdfs:>12.1f}/s {GOALS['pdf']:>18}")
    print(f"{'one-page PDF, median ms':<40} {pdf_ms:>14.0f} {'':>18}")
    print(f"{'500-line invoice, seconds':<40} {lines_s:>14.2f} {GOALS['lines']:>18}")
    print(f"{'500-line invoice, peak memory of its drawing, MB':<40} {lines_mb:>11.0f} MB {'':>18}")
    print(f"{'e-mails with PDF + XML to local SMTP, per s':<40} {mails:>12.1f}/s {GOALS['mail']:>18}")
    print(f"{'one e-mail, median ms':<40} {mail_ms:>14.1f} {'':>18}")


if __name__ == "__main__":
    main()
