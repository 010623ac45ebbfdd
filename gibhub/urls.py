from django.urls import path

app_name = "gibhub"
urlpatterns: list = []
