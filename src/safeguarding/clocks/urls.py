from django.urls import path

from safeguarding.clocks import views

app_name = "clocks"

urlpatterns = [
    path("figures/", views.figures, name="figures"),
    path("child-protection-plans/", views.protection_plans, name="protection-plans"),
    path("<int:clock_id>/", views.clock_detail, name="clock"),
    path("people/<int:person_id>/return-home-interview/", views.interview_record, name="interview"),
    path("people/<int:person_id>/casework/", views.step_record, name="step"),
    path("people/<int:person_id>/recorded/", views.casework, name="casework"),
]
