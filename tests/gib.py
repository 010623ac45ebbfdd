"""GİB's published package, as the tests read it (never copied into the repository): the folder
settings.GIB_PACKAGE_SOURCE names, ``../shared/gib/`` unless GIB_PACKAGE_SOURCE says otherwise."""

from pathlib import Path

from django.conf import settings

GIB = Path(settings.GIB_PACKAGE_SOURCE)
INVOICE_SAMPLES = sorted((GIB / "samples" / "invoices").glob("*/*.xml"))


def is_tr12(path: Path) -> bool:
    return b"<cbc:CustomizationID>TR1.2</cbc:CustomizationID>" in path.read_bytes()
