"""Send invoices from the first demo tenant to the second through the local GİB hub, answer them from
the receiving side, and report where each ended. Run it while the platform runs (`make run`): its
worker and beat move the invoices; this command only issues, answers and watches."""

import time

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from demo.setup import TENANTS
from integrator.commands import LocalizedCommand
from invoices.models import Invoice
from invoices.status import Status
from pipeline.flow import invoice_answer, invoice_submit
from tenants.models import Tenant

DONE = (Status.DELIVERED, Status.ACCEPTED, Status.REJECTED, Status.FAILED, Status.INVALID)
LINE = {"name": "Pamuklu kumaş", "quantity": "10", "unit": "MTR", "unit_price": "42.50", "kdv_rate": "20"}


def demo_payload(profile: str, customer: Tenant) -> dict:
    return {
        "profile": profile, "type": "SATIS", "issue_date": timezone.localdate().isoformat(),
        "customer": {"vkn": customer.identifier, "name": customer.title, "tax_office": customer.tax_office,
                     "address": {"street": customer.street, "district": customer.district, "city": customer.city}},
        "lines": [LINE],
    }


class Command(LocalizedCommand):
    help = "Send N demo invoices (TEMELFATURA and TICARIFATURA) from the first demo tenant to the second through the GİB hub."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=180, help="seconds to wait for the invoices to finish")

    def handle(self, *args, count, timeout, **options):
        if count < 1:
            raise CommandError(_("--count must be at least 1"))
        try:
            sender, receiver = (Tenant.objects.get(identifier=spec["tenant"]["identifier"]) for spec in TENANTS)
        except Tenant.DoesNotExist:
            raise CommandError(_("The demo is not loaded: run `make run` (or manage.py load_demo) first.")) from None
        profiles = ["TEMELFATURA" if i % 2 else "TICARIFATURA" for i in range(count)]
        sent = [invoice_submit(tenant=sender, data=demo_payload(profile, receiver)).id for profile in profiles]
        deadline = time.monotonic() + timeout
        self._wait(sent, deadline, lambda i: i.status in DONE)
        self._answer(sender, receiver, sent)
        self._wait(sent, deadline, lambda i: i.profile != "TICARIFATURA" or i.status != Status.DELIVERED)
        self._report(sent)

    def _wait(self, ids, deadline, finished) -> None:
        while time.monotonic() < deadline:
            if all(finished(i) for i in Invoice.objects.filter(id__in=ids)):
                return
            time.sleep(0.5)

    def _answer(self, sender, receiver, ids) -> None:
        """KABUL from the receiving side for each TICARIFATURA that arrived."""
        for invoice in Invoice.objects.filter(id__in=ids, profile="TICARIFATURA", status=Status.DELIVERED):
            received = Invoice.objects.filter(tenant=receiver, direction=Invoice.Direction.INCOMING, uuid=invoice.uuid,
                                              status=Status.RECEIVED).first()
            if received is not None:
                invoice_answer(tenant=receiver, invoice_uuid=received.uuid, code="KABUL")

    def _report(self, ids) -> None:
        invoices = list(Invoice.objects.filter(id__in=ids).order_by("id"))
        for invoice in invoices:
            self.stdout.write(f"{invoice.number}  {invoice.uuid}  {invoice.profile:<12}  {invoice.gib_code or '-':>4}  "
                              f"{invoice.get_status_display()}  {invoice.answer or '-'}")
        completed = sum(1 for i in invoices if i.gib_code == 1300)
        failed = len(invoices) - completed
        self.stdout.write(_("%(sent)s sent, %(completed)s completed (1300), %(failed)s failed") % {"sent": len(invoices), "completed": completed, "failed": failed})
        if failed:
            raise CommandError(_("%(failed)s invoice(s) did not complete") % {"failed": failed})
