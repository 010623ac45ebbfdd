from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Logging in"

    def ready(self):
        from accounts import lockout  # noqa: F401  (connects the lockout's log line)
