from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/registrations/", views.registration_add, name="registration_add"),
    path(
        "<int:pk>/registrations/<int:registration_pk>/cancel/",
        views.registration_cancel,
        name="registration_cancel",
    ),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/outreach/", views.outreach, name="outreach"),
    path(
        "<int:pk>/outreach/<int:count_pk>/delete/",
        views.outreach_count_delete,
        name="outreach_count_delete",
    ),
    path("<int:pk>/leads/", views.lead_create, name="lead_create"),
    path("series/", views.series_list, name="series_list"),
    path("series/new/", views.series_create, name="series_create"),
    path("series/<int:pk>/", views.series_detail, name="series_detail"),
]
