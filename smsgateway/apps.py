from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsGatewayConfig(AppConfig):
    name = "smsgateway"
    verbose_name = _("Local SMS gateway")
