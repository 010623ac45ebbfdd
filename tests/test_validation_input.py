"""Hostile and broken input: one clear error each, nothing fetched, nothing escapes."""

import json
import socket
from pathlib import Path

import pytest

from schematron import parsing
from schematron.validation import validate
from tests.gib_fixtures import SAMPLES, gib_package, gib_root  # noqa: F401

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>"""


def _xxe(system_id: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{system_id}">]>'
        f'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><x>&xxe;</x></Invoice>'
    ).encode()


def _only_parse_error(report) -> str:
    assert not report.valid
    assert len(report.errors) == 1 and report.errors[0].layer == "parse"
    return report.errors[0].message_en


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    yield server
    server.close()


def _connected(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def test_not_xml(gib_package):
    assert "not well-formed" in _only_parse_error(validate(b"this is not xml"))
    assert "empty" in _only_parse_error(validate(b""))


def test_billion_laughs_is_refused(gib_package):
    assert "DOCTYPE" in _only_parse_error(validate(BILLION_LAUGHS))


def test_xxe_local_file_never_read(gib_package):
    report = validate(_xxe("file:///etc/passwd"))
    assert "DOCTYPE" in _only_parse_error(report)
    assert "root:" not in json.dumps([issue.as_dict() for issue in report.errors])


def test_xxe_url_never_fetched(gib_package, listener):
    document = _xxe(f"http://127.0.0.1:{listener.getsockname()[1]}/evil.dtd")
    assert "DOCTYPE" in _only_parse_error(validate(document))
    assert not _connected(listener)


def test_parser_itself_neither_expands_nor_fetches(listener):
    # Below the DOCTYPE refusal, the lxml parser settings alone must hold.
    local = parsing._parse(_xxe("file:///etc/passwd"))
    remote = parsing._parse(_xxe(f"http://127.0.0.1:{listener.getsockname()[1]}/x"))
    assert b"root:" not in parsing.etree.tostring(local)
    assert not _connected(listener)
    assert remote.getroot() is not None


def test_fifty_megabytes_refused_before_parsing(gib_package, tmp_path: Path):
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:
        handle.write(b"<Invoice>" + b"<a>x</a>" * (50 * 1024 * 1024 // 8) + b"</Invoice>")
    assert "limit" in _only_parse_error(validate(big.read_bytes()))


def test_size_limit_is_a_setting(gib_package, settings):
    settings.UBL_VALIDATION_MAX_BYTES = 100
    sample = (SAMPLES / "responses" / "KabulUygulamaYanitiOrnegi.xml").read_bytes()
    assert "limit is 100" in _only_parse_error(validate(sample))


def test_wrong_root(gib_package):
    message = _only_parse_error(validate(b"<CreditNote xmlns='urn:x'/>"))
    assert "unknown document type" in message


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0" encoding="UTF-16"?><Invoice/>'.encode("utf-8"),
        b'<?xml version="1.0" encoding="no-such-encoding"?><Invoice/>',
        '<?xml version="1.0" encoding="UTF-8"?><Invoice>ş</Invoice>'.encode("cp1254"),
    ],
    ids=["declares-utf16-is-utf8", "unknown-encoding", "declares-utf8-is-cp1254"],
)
def test_wrong_encoding_declaration(gib_package, document):
    _only_parse_error(validate(document))


def test_other_encodings_still_validate(gib_package):
    sample = (SAMPLES / "responses" / "IHRACAT_GTB_UygulamaYaniti_KABUL.xml").read_bytes()
    text = '<?xml version="1.0" encoding="windows-1254"?>' + sample.decode("utf-8-sig")
    assert validate(text.encode("cp1254")).valid


@pytest.mark.parametrize("sample", ["envelopes/2_TICARI_FATURA_ZARF.xml", "invoices/ubltr-1.2.1/TemelFaturaOrnegi.xml"])
def test_a_tree_the_caller_read_gets_the_verdict_its_bytes_get(gib_package, sample):
    xml = (SAMPLES / sample).read_bytes()
    tree = parsing.parse_untrusted(xml).tree
    assert validate(xml, tree=tree, platform=False) == validate(xml, platform=False)


def test_a_tree_the_caller_read_is_held_to_the_same_bounds(gib_package, settings):
    xml = (SAMPLES / "invoices/ubltr-1.2.1/TemelFaturaOrnegi.xml").read_bytes()
    tree = parsing.parse_untrusted(xml).tree
    settings.UBL_VALIDATION_MAX_BYTES = len(xml) - 1
    assert _only_parse_error(validate(xml, tree=tree)) == _only_parse_error(validate(xml))
