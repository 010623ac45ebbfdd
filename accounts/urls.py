from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.PasswordLoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login-code"),
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/start/", views.two_factor_start, name="two-factor-start"),
    path("two-factor/confirm/", views.two_factor_confirm, name="two-factor-confirm"),
    path("two-factor/disable/", views.two_factor_disable, name="two-factor-disable"),
    path("two-factor/backup-codes/", views.backup_codes, name="two-factor-backup-codes"),
]
