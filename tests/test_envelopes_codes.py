"""GİB's envelope status codes and SOAP faults: every code GİB lists, with both texts and an action."""

import pytest
from lxml import etree

from envelopes import packing, sbdh
from envelopes.codes import FAULTS, STATUSES, Action, fault, status
from tests.gib import GIB

LISTED = [1000, 1100, 1110, 1111, 1120, 1130, 1131, 1132, 1133, 1140, 1141, 1142, 1143, 1150, 1160, 1161, 1162, 1163,
          1170, 1171, 1172, 1175, 1176, 1177, 1180, 1181, 1182, 1183, 1190, 1191, 1195, 1200, 1210, 1215, 1220, 1230, 1300]
ACTIONS = {
    1000: Action.WAIT, 1100: Action.WAIT, 1200: Action.WAIT, 1210: Action.WAIT,
    1163: Action.NEVER_RESEND,
    1215: Action.RESEND, 1230: Action.RESEND,
    1220: Action.ATTENTION_AFTER_48H,
    1300: Action.DONE,
    **{code: Action.FIX_AND_RESEND for code in LISTED if 1110 <= code <= 1195 and code != 1163},
}


def test_the_table_holds_every_listed_code_and_no_other():
    assert sorted(STATUSES) == LISTED


@pytest.mark.parametrize("code", LISTED)
def test_each_code_has_both_texts_an_action_and_finality(code):
    entry = status(code)
    assert entry.code == code and entry.known
    assert entry.text_tr.strip() and entry.text_en.strip() and entry.text_tr != entry.text_en
    assert entry.action == ACTIONS[code]
    assert entry.final == (code not in (1000, 1100, 1200, 1210, 1220))


def test_the_codes_a_system_response_may_carry_are_known():
    # GİB's code list names them; a receiver's system response must never be "unknown" to us.
    codelist = (GIB / "schematron/UBL-TR_Codelist.xml").read_text(encoding="utf-8")
    line = next(line for line in codelist.splitlines() if 'name="AppResponseCodeType"' in line)
    codes = [int(c) for c in line.split('value="', 1)[1].split('"', 1)[0].strip("',").split(",")]
    assert all(status(c).known for c in codes)


@pytest.mark.parametrize("code, words", [
    (1000, "KUYRUĞA EKLENDİ"), (1163, "DAHA ÖNCE KAYITLI"), (1220, "SİSTEM YANITI GELMEDİ"), (1300, "BAŞARIYLA TAMAMLANDI"),
])
def test_texts_are_gibs(code, words):
    assert words in status(code).text_tr


def test_codes_are_read_from_text_too():
    assert status("1300") is status(1300) and status(" 1163 ").action is Action.NEVER_RESEND


@pytest.mark.parametrize("code", [1235, 9999, "", "abc", None])
def test_an_unknown_code_needs_a_person_and_does_not_crash(code):
    entry = status(code)
    assert (entry.known, entry.final, entry.action) == (False, False, Action.ATTENTION)
    assert str(code) in entry.text_en


def test_the_system_response_in_gibs_samples_reads_as_processed():
    # GİB's sample system envelope answers with 1200 (BASARIYLA ISLENDI): processed, delivery follows.
    envelope = sbdh.parse_envelope((GIB / "samples/envelopes/1_SISTEM_YANITI_MERKEZ.xml").read_bytes())
    response = etree.fromstring(envelope.documents[0])
    code = response.findtext(".//{*}LineResponse/{*}Response/{*}ResponseCode")
    assert (status(code).code, status(code).action, status(code).final) == (1200, Action.WAIT, False)


# --- SOAP faults --------------------------------------------------------------------------------------


def test_every_fault_2000_to_2007_is_known():
    assert sorted(FAULTS) == list(range(2000, 2008))
    assert all(f.text_tr and f.text_en and f.meaning and f.known for f in FAULTS.values())


@pytest.mark.parametrize("code, words, action", [
    (2000, "ÖZET DEĞERLER EŞİT DEĞİL", Action.RESEND),
    (2001, "ZARF ID SİSTEMDE MEVCUT", Action.WAIT),  # already there: poll, never send a second copy
    (2004, "ZARF ID BULUNAMADI", Action.ATTENTION),
    (2006, "GEÇERSİZ ZARF ADI", Action.FIX_AND_RESEND),
])
def test_faults_say_what_gib_says_and_what_to_do(code, words, action):
    assert (fault(code).text_tr, fault(code).action) == (words, action)


def test_an_unknown_fault_needs_a_person():
    assert (fault("5000").known, fault("5000").action) == (False, Action.ATTENTION)


def test_our_unpacking_errors_name_codes_in_the_tables():
    errors = [packing.HashMismatch, packing.BadZipName, packing.NotAZip, packing.ZipBroken, packing.NotOneEntry,
              packing.NotXmlEntry, packing.UnsafeEntryName, packing.EntryNameMismatch, packing.EnvelopeUnreadable,
              packing.NoEnvelopeId, packing.ZipNameMismatch, sbdh.DuplicateIds, sbdh.NotAnEnvelope]
    for error in errors:
        entry = fault(error.gib_code) if error.gib_code >= 2000 else status(error.gib_code)
        assert entry.known, error
