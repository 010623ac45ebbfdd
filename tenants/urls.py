from django.urls import path

from tenants import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("t/switch/", views.switch, name="switch"),
    path("t/<str:identifier>/", views.dashboard, name="dashboard"),
]
