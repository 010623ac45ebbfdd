"""UBL-TR namespaces and the qualified names the builder and parser share."""

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
# The seal's slot holds this element until signing replaces it with ds:Signature: GİB's schema wants
# exactly one element in ext:ExtensionContent (processContents="lax"), so an unsealed invoice stays valid.
SLOT_NS = "urn:efatura-integrator:seal-slot"
NSMAP = {None: INVOICE_NS, "cac": CAC, "cbc": CBC, "ext": EXT}
NS = {"inv": INVOICE_NS, "cac": CAC, "cbc": CBC, "ext": EXT}


def cac(name: str) -> str:
    return f"{{{CAC}}}{name}"


def cbc(name: str) -> str:
    return f"{{{CBC}}}{name}"
