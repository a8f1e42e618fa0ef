from django.urls import path

from safeguarding.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/second-factor/", views.second_factor, name="second-factor"),
    path("sign-in/set-up-authenticator/", views.second_factor_setup, name="second-factor-setup"),
    path("sign-in/backup-codes/", views.backup_codes, name="backup-codes"),
    path("sign-in/set-up/password/", views.set_up_password, name="set-up-password"),
    path("sign-in/set-up/refused/", views.set_up_refused, name="set-up-refused"),
    path("sign-in/set-up/<str:token>/", views.set_up, name="set-up"),
    path("sign-in/sso/callback/", views.SingleSignOnCallback.as_view(), name="sso-callback"),
    path("sign-in/sso/<slug:provider>/", views.SingleSignOnStart.as_view(), name="sso-start"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("session/keep-alive/", views.keep_alive, name="keep-alive"),
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password-change"),
    path("admin/agencies/", views.agency_list, name="agencies"),
    path("admin/agencies/new/", views.agency_edit, name="agency-new"),
    path("admin/agencies/<int:agency_id>/", views.agency_edit, name="agency-edit"),
    path("admin/users/", views.user_list, name="users"),
    path("admin/users/new/", views.user_edit, name="user-new"),
    path("admin/users/<int:user_id>/", views.user_edit, name="user-edit"),
    path("admin/users/<int:user_id>/temporary-password/", views.user_temporary_password, name="user-password"),
    path("admin/users/<int:user_id>/set-up-link/", views.user_set_up_link, name="user-set-up-link"),
    path("admin/users/<int:user_id>/second-factor/", views.user_second_factor_reset, name="user-second-factor"),
    path("admin/roles/", views.roles, name="roles"),
    path("admin/roles/<int:role_id>/retire/", views.role_retire, name="role-retire"),
    path("admin/access-approvals/", views.access_approvals, name="access-approvals"),
    path("admin/access-approvals/<int:change_id>/", views.access_approval, name="access-approval"),
    path("admin/sign-in-locks/", views.sign_in_locks, name="sign-in-locks"),
    path("admin/sign-in-locks/unlock/", views.sign_in_unlock, name="sign-in-unlock"),
]
