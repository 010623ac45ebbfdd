from django.urls import path

from delivery import views

# The buyer's link: no login; the token is the only key.
urlpatterns = [
    path("<str:token>", views.buyer_page, name="buyer-page"),
    path("<str:token>/view", views.buyer_view, name="buyer-view"),
    path("<str:token>/pdf", views.buyer_pdf, name="buyer-pdf"),
    path("<str:token>/xml", views.buyer_xml, name="buyer-xml"),
]
