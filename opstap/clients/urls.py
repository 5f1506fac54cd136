from django.urls import path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/consents/", views.consent_record, name="consent_record"),
    path(
        "<int:pk>/consents/<int:consent_pk>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path(
        "<int:pk>/documents/<int:document_pk>/", views.document_download, name="document_download"
    ),
    path("<int:pk>/coaches/", views.coach_assign, name="coach_assign"),
    path(
        "<int:pk>/coaches/<int:assignment_pk>/remove/", views.coach_unassign, name="coach_unassign"
    ),
]
