"""The designs' pages, under a tenant's address (included by ``tenants.urls``, in its namespace)."""

from django.urls import path

from designs import views

urlpatterns = [
    path("", views.designs_page, name="designs"),
    path("default/", views.design_default, name="design-default"),
    path("gib/", views.design_gib, name="design-gib"),
    path("<int:design_id>/", views.design_page, name="design"),
    path("<int:design_id>/view/", views.design_html, name="design-view"),
    path("<int:design_id>/pdf/", views.design_pdf, name="design-pdf"),
    path("<int:design_id>/activate/", views.design_activate, name="design-activate"),
]
