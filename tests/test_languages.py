"""One language per answer: every problem code and every refusal reads whole in Turkish or whole in
English, the reasons of the lower layers (parsing, zips, seals) included.

GİB's own texts (its status texts, its rules' messages) stay GİB's Turkish in English answers, beside
ours: they are GİB's words, quoted.
"""

import importlib
import pkgutil
import re

import pytest
from django.utils import translation
from lxml import etree

from envelopes import codes, packing, sbdh
from envelopes.gib import soap
from envelopes.receiving import Refused
from integrator.errors import DomainError
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from signing.verify import verify
from tests.envelope_helpers import A_TO_B
from tests.envelope_helpers import invoices  # noqa: F401  (fixture)

APPS = ("integrator", "tenants", "invoices", "schematron", "signing", "envelopes", "archive", "gibhub")
PLACEHOLDER = re.compile(r"%\((\w+)\)([sdr])")
# Words that give the other language away. Turkish has no article, English no suffixed negation.
ENGLISH = {"the", "is", "are", "not", "cannot", "and", "of", "to", "with", "has", "have", "no", "an", "was", "be", "it", "its", "this"}
TURKISH = {"değil", "bir", "için", "ile", "ve", "yok", "olamaz", "edilemez", "bulunamadı", "geçersiz", "okunamadı", "açılamadı"}
VALUE = "X9"  # what each placeholder is filled with: a word of neither language


def _words(text: str) -> set[str]:
    """The words of *text*; a token with a digit in it (an ETTN, a number, a hash) is none."""
    return {token for token in re.findall(r"\w+", text.lower()) if token.isalpha()}


def _gibs_own(text: str) -> str:
    """*text* without GİB's own status and fault texts, which English answers quote as GİB wrote them."""
    for entry in (*codes.STATUSES.values(), *codes.FAULTS.values()):
        text = text.replace(entry.text_tr, "")
    return text


def _rendered(error: Exception, language: str) -> str:
    with translation.override(language):
        return str(error)


def _speaks_one_language(error: Exception) -> None:
    turkish, english = _rendered(error, "tr"), _rendered(error, "en")
    assert turkish != english, f"not translated: {english!r}"
    assert not _words(turkish) & ENGLISH, f"English words in Turkish: {turkish!r}"
    assert not _words(_gibs_own(english)) & TURKISH, f"Turkish words in English: {english!r}"


def _template(cls: type[DomainError]) -> str:
    """The message as written in the code (the msgid), whatever language is active."""
    with translation.override(None):  # no catalogue: the text as the code writes it
        return str(cls.message)


def _domain_errors() -> list[type[DomainError]]:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and not module.name.endswith((".wsgi", ".asgi")):
                importlib.import_module(module.name)
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # A message that is its values alone ("%(reason)s") has nothing to translate: its values are
        # tested where they are made.
        if cls is not DomainError and "message" in cls.__dict__ and _words(PLACEHOLDER.sub("", _template(cls))):
            found.append(cls)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


ERRORS = _domain_errors()


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_each_problem_speaks_one_language(cls):
    template = _template(cls)
    error = cls.__new__(cls)
    DomainError.__init__(error, **{name: 9 if kind == "d" else VALUE for name, kind in PLACEHOLDER.findall(template)})
    _speaks_one_language(error)


@pytest.mark.parametrize("document", [
    b"<!DOCTYPE a><a/>", b"", b"<a><b></a>", b"not xml", b"<a>", b'<a x="1" x="2"/>', b"<a>&bilinmeyen;</a>", b"<p:a/>",
    b'<?xml version="1.0" encoding="klingon"?><a/>', b"<a>\x00</a>",
], ids=lambda document: document[:20].decode("latin-1"))
def test_a_document_that_cannot_be_read_says_why_in_one_language(document):
    with pytest.raises(UnsafeOrBroken) as caught:
        parse_untrusted(document)
    _speaks_one_language(caught.value)


@pytest.mark.parametrize("error", [
    packing.HashMismatch(actual="a" * 32, expected="b" * 32), packing.NotAZip(), packing.ZipBroken(reason=packing._zip_reason(EOFError())),
    packing.NotOneEntry(count=2), packing.EnvelopeUnreadable(reason="X9"), packing.NoEnvelopeId(),
], ids=lambda error: type(error).__name__)
def test_a_refused_push_says_why_in_one_language_and_gibs_code_once(error):
    refusal = Refused(error.gib_code, error)
    _speaks_one_language(refusal)
    for language in ("tr", "en"):
        assert _rendered(refusal, language).count(str(error.gib_code)) == 1


def test_a_soap_client_pushing_to_an_unknown_postbox_reads_turkish(client, invoices):
    from tests.test_receiving_access import send_document

    xml = sbdh.sender_envelope(**{**A_TO_B, "receiver_alias": "urn:mail:defaultpk@gib.gov.tr"}, documents=invoices)
    request = send_document(xml)
    answer = client.post("/gib/services/EFatura", request, content_type=soap.CONTENT_TYPE)  # no language asked: Turkish
    assert answer.status_code == 500
    texts = [text for text in etree.fromstring(answer.content).itertext() if text.strip()]
    assert "1181" in texts and all(text.count("1181") <= 1 for text in texts), texts  # the code said once in each text
    said = " ".join(texts)
    assert "GİB" in said and "ADRES BULUNAMADI" in said, said
    assert not _words(said) & ENGLISH, said


def test_the_api_answers_a_doctype_in_the_language_asked(client, tenant_a):
    from tenants.api_keys import api_key_create
    from tenants.models import ApiKey

    _key, raw = api_key_create(tenant=tenant_a, name="erp", scopes=ApiKey.Scope.values)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    bodies = {}
    for language in ("tr", "en"):
        answer = client.post("/api/v1/invoices/validate", b"<!DOCTYPE x><x/>", content_type="application/xml",
                             HTTP_ACCEPT_LANGUAGE=language, **headers)
        assert answer.status_code == 400
        bodies[language] = answer.json()
    assert not _words(bodies["tr"]["detail"] + " " + bodies["tr"]["title"]) & ENGLISH, bodies["tr"]
    assert not _words(bodies["en"]["detail"] + " " + bodies["en"]["title"]) & TURKISH, bodies["en"]
    assert bodies["tr"]["code"] == bodies["en"]["code"] == "not_ubl"


def _in_each_language(make) -> dict[str, str]:
    """What *make* says (a text, or the text of what it raises) with each language active."""
    said = {}
    for language in ("tr", "en"):
        with translation.override(language):
            try:
                said[language] = str(make())
            except Exception as exc:  # noqa: BLE001  (its text is what is looked at)
                said[language] = str(exc)
    return said


def _one_language_each(said: dict[str, str]) -> None:
    assert said["tr"] != said["en"], said
    assert not _words(said["tr"]) & ENGLISH, said["tr"]
    assert not _words(_gibs_own(said["en"])) & TURKISH, said["en"]


@pytest.mark.parametrize(("body", "content_type"), [
    (b"<!DOCTYPE x><x/>", soap.CONTENT_TYPE), (b"<s:Envelope", soap.CONTENT_TYPE), (b"<x/>", soap.CONTENT_TYPE),
    (b"--b\r\n\r\n--b--", "multipart/related"), (b"x", "text/plain"),
], ids=["dtd", "not-xml", "not-soap", "no-boundary", "not-soap-type"])
def test_a_request_that_is_no_soap_call_is_refused_in_one_language(body, content_type):
    said = _in_each_language(lambda: soap.parse_request(body, content_type))
    _one_language_each(said)


def test_a_seal_check_says_what_failed_in_one_language(invoices, test_root):
    forged = invoices[0].replace(b"<ds:SignatureValue>", b"<ds:SignatureValue>AAAA", 1)
    for document in (b"<Invoice/>", forged):
        said = _in_each_language(lambda document=document: "; ".join(
            f"{check.label}: {check.detail}" for check in verify(document, roots=[test_root.certificate]).failed))
        _one_language_each(said)


def test_commands_speak_turkish_unless_english_is_asked(db, monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.delenv("LANGUAGE")
    monkeypatch.setenv("LANG", "C.UTF-8")
    said = {}
    for language, options in (("tr", {}), ("en", {"lang": "en"})):
        with pytest.raises(CommandError) as caught:
            call_command("add_credits", "--tenant", "9999999999", "5", **options)
        said[language] = str(caught.value)
    _one_language_each(said)
    assert "9999999999" in said["tr"] and "9999999999" in said["en"]


def _visible(page: bytes) -> str:
    from lxml import html

    root = html.fromstring(page)
    for hidden in root.xpath("//script|//style|//*[@lang and @lang!=ancestor::html/@lang]"):
        hidden.drop_tree()
    return " ".join(root.itertext())


def test_the_portals_pages_speak_one_language(client_a, tenant_a, settings):
    from django.urls import reverse

    from invoices.status import Status
    from tests.test_portal_invoices import incoming, outgoing

    sent = outgoing(tenant_a, "AAA2026000000001", status=Status.DELIVERED, gib_code=1300)
    incoming(tenant_a, "CCC2026000000001")
    pages = [reverse(name, args=[tenant_a.identifier]) for name in ("portal:dashboard", "portal:invoices", "portal:inbox")]
    pages.append(reverse("portal:invoice", args=[tenant_a.identifier, "out", sent.uuid]))
    seen = {}
    for language, foreign in (("tr", ENGLISH), ("en", TURKISH)):
        client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in pages:
            answer = client_a.get(url)
            assert answer.status_code == 200, url
            text = seen[language, url] = _gibs_own(_visible(answer.content))
            assert not _words(text) & foreign, (language, url, sorted(_words(text) & foreign))
    assert all(seen["tr", url] != seen["en", url] for url in pages)
