"""The platform rule PLT-RECEIVER-POSTBOX: a SENDERENVELOPE goes to an active postbox (PK) of its
receiver on GİB's registered-user list; the validator asks the lookup it is given (the packer gives
``directory.lookup.is_postbox``) and passes the answer to the schematron rule."""

import datetime as dt
from collections import Counter
from functools import partial

import pytest
from lxml import etree

from directory.lookup import is_postbox
from directory.models import RegisteredAlias
from envelopes import sbdh
from schematron import engine, validation
from tests.clock import NOW, TODAY
from tests.envelope_helpers import A_TO_B, ENVELOPE_ID, sealed_invoices
from tests.factories import register
from tests.gib_fixtures import GIB, SAMPLES
from tests.schematron_reference import ReferenceSchematron

RULE = "PLT-RECEIVER-POSTBOX"
B = A_TO_B["receiver_identifier"]
RECEIVER_PATH = "/sh:StandardBusinessDocument[1]/sh:StandardBusinessDocumentHeader[1]/sh:Receiver[1]"
ENVELOPES = SAMPLES / "envelopes"
SENDER_SAMPLES = sorted(p for p in ENVELOPES.glob("*.xml") if b"<sh:Type>SENDERENVELOPE<" in p.read_bytes())
OTHER_SAMPLES = sorted(p for p in ENVELOPES.glob("*.xml") if p not in SENDER_SAMPLES)
validate = partial(validation.validate, postbox=is_postbox)  # as the packer validates


@pytest.fixture
def one_invoice(tenant_a, seal_a, test_root, gib_package) -> list[bytes]:
    return sealed_invoices(tenant_a, seal_a, test_root, 1)


def to(alias: str, documents: list[bytes], identifier: str = B) -> bytes:
    """A's envelope of *documents* to *alias*, naming *identifier* as the receiver's VKN."""
    parties = {**A_TO_B, "receiver_alias": alias, "receiver_identifier": identifier}
    return sbdh.sender_envelope(**parties, documents=documents, uuid=ENVELOPE_ID, created=NOW)


def rule_issues(xml: bytes) -> list:
    return [issue for issue in validate(xml, today=TODAY).errors if issue.rule == RULE]


def test_an_envelope_to_the_receivers_postbox_passes(one_invoice):
    report = validate(to("urn:mail:pk@b-gida.com.tr", one_invoice), today=TODAY)
    assert report.valid, [(e.layer, e.rule, e.message_en) for e in report.errors]


def test_without_a_lookup_no_receiver_is_a_postbox(one_invoice, django_assert_num_queries):
    with django_assert_num_queries(0):
        report = validation.validate(to("urn:mail:pk@b-gida.com.tr", one_invoice), today=TODAY)
    assert [issue.rule for issue in report.errors] == [RULE]


def test_an_alias_the_receiver_does_not_have_fails_with_both_messages(one_invoice):
    xml = to("urn:mail:muhasebe@b-gida.com.tr", one_invoice)
    report = validate(xml, today=TODAY)
    (issue,) = report.errors  # the envelope is otherwise GİB's and ours to the letter
    receiver = etree.fromstring(xml).find("sh:StandardBusinessDocumentHeader/sh:Receiver", {"sh": sbdh.SH})
    assert (issue.layer, issue.rule, issue.xpath, issue.line) == ("platform", RULE, RECEIVER_PATH, receiver.sourceline)
    assert issue.message_tr == (
        "Alıcı etiketi 'urn:mail:muhasebe@b-gida.com.tr', GİB kayıtlı kullanıcı listesinde 4840847211 "
        "VKN/TCKN'li alıcının etkin posta kutusu (PK) etiketlerinden biri değil."
    )
    assert issue.message_en == (
        "The receiver alias 'urn:mail:muhasebe@b-gida.com.tr' is not an active postbox (PK) alias of "
        "4840847211 on GİB's registered-user list."
    )


@pytest.mark.parametrize(
    ("alias", "identifier"),
    [
        ("urn:mail:gb@b-gida.com.tr", B),  # B's, but its sender unit (GB), not a postbox
        ("urn:mail:pk@a-tekstil.com.tr", B),  # a postbox, but A's
        ("urn:mail:pk@b-gida.com.tr", "9000068418"),  # B's postbox, named for another VKN
    ],
    ids=["gb-alias", "someone-elses-postbox", "other-vkn"],
)
def test_only_an_active_postbox_of_that_receiver_will_do(one_invoice, alias, identifier):
    (issue,) = rule_issues(to(alias, one_invoice, identifier))
    assert f"'{alias}'" in issue.message_en and identifier in issue.message_en
    assert f"'{alias}'" in issue.message_tr and identifier in issue.message_tr


def test_a_deleted_postbox_fails_and_one_deleted_later_still_passes(one_invoice):
    xml = to("urn:mail:pk@b-gida.com.tr", one_invoice)
    postbox = RegisteredAlias.objects.filter(user__identifier=B, kind="PK", name="urn:mail:pk@b-gida.com.tr")
    assert rule_issues(xml) == []
    postbox.update(deleted_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    (issue,) = rule_issues(xml)  # the same envelope: what the previous run was told does not linger
    assert issue.layer == "platform" and "urn:mail:pk@b-gida.com.tr" in issue.message_tr
    postbox.update(deleted_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))  # GİB lists a closing date ahead
    assert rule_issues(xml) == []


def test_a_despatch_envelope_needs_the_despatch_postbox(one_invoice):
    # GİB's list keeps a postbox per document type; an invoice postbox does not take despatch advices.
    xml = to("urn:mail:pk@b-gida.com.tr", one_invoice).replace(b"<ElementType>INVOICE<", b"<ElementType>DESPATCHADVICE<")
    assert [issue.rule for issue in rule_issues(xml)] == [RULE]
    user = RegisteredAlias.objects.get(user__identifier=B, kind="PK", name="urn:mail:pk@b-gida.com.tr").user
    user.aliases.create(kind="PK", document_type="DespatchAdvice", name="urn:mail:pk@b-gida.com.tr", created_at=NOW)
    assert rule_issues(xml) == []


# --- documents outside a SENDERENVELOPE: no lookup, no rule ----------------------------------------


def test_an_invoice_alone_is_not_looked_up(tenant_a, seal_a, test_root, gib_package, django_assert_num_queries):
    (invoice,) = sealed_invoices(tenant_a, seal_a, test_root, 1)
    RegisteredAlias.objects.all().delete()  # its customer's postbox is gone, and it does not matter
    with django_assert_num_queries(0):
        report = validate(invoice, today=TODAY)
    assert report.valid, [(e.layer, e.rule, e.message_en) for e in report.errors]


@pytest.mark.parametrize("path", [SAMPLES / "invoices" / "ubltr-1.2.1" / "TicariFaturaOrnegi.xml", *OTHER_SAMPLES], ids=lambda p: p.name)
def test_other_documents_need_no_database(path, gib_package):
    # No database access is allowed in this test: a lookup would raise instead of passing.
    assert RULE not in {issue.rule for issue in validate(path.read_bytes()).errors}


# --- GİB's verdict stays GİB's ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> ReferenceSchematron:
    return ReferenceSchematron(engine.processor(), GIB / "schematron" / "UBL-TR_Main_Schematron.xml")


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.django_db
@pytest.mark.parametrize("path", SENDER_SAMPLES, ids=lambda p: p.name)
def test_gibs_sample_envelopes_get_gibs_verdict_and_ours_beside_it(path, reference, gib_package):
    xml = path.read_bytes()
    theirs = Counter(_normal(text) for _, _, text in reference.messages(xml, doc_type="efatura"))
    before = validate(xml, doc_type="efatura")
    # GİB's samples go to GİB's test postbox, which no list of ours has.
    assert [issue.rule for issue in before.errors if issue.layer == "platform" and issue.rule == RULE] == [RULE]
    register("9999999999", "e-Fatura Deneme A.Ş.", gb="urn:mail:defaultgb@gib.gov.tr", pk="urn:mail:defaultpk@gib.gov.tr")
    after = validate(xml, doc_type="efatura")
    assert RULE not in {issue.rule for issue in after.errors}
    for report in (before, after):
        assert Counter(_normal(issue.message_tr) for issue in report.errors if issue.layer == "gib") == theirs
