from django.urls import path

from gibhub import views

app_name = "gibhub"
urlpatterns = [
    path("services/EFatura", views.efatura_service, name="efatura"),
    path("services/EArsivWs", views.earsiv_service, name="earsiv"),
    path("userlist/newUserGbListxml.zip", views.userlist, {"kind": "GB"}, name="userlist-gb"),
    path("userlist/newUserPkListxml.zip", views.userlist, {"kind": "PK"}, name="userlist-pk"),
]
