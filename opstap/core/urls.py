from django.contrib.auth import views as auth_views
from django.urls import path

from . import signin_views, views
from .forms import LoginForm, StyledPasswordResetForm, StyledSetPasswordForm

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=StyledPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=StyledSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("login/verify/", signin_views.two_factor_verify, name="two_factor_verify"),
    path("account/", signin_views.account, name="account"),
    path("account/two-factor/", signin_views.two_factor_setup, name="two_factor_setup"),
    path(
        "account/recovery-codes/",
        signin_views.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("account/password/", signin_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/confirm/", signin_views.reauthenticate, name="reauthenticate"),
    path("session/keepalive/", signin_views.session_keepalive, name="session_keepalive"),
    path(
        "members/<id:pk>/reset-second-factor/",
        signin_views.member_second_factor_reset,
        name="member_second_factor_reset",
    ),
    path("organisation/switch/", views.switch_organisation, name="switch_organisation"),
    path("members/", views.member_list, name="members"),
    path("members/new/", views.member_add, name="member_add"),
    path("members/<id:pk>/", views.member_edit, name="member_edit"),
    path("members/<id:pk>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/access/", views.access_log, name="access_log"),
    path("audit/review/", views.audit_review, name="audit_review"),
]
