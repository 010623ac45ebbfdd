import pytest
from rest_framework.exceptions import ErrorDetail

from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
from invoices.services import tenant_party
from tests.invoice_payloads import CASES, LINE, PERSON, payload


def _errors(data) -> dict:
    serializer = InvoicePayloadSerializer(data=data)
    assert not serializer.is_valid()
    return serializer.errors


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_documented_case_is_accepted(tenant_a, case):
    serializer = InvoicePayloadSerializer(data=CASES[case])
    assert serializer.is_valid(), serializer.errors
    invoice = payload_to_invoice(serializer.validated_data, supplier=tenant_party(tenant_a))
    assert invoice.profile == CASES[case]["profile"] and invoice.lines


def _flat(errors) -> str:
    return str(errors)


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"profile": "SUPERFATURA"}, "profile", "not a valid choice"),
        ({"type": "HEDIYE"}, "type", "not a valid choice"),
        ({"lines": []}, "lines", "empty"),
        ({"issue_date": "21.11.2026"}, "issue_date", "format"),
        ({"currency": "USD"}, "exchange_rate", "exchange_rate"),
        ({"type": "IADE"}, "returns", "returns"),
        ({"type": "IADE", "returns": [{"id": "AAA2026000000001", "issue_date": "2026-11-01"}]}, "profile", "TEMELFATURA"),
        ({"type": "TEVKIFAT"}, "lines", "withholding"),
        ({"profile": "IHRACAT", "customer": None}, "export", "incoterms"),
        ({"profile": "KAMU"}, "payment", "IBAN"),
        ({"customer": None}, "customer", "required"),
    ],
)
def test_bad_payloads_name_their_field(change, field, words):
    errors = _errors(payload(**{k.rstrip("_"): v for k, v in change.items()}))
    assert field in errors and words in _flat(errors[field])


@pytest.mark.parametrize(
    "customer, words",
    [
        ({"vkn": "1234567891", "name": "X", "address": PERSON["address"]}, "check digit"),
        ({"vkn": "123", "name": "X", "address": PERSON["address"]}, "10 digits"),
        ({"tckn": "11111111112", "first_name": "A", "last_name": "B", "address": PERSON["address"]}, "check digits"),
        ({"vkn": "1234567890", "address": PERSON["address"]}, "title"),
        ({"tckn": "10000000146", "first_name": "Ayşe", "address": PERSON["address"]}, "first_name and last_name"),
        ({"name": "No Id", "address": PERSON["address"]}, "exactly one of vkn and tckn"),
        ({"vkn": "1234567890", "name": "X"}, "required"),
    ],
)
def test_bad_customers_say_what_is_wrong(customer, words):
    errors = _errors(payload(customer=customer))
    assert words in _flat(errors["customer"])


def test_placeholder_ids_for_unknown_consumers_are_allowed():
    data = payload("EARSIVFATURA", customer={**PERSON, "tckn": "11111111111"})
    assert InvoicePayloadSerializer(data=data).is_valid()


@pytest.mark.parametrize(
    "line_change, field",
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"unit": "pieces"}, "unit"),
        ({"kdv_rate": "120"}, "kdv_rate"),
        ({"kdv_rate": "0"}, "kdv_exemption_code"),
        ({"taxes": [{"code": "0015", "rate": "20"}]}, "taxes"),
        ({"withholding": {"code": "6060", "rate": "90"}}, "withholding"),
    ],
)
def test_bad_lines_name_the_line_and_field(line_change, field):
    errors = _errors(payload(lines=[LINE, {**LINE, **line_change}]))
    assert set(errors["lines"]) == {1}  # errors are keyed by the index of the line at fault
    assert field in errors["lines"][1], errors["lines"][1]


def test_wrong_types_are_errors_not_crashes():
    errors = _errors({"profile": 5, "type": ["SATIS"], "customer": "nobody", "lines": "many"})
    assert {"profile", "type", "customer", "lines"} <= set(errors)
    assert "Expected a list" in str(errors["lines"]["non_field_errors"][0])
    assert isinstance(errors["customer"]["non_field_errors"][0], ErrorDetail)
