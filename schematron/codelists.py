"""GİB's code lists (``UBL-TR_Codelist.xml`` of the installed package), read as the schematron
reads them: each a ``,A,B,…,`` string bound to a name. The portal's form offers them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from schematron.compiler import _code_lists
from schematron.package import active_package

CODELIST = "UBL-TR_Codelist.xml"


@lru_cache(maxsize=4)
def _read(path: Path, _stamp: float) -> dict[str, list[str]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return _code_lists(etree.parse(str(path), parser).getroot())


def code_list(name: str) -> list[str]:
    """The codes GİB's list *name* holds (``WithholdingTaxType``, ``UnitCodeList``, …), in GİB's
    order; empty when the installed package has no such list."""
    path = active_package().schematron.parent / CODELIST
    return [code for code in _read(path, path.stat().st_mtime).get(name, []) if code]
