from django.urls import path

from . import views

app_name = "coaching"
urlpatterns = [
    path("me/", views.my_coaching, name="me"),
    path("volunteers/", views.volunteer_list, name="volunteers"),
    path("volunteers/<id:user_pk>/", views.volunteer_profile, name="volunteer_profile"),
    path("clients/<id:client_pk>/", views.client_coaching, name="client"),
    path("clients/<id:client_pk>/notes/", views.note_add, name="note_add"),
    path("clients/<id:client_pk>/notes/<id:note_pk>/edit/", views.note_edit, name="note_edit"),
    path("clients/<id:client_pk>/sessions/", views.session_log, name="session_log"),
    path(
        "clients/<id:client_pk>/routes/<id:trajectory_pk>/actions/",
        views.action_add,
        name="action_add",
    ),
    path(
        "clients/<id:client_pk>/actions/<id:action_pk>/done/",
        views.action_complete,
        name="action_complete",
    ),
    path(
        "clients/<id:client_pk>/actions/<id:action_pk>/cancel/",
        views.action_cancel,
        name="action_cancel",
    ),
    path("clients/<id:client_pk>/suggestions/", views.suggestions, name="suggestions"),
    path("clients/<id:client_pk>/coaches/", views.volunteer_assign, name="assign"),
]
