from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("clients/<id:pk>/export/", views.export_create, name="export_create"),
    path("clients/<id:pk>/restriction/", views.restriction, name="restriction"),
    path("clients/<id:pk>/erase/", views.erase, name="erase"),
    path("exports/<id:pk>/", views.export_status, name="export_status"),
    path("exports/<id:pk>/download/", views.export_download, name="export_download"),
    path("restricted/", views.restricted_list, name="restricted"),
    path("register/", views.processing_register, name="register"),
    path("register.pdf", views.processing_register_pdf, name="register_pdf"),
    path("retention/", views.retention_runs, name="retention"),
    path("retention/<id:pk>/", views.retention_run_detail, name="retention_run"),
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/new/", views.breach_create, name="breach_create"),
    path("breaches/<id:pk>/", views.breach_edit, name="breach_edit"),
]
