from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from tenants import audit

        user_logged_in.connect(audit.on_logged_in, dispatch_uid="audit-login")
        user_logged_out.connect(audit.on_logged_out, dispatch_uid="audit-logout")
        user_login_failed.connect(audit.on_login_failed, dispatch_uid="audit-login-failed")
