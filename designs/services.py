"""Writes for designs: an XSLT uploaded, checked in the sandbox the PDF and the display use, kept as a
version; one version made the tenant's design, or none (the default design) again."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from delivery.pdf import GIB_DESIGN
from designs.models import Design
from designs.preview import preview_html, preview_pdf
from integrator.errors import DomainError
from invoices.display import MAX_STYLESHEET_BYTES, DisplayError, compiled
from schematron.package import PackageError, active_package
from tenants.designs import validate_xslt
from tenants.models import Tenant
from tenants.services import tenant_set_design

NAME_MAX = Design._meta.get_field("name").max_length


class DesignRefused(DomainError):
    code = "design_refused"
    message = _("The design cannot be used: %(reason)s")


def design_check(*, tenant: Tenant, xslt: bytes) -> None:
    """Raises DesignRefused unless *xslt* compiles and draws the tenant's sample invoice as a page
    and as a PDF within the PDF worker's time and memory."""
    if len(xslt) > MAX_STYLESHEET_BYTES:
        raise DesignRefused(reason=_("it is larger than %(limit)s bytes.") % {"limit": MAX_STYLESHEET_BYTES})
    try:
        compiled(xslt)  # what the display refuses (a DOCTYPE, an include, not XSLT), in its words
        validate_xslt(xslt.decode("utf-8"))  # what an invoice may embed
    except UnicodeDecodeError:
        raise DesignRefused(reason=_("it is not UTF-8 text.")) from None
    except ValidationError as exc:
        raise DesignRefused(reason=" ".join(exc.messages)) from None
    except DisplayError as exc:
        raise DesignRefused(reason=str(exc)) from None
    try:
        preview_pdf(tenant=tenant, xslt=xslt)  # first: the worker stops a design that loops or grows
        preview_html(tenant=tenant, xslt=xslt)
    except DisplayError as exc:
        raise DesignRefused(reason=str(exc)) from None


def design_upload(*, tenant: Tenant, name: str, file_name: str, data: bytes, by) -> Design:
    """Keep *data* as a new version of the tenant's design, once checked; it is not active yet."""
    name = (name.strip() or file_name.rsplit(".", 1)[0].strip())[:NAME_MAX]
    if not data.strip():
        raise DesignRefused(reason=_("the file is empty."))
    if not name:
        raise DesignRefused(reason=_("it needs a name."))
    design_check(tenant=tenant, xslt=data)
    return Design.objects.create(
        tenant=tenant, name=name, file_name=file_name[:255], xslt=data.decode("utf-8"), size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=by)


@transaction.atomic
def design_activate(*, tenant: Tenant, design_id: int) -> Design:
    """Make the version the tenant's design: every invoice built from now on embeds it."""
    Tenant.objects.select_for_update().filter(id=tenant.id).get()
    design = Design.objects.select_for_update().get(tenant=tenant, id=design_id)
    Design.objects.filter(tenant=tenant, is_active=True).exclude(id=design.id).update(is_active=False)
    design.is_active, design.activated_at = True, timezone.now()
    design.save(update_fields=["is_active", "activated_at"])
    tenant_set_design(tenant=tenant, xslt=design.xslt)
    return design


@transaction.atomic
def design_use_default(*, tenant: Tenant) -> Tenant:
    """No design of the tenant's: invoices built from now on embed the platform's default design."""
    Tenant.objects.select_for_update().filter(id=tenant.id).get()
    Design.objects.filter(tenant=tenant, is_active=True).update(is_active=False)
    return tenant_set_design(tenant=tenant, xslt="")


def design_use_gib(*, tenant: Tenant, by) -> Design:
    """GİB's own design (``general.xslt`` of the installed package) made the tenant's: kept as a version
    like an uploaded one (the same version again if the tenant has it already), then chosen."""
    try:
        path = active_package().path / "xslt" / GIB_DESIGN
    except PackageError:
        path = None
    if path is None or not path.is_file():
        raise DesignRefused(reason=_("GİB's design is not in the installed GİB package."))
    data = path.read_bytes()
    design = Design.objects.filter(tenant=tenant, sha256=hashlib.sha256(data).hexdigest()).first()
    if design is None:
        design = design_upload(tenant=tenant, name=f"GİB {GIB_DESIGN}", file_name=GIB_DESIGN, data=data, by=by)
    return design_activate(tenant=tenant, design_id=design.id)
