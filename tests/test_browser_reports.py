"""Reports in a real browser (Chromium through Playwright) against the live server: the charts are
drawn, each bar is the number in its table row, and the CSV downloaded holds the same numbers; the
accountant's overview of two tenants. Screenshots are kept in var/test-artifacts/."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from invoices.services import invoice_issue, set_status
from invoices.status import Status
from reports.selectors import REPORTS
from tenants.services import membership_set
from tests.browser_fixtures import browse  # noqa: F401  (a fixture)
from tests.clock import TODAY
from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.invoice_payloads import payload
from tests.report_fixtures import issue_varied, receive_varied

pytestmark = pytest.mark.django_db(transaction=True)
FROM = (TODAY - dt.timedelta(days=60)).isoformat()


@pytest.fixture
def accountant(tenant_a, tenant_b):
    user = make_user(tenant=tenant_a, role="accountant", password=PASSWORD)
    membership_set(tenant=tenant_b, user=user, role="accountant")
    return user


def drawn(page, name: str) -> list[str]:
    return page.eval_on_selector_all(f"svg[data-report='{name}'] rect.bar", "bars => bars.map(b => b.dataset.row + '=' + b.dataset.value)")


def tabled(page, name: str) -> list[str]:
    key = page.get_attribute(f"svg[data-report='{name}']", "data-value-key")
    return page.eval_on_selector_all(f"section[data-report='{name}'] tbody tr",
                                     f"rows => rows.map(r => r.dataset.row + '=' + r.querySelector(\"td[data-key='{key}']\").dataset.value)")


def test_the_charts_are_drawn_and_equal_their_tables_and_the_csv(browse, accountant, tenant_a, tenant_b):
    issue_varied(tenant_a, count=60, spread=55)
    receive_varied(tenant_a, tenant_b, count=20, spread=55)
    person = browse(accountant, PASSWORD)
    page = person.go(f"/t/{tenant_a.identifier}/")
    page.get_by_role("link", name=re.compile(r"^(Raporlar|Reports)$")).click()  # Turkish once the translations land
    page.wait_for_url(f"**/t/{tenant_a.identifier}/reports/")
    page.fill("#from", FROM)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**from={FROM}**")
    person.shot("1-reports")
    assert page.locator("svg.chart").count() == len(REPORTS)
    for name in REPORTS:
        bars = drawn(page, name)
        assert bars and bars == tabled(page, name), name
        box = page.locator(f"svg[data-report='{name}']").bounding_box()
        assert box["width"] > 300 and box["height"] > 150, name  # drawn at a readable size
    assert page.locator("svg[data-report='invoices'] text.tick").count() >= 3  # an axis with its numbers

    with page.expect_download() as waiting:
        page.click("section[data-report='vat'] a[href*='vat.csv']")
    lines = list(csv.reader(io.StringIO(open(waiting.value.path(), encoding="utf-8-sig").read())))
    shown = page.eval_on_selector_all("section[data-report='vat'] tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.dataset.value))")
    assert lines[1:] == shown and [value.split("=")[1] for value in drawn(page, "vat")] == [line[-1] for line in lines[1:]]

    page.goto(f"{person.base}/t/{tenant_a.identifier}/reports/?granularity=day&from={FROM}")
    person.shot("2-by-day")
    assert drawn(page, "invoices") == tabled(page, "invoices") and len(drawn(page, "invoices")) > 10


def test_the_overview_in_the_browser(browse, accountant, tenant_a, tenant_b):
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    for to in (Status.VALID, Status.HELD):
        set_status(invoice=invoice, to=to)
    person = browse(accountant, PASSWORD)
    page = person.go("/")
    person.shot("overview")
    assert page.locator("table.overview tbody tr").count() == 2
    page.locator(f"tr[data-tenant='{tenant_a.identifier}'] a[href$='?status=held']").click()
    page.wait_for_url(f"**/t/{tenant_a.identifier}/invoices/?status=held")
    assert page.locator("tbody tr").count() == 1
    page.go_back()
    page.get_by_role("link", name=tenant_b.display_name).click()
    page.wait_for_url(f"**/t/{tenant_b.identifier}/")
