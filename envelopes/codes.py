"""GİB's envelope status codes (Zarf Durum Kodları) and sendDocument's SOAP faults, as data.

Where the texts come from: the Turkish texts are GİB's own, from its list of envelope status codes
in the e-Fatura application documents, as the integrators reproduce it (Logo, Nilvera, e-Faturam
and others publish the same table with GİB's advice per code) and as code tables in public client
libraries carry it; GİB's service itself sends them ASCII-folded ("ZARF KUYRUGA EKLENDI"), which is
why statuses are keyed by code and never by text. GİB's UBL-TR_Codelist.xml (AppResponseCodeType)
confirms which codes a system response may carry, 1191 among them. The SOAP faults 2000–2006 are in
the same client tables; 2007 is in GİB's Ek-3 (Yazılım Standartları ve Nesne Yapısı v1.4). The English
texts are ours.

Each status says whether it is final for the envelope and what to do with the envelope's documents:
WAIT (poll again), FIX_AND_RESEND (GİB refused the envelope: mend what it names; the same ETTN may
be sent again, GİB says so for 1110–1195), NEVER_RESEND (1163: GİB already holds the invoice, a new
copy would be a duplicate), RESEND (GİB gave up delivering: send the same documents in a new
envelope), ATTENTION_AFTER_48H (1220: the receiver has not answered; a person looks after 48 hours),
DONE (1300). A code we do not know needs a person, and is not final: it must never crash a poller.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    WAIT = "wait"
    FIX_AND_RESEND = "fix_and_resend"
    NEVER_RESEND = "never_resend"
    RESEND = "resend"
    ATTENTION_AFTER_48H = "attention_after_48h"
    DONE = "done"
    ATTENTION = "attention"  # a code we do not know, or a fault a person must look at


@dataclass(frozen=True)
class Status:
    code: int
    text_tr: str
    text_en: str
    final: bool
    action: Action
    known: bool = True


def _refused(code: int, text_tr: str, text_en: str) -> Status:
    # GİB's advice for every refusal 1110–1195 but 1163: "Faturalar yeniden gönderilmeli (faturanın aynı
    # ETTN ile tekrar gönderimine izin verilir)".
    return Status(code, text_tr, text_en, True, Action.FIX_AND_RESEND)


STATUSES: dict[int, Status] = {s.code: s for s in (
    Status(1000, "ZARF KUYRUĞA EKLENDİ", "The envelope is queued at GİB.", False, Action.WAIT),
    Status(1100, "ZARF İŞLENİYOR", "GİB is processing the envelope.", False, Action.WAIT),
    _refused(1110, "ZIP DOSYASI DEĞİL", "The envelope file is not a zip."),
    # GİB's list explains 1111 as "ZARF ID uzunluğu 32 karakterden farklıysa"; its envelope schematron
    # (UUIDCheck) asks the 36-character hyphenated UUID, which is what we send.
    _refused(1111, "ZARF ID UZUNLUĞU GEÇERSİZ", "The envelope ID has an invalid length."),
    _refused(1120, "ZARF ARŞİVDEN KOPYALANAMADI", "GİB could not copy the envelope from its archive (a fault on GİB's side)."),
    _refused(1130, "ZIP AÇILAMADI", "GİB could not open the zip."),
    _refused(1131, "ZIP BİR DOSYA İÇERMELİ", "The zip must hold exactly one file."),
    _refused(1132, "XML DOSYASI DEĞİL", "The file in the zip is not XML."),
    _refused(1133, "ZARF ID VE XML DOSYASININ ADI AYNI OLMALI", "The XML file in the zip must be named after the envelope ID."),
    _refused(1140, "DOKÜMAN AYRIŞTIRILAMADI", "GİB could not parse the document."),
    _refused(1141, "ZARF ID YOK", "The envelope has no ID."),
    _refused(1142, "ZARF ID VE ZIP DOSYASI ADI AYNI OLMALI", "The zip must be named after the envelope ID."),
    _refused(1143, "GEÇERSİZ VERSİYON", "The envelope or document version is not one GİB accepts."),
    _refused(1150, "SCHEMATRON KONTROL SONUCU HATALI", "The envelope failed GİB's schematron rules."),
    _refused(1160, "XML ŞEMA KONTROLÜNDEN GEÇEMEDİ", "The envelope failed GİB's XML schema check."),
    _refused(1161, "İMZA SAHİBİ TCKN VKN ALINAMADI", "GİB could not read the signer's VKN/TCKN from the seal."),
    _refused(1162, "İMZA KAYDEDİLEMEDİ", "GİB could not record the signature."),
    Status(1163, "GÖNDERİLEN ZARF SİSTEMDE DAHA ÖNCE KAYITLI OLAN BİR FATURAYI İÇERMEKTEDİR",
           "The envelope holds an invoice GİB has already registered; sending it again would duplicate it.",
           True, Action.NEVER_RESEND),
    _refused(1170, "YETKİ KONTROL EDİLEMEDİ", "GİB could not check the authorisation."),
    _refused(1171, "GÖNDERİCİ BİRİM YETKİSİ YOK", "The sender unit (GB alias) is not authorised."),
    _refused(1172, "POSTA KUTUSU YETKİSİ YOK", "The postbox (PK alias) is not authorised."),
    _refused(1175, "İMZA YETKİSİ KONTROL EDİLEMEDİ", "GİB could not check the signer's authority."),
    _refused(1176, "İMZA SAHİBİ YETKİSİZ", "The signer is not authorised to sign for the sender."),
    _refused(1177, "GEÇERSİZ İMZA", "The signature is invalid."),
    _refused(1180, "ADRES KONTROL EDİLEMEDİ", "GİB could not check the receiver's address (alias)."),
    _refused(1181, "ADRES BULUNAMADI", "The receiver's address (alias) does not exist."),
    _refused(1182, "KULLANICI EKLENEMEDİ", "GİB could not add the user."),
    _refused(1183, "KULLANICI SİLİNEMEDİ", "GİB could not delete the user."),
    _refused(1190, "SİSTEM YANITI HAZIRLANAMADI", "GİB could not prepare the system response."),
    # No published text found for 1191: GİB lists it only among the system-response codes
    # (AppResponseCodeType), between 1190 and 1195, both system-side failures.
    _refused(1191, "Sistem yanıtı hatası (GİB bu kod için metin yayımlamamıştır)", "A system response fault (GİB publishes no text for this code)."),
    _refused(1195, "SİSTEM HATASI", "A system error at GİB."),
    Status(1200, "ZARF BAŞARIYLA İŞLENDİ", "GİB processed the envelope and is delivering it to the receiver.", False, Action.WAIT),
    Status(1210, "DOKÜMAN BULUNAN ADRESE GÖNDERİLEMEDİ", "GİB could not deliver to the receiver's address yet; it keeps trying.", False, Action.WAIT),
    Status(1215, "DOKÜMAN GÖNDERİMİ BAŞARISIZ. TEKRAR GÖNDERME SONLANDI", "Delivery failed and GİB has stopped trying; send the documents again.", True, Action.RESEND),
    Status(1220, "HEDEFTEN SİSTEM YANITI GELMEDİ", "The receiver has not answered yet; if it stays so for 48 hours, a person must look.", False, Action.ATTENTION_AFTER_48H),
    Status(1230, "HEDEFTEN SİSTEM YANITI BAŞARISIZ GELDİ", "The receiver answered that it could not process the envelope; send the documents again.", True, Action.RESEND),
    Status(1300, "BAŞARIYLA TAMAMLANDI", "Delivered: the receiver has the documents.", True, Action.DONE),
)}


def _as_int(code: int | str) -> int | None:
    try:
        return int(str(code).strip())
    except ValueError:
        return None


def status(code: int | str) -> Status:
    """The entry for GİB's *code* (as int or text); an unknown code gets a not-final ATTENTION entry."""
    number = _as_int(code)
    if number in STATUSES:
        return STATUSES[number]
    return Status(number if number is not None else -1, f"BİLİNMEYEN DURUM KODU: {code}",
                  f"Unknown GİB status code {code}; a person must look at the envelope.", False, Action.ATTENTION, known=False)


# --- sendDocument / getApplicationResponse SOAP faults (EFaturaFault code, msg) ----------------------


@dataclass(frozen=True)
class Fault:
    code: int
    text_tr: str
    text_en: str
    meaning: str  # what it tells us about the envelope, and why the action
    action: Action
    known: bool = True


FAULTS: dict[int, Fault] = {f.code: f for f in (
    Fault(2000, "ÖZET DEĞERLER EŞİT DEĞİL", "Hash values differ.",
          "The MD5 GİB computed over the zip it received is not the one we sent: the transfer damaged it. Send the same zip again.",
          Action.RESEND),
    Fault(2001, "ZARF ID SİSTEMDE MEVCUT", "Envelope ID already exists.",
          "GİB already holds an envelope with this UUID (an earlier send got through). Do not send it again; poll its status.",
          Action.WAIT),
    Fault(2002, "ZARF ARŞİVE EKLENEMEDİ", "The envelope could not be archived.",
          "GİB failed to store the envelope it received (its side). Send the same zip again later.", Action.RESEND),
    Fault(2003, "ZARF KUYRUĞA EKLENEMEDİ", "The envelope could not be queued.",
          "GİB stored the envelope but could not queue it (its side). Send the same zip again later.", Action.RESEND),
    Fault(2004, "ZARF ID BULUNAMADI", "Envelope ID not found.",
          "GİB knows no envelope with the UUID we asked about: it never arrived. A person decides whether to send it.",
          Action.ATTENTION),
    Fault(2005, "SİSTEM HATASI", "System error.",
          "GİB could not read the request's parameters or data, or failed itself. Send again later; if it persists, a person looks.",
          Action.RESEND),
    Fault(2006, "GEÇERSİZ ZARF ADI", "Invalid envelope name.",
          "The zip's name is not a GUID followed by .zip. Our packing is wrong: fix it, then send.", Action.FIX_AND_RESEND),
    Fault(2007, "PAKET GÖNDERMEYE VE SORGULAMAYA YETKİNİZ GEÇİCİ OLARAK KALDIRILMIŞTIR", "Sending and querying are temporarily suspended for you.",
          "GİB has suspended the integrator's right to send and query. Nothing can be sent until a person resolves it with GİB.",
          Action.ATTENTION),
)}


def fault(code: int | str) -> Fault:
    """The entry for a SOAP fault *code*; an unknown one needs a person and must not crash the client."""
    number = _as_int(code)
    if number in FAULTS:
        return FAULTS[number]
    return Fault(number if number is not None else -1, f"BİLİNMEYEN HATA KODU: {code}", f"Unknown GİB fault code {code}.",
                 "GİB answered with a fault we do not know; a person must look.", Action.ATTENTION, known=False)
