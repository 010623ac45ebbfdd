"""What the platform rules need to know and the document cannot tell them: facts from the database.

Schematron reads only the document it checks. So before the platform rules run, the validator asks
the caller's lookup what they ask about and hands it to them as a small XML document (a stylesheet
parameter); the lookup is ``directory.lookup.is_postbox``, on a floor above the rules. Only what the
document itself names is looked up, and a document that needs nothing costs no query.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

# (VKN/TCKN, alias, document type of GİB's list) → whether it is one of that user's active postboxes.
PostboxLookup = Callable[..., bool]

SH = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
EF = "http://www.efatura.gov.tr/package-namespace"
NS = {"sh": SH, "ef": EF}

# The rule PLT-RECEIVER-POSTBOX (rules/platform.sch) reads the receivers with these same expressions,
# so the pairs looked up here are exactly the pairs it asks about.
RECEIVERS = "/sh:StandardBusinessDocument/sh:StandardBusinessDocumentHeader[sh:DocumentIdentification/sh:Type = 'SENDERENVELOPE']/sh:Receiver"
ALIAS = "normalize-space((sh:Identifier)[1])"
IDENTIFIER = "normalize-space((sh:ContactInformation[sh:ContactTypeIdentifier = 'VKN_TCKN']/sh:Contact)[1])"
ELEMENT_TYPE = "normalize-space((/sh:StandardBusinessDocument/ef:Package/Elements/ElementType)[1])"
# GİB's list keeps postboxes per document type; a SENDERENVELOPE of despatch advices goes to the
# e-İrsaliye postbox, anything else the platform sends (invoices) to the invoice postbox.
LIST_DOCUMENT_TYPE = {"DESPATCHADVICE": "DespatchAdvice"}


def receivers(tree: etree._ElementTree) -> list[tuple[str, str]]:
    """(VKN/TCKN, alias) of each receiver of a SENDERENVELOPE; [] for any other document."""
    return [(receiver.xpath(IDENTIFIER, namespaces=NS), receiver.xpath(ALIAS, namespaces=NS))
            for receiver in tree.xpath(RECEIVERS, namespaces=NS)]


def postboxes(tree: etree._ElementTree, is_postbox: PostboxLookup | None) -> str:
    """``<postboxes>`` with a ``<postbox identifier=… alias=…/>`` for each receiver of the envelope
    whose alias is one of its active postboxes (PK) on GİB's registered-user list, as *is_postbox*
    says; none without it."""
    found = etree.Element("postboxes")
    pairs = receivers(tree)
    document_type = LIST_DOCUMENT_TYPE.get(tree.xpath(ELEMENT_TYPE, namespaces=NS), "Invoice") if pairs else ""
    for identifier, alias in dict.fromkeys(pairs):
        # An empty VKN or alias is GİB's rules' to report; it is no one's postbox, so no query.
        if identifier and alias and is_postbox is not None and is_postbox(identifier, alias, document_type=document_type):
            etree.SubElement(found, "postbox", identifier=identifier, alias=alias)
    return etree.tostring(found, encoding="unicode")
