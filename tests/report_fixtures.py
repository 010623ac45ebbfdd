"""Varied invoices for the reports' tests: issued by the platform's own services over several days,
rates, currencies, profiles and types, moved through their states, and some received."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from invoices.figures import taxes_record
from invoices.models import Invoice
from invoices.services import draft_from_payload, gib_code_set, invoice_issue, party_name, set_status
from invoices.status import Status
from tenants.identifiers import vkn_is_valid
from tests.clock import TODAY
from tests.invoice_payloads import CUSTOMER, payload

RATES = ("20", "10", "1")
WAYS = [  # the states an invoice is moved through, each way ending where the pipeline leaves one
    [],
    [Status.INVALID],
    [Status.VALID, Status.HELD],
    [Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT],
    [Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT, Status.DELIVERED],
    [Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT, Status.FAILED],
    [Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT, Status.DELIVERED, Status.ACCEPTED],
]
CODES = {Status.SENT: 1200, Status.DELIVERED: 1300, Status.FAILED: 1160, Status.ACCEPTED: 1300}


def day_of(rng: random.Random, spread: int) -> dt.date:
    """A day of this month or the two before it (never after today)."""
    return TODAY - dt.timedelta(days=rng.randrange(spread))


def varied_payload(rng: random.Random, day: dt.date, customer: dict) -> dict:
    lines = [{"name": f"Kalem {i}", "quantity": str(rng.randint(1, 9)), "unit": "C62", "unit_price": f"{rng.randint(100, 99999) / 100:.2f}",
              "kdv_rate": rng.choice(RATES)} for i in range(rng.randint(1, 3))]
    kind = rng.random()
    extra = {}
    if kind < 0.15:
        lines = [{"name": "Temizlik hizmeti", "quantity": "2", "unit": "HUR", "unit_price": f"{rng.randint(500, 5000)}", "kdv_rate": "20",
                  "withholding": {"code": "606", "rate": "90"}}]
        data = payload("TEMELFATURA", "TEVKIFAT", lines=lines)
    else:
        data = payload(rng.choice(["TEMELFATURA", "TICARIFATURA"]), "SATIS", lines=lines)
    if rng.random() < 0.2:
        extra = {"currency": rng.choice(["USD", "EUR"]), "exchange_rate": "34.2150"}
    data.update(extra, issue_date=day.isoformat(), customer=customer)
    return data


def customers(count: int) -> list[dict]:
    from tests.factories import register

    found, candidate = [], 7000000000
    for i in range(count):
        while not vkn_is_valid(str(candidate)):
            candidate += 1
        vkn, candidate = str(candidate), candidate + 1
        register(vkn, f"Müşteri {i} A.Ş.", gb=f"urn:mail:gb{i}@musteri.com.tr", pk=f"urn:mail:pk{i}@musteri.com.tr")
        found.append({**CUSTOMER, "vkn": vkn, "name": f"Müşteri {i} A.Ş."})
    return found


def issue_varied(tenant, *, count: int, seed: int = 18, spread: int = 60) -> list[Invoice]:
    """*count* invoices of *tenant*, each moved along one of ``WAYS``, with GİB's codes where GİB spoke."""
    rng = random.Random(seed)
    people = customers(6) + [CUSTOMER]
    made = []
    for _ in range(count):
        invoice = invoice_issue(tenant=tenant, data=varied_payload(rng, day_of(rng, spread), rng.choice(people)))
        for to in rng.choice(WAYS):
            set_status(invoice=invoice, to=to)
            if to in CODES:
                gib_code_set(invoice=invoice, code=CODES[to], never_resend=False)
        made.append(invoice)
    return made


def receive_varied(tenant, supplier, *, count: int, seed: int = 81, spread: int = 60) -> list[Invoice]:
    """*count* invoices *supplier* sent *tenant*, stored as received ones are (without the exchange),
    some of them answered."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        customer = {**CUSTOMER, "vkn": tenant.identifier, "name": tenant.title}
        document = draft_from_payload(tenant=supplier, data=varied_payload(rng, day_of(rng, spread), customer)).document
        invoice = Invoice.objects.create(
            tenant=tenant, uuid=uuid.uuid4(), number=f"{supplier.identifier[:3]}{rng.randrange(10**12):013d}",
            direction=Invoice.Direction.INCOMING, profile=document.profile, type_code=document.type_code, issue_date=document.issue_date,
            currency=document.currency, supplier_identifier=supplier.identifier, supplier_name=party_name(document.supplier),
            customer_identifier=tenant.identifier, customer_name=tenant.title, tax_amount=sum(s.amount for s in document.tax_subtotals),
            payable_amount=document.totals.payable, status=Status.RECEIVED, channel=Invoice.Channel.EFATURA)
        taxes_record(invoice=invoice, document=document)
        if rng.random() < 0.4:
            set_status(invoice=invoice, to=rng.choice([Status.ACCEPTED, Status.REJECTED]))
        made.append(invoice)
    return made
