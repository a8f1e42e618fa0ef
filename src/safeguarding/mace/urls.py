from django.urls import path

from safeguarding.mace import views

app_name = "mace"

urlpatterns = [
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting-new"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:meeting_id>/agenda/", views.agenda_build, name="agenda-build"),
    path("meetings/<int:meeting_id>/agenda/add/", views.agenda_add, name="agenda-add"),
    path("meetings/<int:meeting_id>/attendance/", views.attendance, name="attendance"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/", views.discuss, name="discuss"),
    path("meetings/<int:meeting_id>/minutes/", views.minutes, name="minutes"),
    path("meetings/<int:meeting_id>/police-minutes/", views.police_minutes, name="police-minutes"),
    path("meetings/<int:meeting_id>/minutes/drafts/<int:version_id>/withhold/", views.minutes_version_withhold,
         name="minutes-version-withhold"),
    path("meetings/<int:meeting_id>/approve/", views.approve, name="approve"),
    path("meetings/<int:meeting_id>/addendum/", views.addendum, name="addendum"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("actions/<int:action_id>/", views.action_detail, name="action"),
    path("work/", views.my_work, name="my-work"),
    path("work/agency/", views.agency_work, name="agency-work"),
    path("escalations/", views.escalations, name="escalations"),
    path("roles-and-responsibilities/", views.raci_matrix, name="raci"),
    path("figures/", views.plan_figures, name="figures"),
    path("allocate/<str:kind>/<int:record_id>/", views.allocate, name="allocate"),
]
