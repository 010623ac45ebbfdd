from django.urls import path

from smsgateway import views

app_name = "smsgateway"
urlpatterns = [
    path("netgsm/sms/rest/v2/send", views.netgsm_send, name="netgsm-send"),
    path("verimor/v2/send.json", views.verimor_send, name="verimor-send"),
    path("iletimerkezi/v1/send-sms/json", views.iletimerkezi_send, name="iletimerkezi-send"),
]
