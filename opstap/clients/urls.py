from django.urls import path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<id:pk>/", views.client_detail, name="detail"),
    path("<id:pk>/edit/", views.client_edit, name="edit"),
    path("<id:pk>/national-number/", views.national_number, name="national_number"),
    path("<id:pk>/consents/", views.consent_record, name="consent_record"),
    path(
        "<id:pk>/consents/<id:consent_pk>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<id:pk>/documents/", views.document_upload, name="document_upload"),
    path("<id:pk>/documents/<id:document_pk>/", views.document_download, name="document_download"),
    path("<id:pk>/coaches/", views.coach_assign, name="coach_assign"),
    path("<id:pk>/coaches/<id:assignment_pk>/remove/", views.coach_unassign, name="coach_unassign"),
]
