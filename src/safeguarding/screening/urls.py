from django.urls import path

from safeguarding.screening import views

app_name = "screening"

urlpatterns = [
    path("child/<int:person_id>/new/", views.screening_start, name="start"),
    path("child/<int:person_id>/new/<slug:section>/", views.screening_section, name="section"),
    path("child/<int:person_id>/check/", views.screening_check, name="check"),
    path("<int:assessment_id>/judgement/", views.screening_judgement, name="judgement"),
    path("<int:assessment_id>/", views.assessment_detail, name="detail"),
    path("approvals/", views.approvals, name="approvals"),
    path("levels/", views.levels_report, name="levels"),
    path("tool/", views.tool_overview, name="tool"),
    path("tool/versions/", views.tool_versions, name="tool-versions"),
    path("tool/versions/<int:number>/", views.tool_overview, name="tool-version"),
    path("tool/indicators/new/", views.indicator_edit, name="indicator-new"),
    path("tool/indicators/<slug:code>/", views.indicator_edit, name="indicator-edit"),
    path("tool/indicators/<slug:code>/remove/", views.tool_part_remove, {"part": "indicator"}, name="indicator-remove"),
    path("tool/types/new/", views.exploitation_type_new, name="type-new"),
    path("tool/types/<slug:code>/remove/", views.tool_part_remove, {"part": "type"}, name="type-remove"),
    path("tool/levels/", views.levels_edit, name="levels-edit"),
    path("tool/levels/<slug:code>/remove/", views.tool_part_remove, {"part": "level"}, name="level-remove"),
    path("tool/rules/", views.rules_edit, name="rules-edit"),
    path("tool/settings/", views.settings_edit, name="settings-edit"),
]
