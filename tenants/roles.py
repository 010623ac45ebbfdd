"""What each role in a tenant may do."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ACCOUNTANT = "accountant", _("Accountant")
    CLERK = "clerk", _("Clerk")
    VIEWER = "viewer", _("Viewer")


class Permission(models.TextChoices):
    VIEW = "view", _("View documents")
    ISSUE = "issue", _("Issue invoices")
    RESPOND = "respond", _("Accept or reject incoming invoices")
    EXPORT = "export", _("Export a period's documents")
    CONFIGURE = "configure", _("Manage aliases, number series and API keys")
    MANAGE_MEMBERS = "manage_members", _("Manage people and roles")


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Permission.values),
    Role.ACCOUNTANT: frozenset({Permission.VIEW, Permission.ISSUE, Permission.RESPOND, Permission.EXPORT, Permission.CONFIGURE}),
    Role.CLERK: frozenset({Permission.VIEW, Permission.ISSUE}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}
