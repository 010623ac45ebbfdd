"""Laying the page out on A4 with weasyprint 70.

- **Fonts**: DejaVu only (``fonts.conf``: Debian's fonts-dejavu-core, every Turkish letter in every
  face). Whatever family a design names becomes DejaVu Sans, or DejaVu Serif or Sans Mono for the
  serif and fixed-width names it knows. A design's own ``@font-face`` (from a ``data:`` URL) is
  honoured for that page alone: a font configuration that took one is not used again, so no design
  can change the letters of the next invoice.
- **Nothing from outside**: the URL fetcher gives ``data:`` URLs, the DejaVu font files and the
  platform's own assets (``delivery/static/delivery/``), and refuses anything else (the file system,
  the network), which weasyprint then draws without. There is no base URL, so a relative address
  names nothing. weasyprint runs no JavaScript; ``page`` removes the scripts anyway.
- **The platform's stylesheet**, a user stylesheet with ``!important`` (it wins over the design's):
  A4 pages, the karekod visible at its size, the phrases block. A design's plain stylesheets are
  given beside it, each parsed once for all the pages that have it (``page._plain_styles``).
- **Metadata**: title the invoice number, subject its kind, number and ETTN, author the supplier,
  created its issue date, no attachments. The same page gives the same bytes.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

logging.getLogger("weasyprint").setLevel(logging.ERROR)  # each refused URL and unknown CSS property, else,
logging.getLogger("fontTools").setLevel(logging.WARNING)  # and its subsetting glyph by glyph at INFO

import weasyprint  # noqa: E402  (its loggers quiet first: importing it parses its own stylesheets, and says so)
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from delivery.rendering.page import Page  # noqa: E402

logger = logging.getLogger(__name__)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONTS_CONF = Path(__file__).with_name("fonts.conf")
ASSETS = Path(__file__).resolve().parent.parent / "static" / "delivery"
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KINDS = {"EARSIVFATURA": "e-Arşiv Fatura"}
PLATFORM_CSS = """
@page { size: A4 !important; }
#qrcode { display: block !important; visibility: visible !important; width: 34mm !important; height: 34mm !important; }
img.karekod { display: block !important; visibility: visible !important; opacity: 1 !important; width: 34mm !important;
              image-rendering: pixelated !important;
              height: 34mm !important; max-width: none !important; margin: 0 !important; position: static !important;
              transform: none !important; }
div.karekod-corner { display: block !important; visibility: visible !important; float: right !important;
                     width: 34mm !important; height: 34mm !important; margin: 0 0 3mm 4mm !important; }
div.platform-phrases { display: block !important; visibility: visible !important; clear: both !important;
                       margin-top: 4mm !important; padding-top: 2mm !important; border-top: 0.5pt solid #666 !important;
                       font: 8pt/1.35 "DejaVu Sans", sans-serif !important; color: #000 !important; }
div.platform-phrases p { display: block !important; margin: 0 0 1mm !important; font: inherit !important; color: inherit !important; }
div.platform-phrases table { display: table !important; border-collapse: collapse !important; table-layout: fixed !important;
                             width: 120mm !important; margin-top: 1mm !important; }
div.platform-phrases th, div.platform-phrases td { border: 0.5pt solid #888 !important; padding: 0.5mm 2mm !important;
                             text-align: left !important; font: inherit !important; color: inherit !important; }
div.platform-phrases th { width: 40mm !important; font-weight: bold !important; }
"""


def pdf_of(page: Page) -> bytes:
    """The PDF of *page*. weasyprint's own errors are the caller's to word (``worker``)."""
    fonts = _font_configuration()
    document = weasyprint.HTML(string=page.html, base_url=None, url_fetcher=FETCHER).render(
        font_config=fonts, stylesheets=[*map(_design_css, page.styles), _platform_css()])
    _describe(document.metadata, page)
    pdf = document.write_pdf()
    if fonts.taken_from_design:
        _forget(fonts)
    return pdf


def warm() -> None:
    """Fonts found and one page laid out, once per process: a worker forked after it starts warm."""
    global _warm
    if not _warm:
        pdf_of(Page("<p>Ödenecek Tutar: çğıöşü ÇĞİÖŞÜ</p>", {"no": "", "ettn": "", "senaryo": "", "tarih": ""}, ""))
        _warm = True


_warm = False


def _describe(metadata, page: Page) -> None:
    facts = page.facts
    kind = KINDS.get(facts["senaryo"], "e-Fatura")
    metadata.title = facts["no"] or kind
    metadata.description = f"{kind} {facts['no']} ETTN {facts['ettn']}".strip()
    metadata.authors = [page.supplier] if page.supplier else []
    metadata.keywords = [word for word in (kind, facts["no"], facts["ettn"]) if word]
    metadata.generator = "e-Fatura / e-Arşiv entegratörü"
    metadata.created = facts["tarih"] if ISO_DAY.match(facts["tarih"]) else None
    metadata.modified = None
    metadata.lang = "tr"
    metadata.attachments = []  # a design's <link rel=attachment> embeds nothing
    metadata.custom = {}


# --- what weasyprint may read -------------------------------------------------------------------------


class Refused(ValueError):
    """A URL the fetcher does not give: weasyprint logs it and draws the page without it."""


class _Fetcher(URLFetcher):
    def __init__(self):
        super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = _platform_file(url)
        if path is None:
            logger.info("the invoice's page asked for %s: refused", url[:120])
            raise Refused(f"{url[:120]}: not one of the platform's files")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": media_type})


def _platform_file(url: str) -> Path | None:
    """The platform's font or asset a ``file:`` URL names, after every link is followed; else None."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(os.path.realpath(url2pathname(unquote(parts.path))))
    inside = (path.parent == _real(DEJAVU) and path.suffix == ".ttf") or _real(ASSETS) in path.parents
    return path if inside and path.is_file() else None


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


FETCHER = _Fetcher()


# --- fonts and the platform's stylesheet -----------------------------------------------------------------


class _Fonts(FontConfiguration):
    taken_from_design = False

    def add_font_face(self, rule_descriptors, url_fetcher):
        self.taken_from_design = True
        return super().add_font_face(rule_descriptors, url_fetcher)


_lock = threading.Lock()
_fonts: _Fonts | None = None
_css: weasyprint.CSS | None = None


def _font_configuration() -> _Fonts:
    """weasyprint reads fontconfig's configuration from FONTCONFIG_FILE when it makes one: ours, for
    that moment only."""
    global _fonts
    with _lock:
        if _fonts is None:
            before = os.environ.get("FONTCONFIG_FILE")
            os.environ["FONTCONFIG_FILE"] = str(FONTS_CONF)
            try:
                _fonts = _Fonts()
            finally:
                if before is None:
                    del os.environ["FONTCONFIG_FILE"]
                else:
                    os.environ["FONTCONFIG_FILE"] = before
        return _fonts


def _forget(fonts: _Fonts) -> None:
    global _fonts
    with _lock:
        if _fonts is fonts:
            _fonts = None


@lru_cache(maxsize=64)
def _design_css(text: str) -> weasyprint.CSS:
    """A design's plain stylesheet (``page._plain_styles``: no ``@font-face`` or other rule that
    leaves anything in the font configuration), parsed once for every page that has it."""
    return weasyprint.CSS(string=text, url_fetcher=FETCHER)


def _platform_css() -> weasyprint.CSS:
    global _css
    if _css is None:
        _css = weasyprint.CSS(string=PLATFORM_CSS, url_fetcher=FETCHER)
    return _css
