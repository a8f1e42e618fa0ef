from django.urls import path

from safeguarding.frontdoor import views

app_name = "frontdoor"

urlpatterns = [
    path("raise/", views.raise_find, name="raise-find"),
    path("raise/concern/", views.raise_concern, name="raise"),
    path("raise/concern/check/", views.raise_check, name="raise-check"),
    path("raise/new-child/", views.raise_new_child, name="raise-new-child"),
    path("raise/new-child/check/", views.raise_new_child_check, name="raise-new-child-check"),
    path("raised/<int:concern_id>/", views.raised, name="raised"),
    path("mine/", views.mine, name="mine"),
    path("queue/", views.queue, name="queue"),
    path("figures/", views.figures, name="figures"),
    path("<int:concern_id>/", views.concern_detail, name="detail"),
]
