"""Payloads for each profile and type, as an ERP would post them; each passes GİB's rules. They are
dated the tests' day (tests/clock.py)."""

import copy

from tests.clock import TODAY

CUSTOMER = {
    "vkn": "4840847211",
    "name": "B Gıda Ltd. Şti.",
    "tax_office": "Çankaya",
    "email": "muhasebe@b-gida.com.tr",
    "address": {"street": "Atatürk Bulvarı", "building_number": "100", "district": "Çankaya", "city": "Ankara", "postal_code": "06680"},
}
PERSON = {
    "tckn": "10000000146",
    "first_name": "Ayşe",
    "last_name": "Yılmaz",
    "address": {"district": "Kadıköy", "city": "İstanbul"},
}
LINE = {"name": "Pamuklu kumaş", "quantity": "12.5", "unit": "MTR", "unit_price": "40.10", "kdv_rate": "20"}
SERVICE = {"name": "Danışmanlık", "quantity": "3", "unit": "HUR", "unit_price": "1500", "kdv_rate": "20",
           "allowances": [{"amount": "150", "reason": "İskonto"}]}


def payload(profile: str = "TICARIFATURA", type_: str = "SATIS", **extra) -> dict:
    data = {"profile": profile, "type": type_, "issue_date": TODAY.isoformat(), "issue_time": "14:05:00",
            "customer": CUSTOMER, "lines": [LINE, SERVICE]}
    data.update(extra)
    return copy.deepcopy(data)


EXPORT = {
    "incoterms": "CIF",
    "transport_mode": "1",
    "delivery_address": {"street": "Avon Way 56A", "district": "Centre", "city": "Bridgtow", "country": "Great Britain", "country_code": "GB"},
    "buyer": {"name": "Farthing Purchasing Consortium", "tax_number": "175 269 2355",
              "address": {"district": "Centre", "city": "Bridgtow", "country": "Great Britain", "country_code": "GB"}},
}
EXEMPT = {"kdv_rate": "0", "kdv_exemption_code": "301", "kdv_exemption_reason": "11/1-a Mal ihracatı"}

CASES = {
    "temel_satis": payload("TEMELFATURA"),
    "ticari_satis": payload("TICARIFATURA"),
    "earsiv_satis": payload("EARSIVFATURA", customer=PERSON),
    "temel_iade": payload("TEMELFATURA", "IADE", returns=[{"id": "AAA2026000000001", "issue_date": "2026-11-01"}]),
    "temel_tevkifat": payload("TEMELFATURA", "TEVKIFAT", lines=[{**SERVICE, "withholding": {"code": "606", "rate": "90"}}]),
    "temel_istisna": payload("TEMELFATURA", "ISTISNA", lines=[{**LINE, **EXEMPT}]),
    "temel_ozelmatrah": payload("TEMELFATURA", "OZELMATRAH", lines=[{**LINE, "special_base": "300.00",
                                "kdv_exemption_code": "806", "kdv_exemption_reason": "Tütün Mamülleri ve Bazı Alkollü İçkiler"}]),
    "temel_ihrackayitli": payload("TEMELFATURA", "IHRACKAYITLI", lines=[{**LINE, "kdv_rate": "0", "kdv_exemption_code": "701",
                                  "kdv_exemption_reason": "3065 s. KDV 11/1-c md. İhraç Kayıtlı Teslimler"}]),
    "ihracat_istisna": payload("IHRACAT", "ISTISNA", customer=None, export=EXPORT, currency="USD", exchange_rate="34.2150",
                               lines=[{**LINE, **EXEMPT, "gtip": "520812110000", "package": {"id": "UACU2451999", "quantity": "1", "type": "CN"}}]),
    "kamu_satis": payload("KAMU", payment={"iban": "TR330006100519786457841326"}, buyer={**CUSTOMER, "vkn": "9000068418", "name": "Ankara Büyükşehir Belediyesi"}),
}
