from django.urls import path

from safeguarding.support import views

app_name = "support"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("open/<int:person_id>/", views.plan_open, name="open"),
    path("new-adult/", views.adult_new, name="adult-new"),
    path("lived-experience/", views.lived_experience, name="lived-experience"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/goals/<int:goal_id>/progress/", views.goal_progress, name="goal-progress"),
    path("<int:plan_id>/referrals/<int:referral_id>/outcome/", views.referral_outcome, name="referral-outcome"),
    path("<int:plan_id>/lived-experience/<int:entry_id>/withdraw/", views.lived_experience_withdraw,
         name="lived-experience-withdraw"),
    path("<int:plan_id>/<slug:kind>/", views.plan_add, name="add"),
]
