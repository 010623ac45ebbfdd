"""The e-mail to a tenant's owners when its credits fall below its threshold (``tenants.ledger``)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from tenants.models import CreditAccount, Membership
from tenants.roles import Role

logger = logging.getLogger(__name__)


def owners_emails(*, tenant_id: int) -> list[str]:
    emails = Membership.objects.filter(tenant_id=tenant_id, role=Role.OWNER).values_list("user__email", flat=True)
    return sorted({email for email in emails if email})


def credits_low_tell(*, tenant_id: int) -> list[str]:
    """Tell the owners the balance is low, as it stands now; who was told."""
    from tenants.ledger import credits_threshold

    account = CreditAccount.objects.select_related("tenant").get(tenant_id=tenant_id)
    recipients = owners_emails(tenant_id=tenant_id)
    if not recipients:
        logger.warning("%s: credits below the threshold and no owner has an e-mail address to be told", account.tenant)
        return []
    with translation.override(settings.LANGUAGE_CODE):
        facts = {"tenant": account.tenant.display_name, "balance": account.balance, "threshold": credits_threshold(account=account)}
        subject = _("%(tenant)s: %(balance)s credits left") % facts
        body = _("The credits of %(tenant)s have fallen below %(threshold)s: %(balance)s are left.\n\n"
                 "Each document sent uses one credit; at zero, invoices wait until credits are added. "
                 "Contact your integrator to buy credits.") % facts
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return recipients
