from django.urls import path

from safeguarding.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("admin/agencies/", views.agency_list, name="agencies"),
    path("admin/agencies/new/", views.agency_edit, name="agency-new"),
    path("admin/agencies/<int:agency_id>/", views.agency_edit, name="agency-edit"),
    path("admin/users/", views.user_list, name="users"),
    path("admin/users/new/", views.user_edit, name="user-new"),
    path("admin/users/<int:user_id>/", views.user_edit, name="user-edit"),
]
