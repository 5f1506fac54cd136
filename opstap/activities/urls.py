from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("<id:pk>/", views.activity_detail, name="detail"),
    path("<id:pk>/edit/", views.activity_edit, name="edit"),
    path("<id:pk>/registrations/", views.registration_add, name="registration_add"),
    path(
        "<id:pk>/registrations/<id:registration_pk>/cancel/",
        views.registration_cancel,
        name="registration_cancel",
    ),
    path("<id:pk>/attendance/", views.attendance, name="attendance"),
    path("<id:pk>/outreach/", views.outreach, name="outreach"),
    path(
        "<id:pk>/outreach/<id:count_pk>/delete/",
        views.outreach_count_delete,
        name="outreach_count_delete",
    ),
    path("<id:pk>/leads/", views.lead_create, name="lead_create"),
    path("series/", views.series_list, name="series_list"),
    path("series/new/", views.series_create, name="series_create"),
    path("series/<id:pk>/", views.series_detail, name="series_detail"),
]
