from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.start, name="start"),
    path("import/", views.confirm, name="confirm"),
    path("cancel/", views.cancel, name="cancel"),
    path("samples/<slug:kind>.<slug:extension>", views.sample, name="sample"),
]
