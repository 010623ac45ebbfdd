"""GİB aliases (etiket): ``urn:mail:`` labels naming a sender unit (GB) or a postbox (PK)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALIAS_PREFIX = "urn:mail:"
# GİB aliases are e-mail-like labels in ASCII: no Turkish letters, no spaces.
_ADDRESS = re.compile(r"^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Labels that belong to GİB and the public bodies it routes for (the customs postboxes, the
# default labels of GİB's own portal users): never a taxpayer's.
RESERVED_DOMAINS = ("gib.gov.tr", "efatura.gov.tr", "gtb.gov.tr", "ticaret.gov.tr", "hmb.gov.tr")
# GİB's code list `ReservedAliases` (UBL-TR_Codelist.xml): system labels no user may take.
GIB_RESERVED_ALIASES = (
    "usergb", "gib", "archive", "earchive", "archive_earchive", "eticket", "edespatch", "esevoucher", "epreceipt",
    "esevoucher_archive", "epreceipt_archive", "erevenue", "echeck", "eexchangecert", "ebreceipt", "einsurancecomm",
)
RESERVED_LOCAL_PARTS = ("defaultgb", "defaultpk", *GIB_RESERVED_ALIASES)


def normalize_alias(value: str) -> str:
    """Aliases compare without regard to case or surrounding blanks; keep one spelling."""
    value = value.strip()
    if value[: len(ALIAS_PREFIX)].lower() == ALIAS_PREFIX:
        value = ALIAS_PREFIX + value[len(ALIAS_PREFIX) :]
    return value.lower()


def validate_alias(value: str) -> None:
    if not value.startswith(ALIAS_PREFIX):
        raise ValidationError(
            _("An alias has the form urn:mail:name@domain; %(value)s does not start with urn:mail:."),
            code="alias_prefix",
            params={"value": value},
        )
    address = value[len(ALIAS_PREFIX) :]
    if not _ADDRESS.match(address):
        raise ValidationError(
            _("%(value)s is not a valid alias: after urn:mail: comes an e-mail-like address in plain ASCII letters."),
            code="alias_address",
            params={"value": value},
        )
    local, _at, domain = address.partition("@")
    if local in RESERVED_LOCAL_PARTS or any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS):
        raise ValidationError(_("%(value)s is reserved by GİB and cannot be used."), code="alias_reserved", params={"value": value})
