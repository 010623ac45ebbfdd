"""GİB's published package, as the tests read it (never copied into the repository)."""

from pathlib import Path

GIB = Path(__file__).resolve().parent.parent.parent / "shared" / "gib"
INVOICE_SAMPLES = sorted((GIB / "samples" / "invoices").glob("*/*.xml"))


def is_tr12(path: Path) -> bool:
    return b"<cbc:CustomizationID>TR1.2</cbc:CustomizationID>" in path.read_bytes()
