from django.urls import path

from . import views

app_name = "journeys"
urlpatterns = [
    path("board/", views.board, name="board"),
    path("clients/<id:client_pk>/open/", views.trajectory_open, name="trajectory_open"),
    path("trajectories/<id:pk>/", views.trajectory_detail, name="trajectory"),
    path("trajectories/<id:pk>/move/", views.trajectory_move, name="trajectory_move"),
    path(
        "trajectories/<id:pk>/check-ins/<id:check_in_pk>/", views.check_in_record, name="check_in"
    ),
    path("programmes/", views.programme_list, name="programmes"),
    path("programmes/new/", views.programme_edit, name="programme_create"),
    path("programmes/<id:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("route-types/", views.route_type_list, name="route_types"),
    path("performance-targets/", views.performance_targets, name="performance_targets"),
    path("route-types/<id:pk>/", views.route_type_edit, name="route_type"),
]
