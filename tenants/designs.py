"""A tenant's invoice design: an XSLT stylesheet embedded in every invoice it issues."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from lxml import etree

from schematron.parsing import syntax_error

XSL = "http://www.w3.org/1999/XSL/Transform"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def validate_xslt(value: str) -> None:
    """Well-formed, an xsl:stylesheet, and no DOCTYPE (nothing that could reach outside when shown)."""
    try:
        root = etree.fromstring(value.encode(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValidationError(_("The design is not well-formed XML: %(error)s"), code="xslt_syntax", params={"error": syntax_error(exc)}) from None
    if root.getroottree().docinfo.doctype or root.tag not in (f"{{{XSL}}}stylesheet", f"{{{XSL}}}transform"):
        raise ValidationError(_("The design must be an XSLT stylesheet (xsl:stylesheet)."), code="xslt_root")
