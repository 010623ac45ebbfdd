"""The codes each provider answers a sending call with, as the gateway speaks them: the HTTP status
and the provider's own words (in its language: they are the provider's, not the platform's).

Netgsm: its REST v2 codes, as JSON with HTTP 200 (00) or 406; 500 and 503 are an HTTP failure
without a code, as a proxy or a server in trouble answers. Verimor: its reasons as the plain-text
body of an HTTP 400, 401 for a refused account, 429 for too many requests, 500. İleti Merkezi: its
status codes, which are the HTTP status too.
"""

NETGSM, VERIMOR, ILETIMERKEZI = "netgsm", "verimor", "iletimerkezi"
PROVIDERS = (NETGSM, VERIMOR, ILETIMERKEZI)

CODES: dict[str, dict[str, tuple[int, str]]] = {
    NETGSM: {
        "00": (200, "Gönderim kuyruğa alındı."),
        "20": (406, "Mesaj metnindeki bir problemden dolayı gönderilemedi veya standart maksimum mesaj karakter sayısı aşıldı."),
        "30": (406, "Geçersiz kullanıcı adı, şifre veya kullanıcınızın API erişim izni yok. IP sınırlaması varsa izinsiz bir IP'den istek yapıldı."),
        "40": (406, "Mesaj başlığınız (gönderici adınız) sistemde tanımlı değil."),
        "50": (406, "Abone hesabınız ile İYS kontrollü gönderimler yapılamamaktadır."),
        "51": (406, "Aboneliğinize tanımlı İYS Marka bilgisi bulunamadı."),
        "70": (406, "Hatalı sorgulama. Gönderdiğiniz parametrelerden birisi hatalı veya zorunlu alanlardan birinin eksik."),
        "80": (406, "Gönderim sınır aşımı."),
        "85": (406, "Mükerrer gönderim sınır aşımı. Aynı numaraya 1 dakika içerisinde 20'den fazla görev oluşturulamaz."),
        "100": (406, "Sistem hatası."),
        "101": (406, "Sistem hatası."),
        "500": (500, "Internal Server Error"),
        "503": (503, "Service Unavailable"),
    },
    VERIMOR: {
        "200": (200, ""),
        "INVALID_SOURCE_ADDRESS": (400, "Başlık kabul edilmedi."),
        "NUMERIC_SOURCE_ADDRESS_NOT_ALLOWED": (400, "Alfanümerik olmayan başlıklar API üzerinden kullanılamaz."),
        "MISSING_MESSAGE": (400, "Gönderilecek mesaj verilmemiş."),
        "MESSAGE_TOO_LONG": (400, "Mesaj çok uzun."),
        "MISSING_DESTINATION_ADDRESS": (400, "Mesaj için alıcı verilmemiş."),
        "INVALID_DESTINATION_ADDRESS": (400, "Alıcı telefon numarasının formatı geçersiz."),
        "INSUFFICIENT_CREDITS": (400, "Mesajı göndermek için yeterli bakiyeniz yok."),
        "FORBIDDEN_MESSAGE": (400, "Mesajınız yasak kelime(ler) içeriyor."),
        "MUKERRER_RAPORLAMA": (400, "24 saat içinde aynı SMS zaten gönderilmiş."),
        "INVALID_JSON": (400, "Geçersiz JSON."),
        "401": (401, "Geçersiz kullanıcı adı/şifre"),
        "429": (429, "Too Many Requests"),
        "500": (500, "Internal Server Error"),
    },
    ILETIMERKEZI: {
        "200": (200, "İşlem başarılı"),
        "400": (400, "İstek çözümlenemedi"),
        "401": (401, "Üyelik bilgileri hatalı"),
        "402": (402, "Bakiye yetersiz"),
        "404": (404, "API istek yapılan yönteme sahip değil"),
        "450": (450, "Gönderilen başlık kullanıma uygun değil"),
        "451": (451, "Tekrar eden sipariş"),
        "452": (452, "Mesaj alıcıları hatalı"),
        "453": (453, "Sipariş boyutu aşıldı"),
        "454": (454, "Mesaj metni boş"),
        "455": (455, "Sipariş bulunamadı"),
        "456": (456, "Sipariş gönderim tarihi henüz gelmedi"),
        "457": (457, "Mesaj gönderim tarihinin formatı hatalı"),
        "503": (503, "Sunucu geçici olarak servis dışı"),
    },
}
ACCEPTED = {NETGSM: "00", VERIMOR: "200", ILETIMERKEZI: "200"}
REFUSED_ACCOUNT = {NETGSM: "30", VERIMOR: "401", ILETIMERKEZI: "401"}  # wrong credentials


def normalize(provider: str, code: str) -> str:
    """*code* as the provider writes it (Verimor's reasons in capitals)."""
    code = code.strip()
    return code.upper() if provider == VERIMOR else code


def forcible(provider: str) -> list[str]:
    """The codes the gateway can be told to answer for *provider*: every one but acceptance."""
    return [code for code in CODES[provider] if code != ACCEPTED[provider]]
