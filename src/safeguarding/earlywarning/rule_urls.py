from django.urls import path

from safeguarding.earlywarning import rule_views

app_name = "rules"

urlpatterns = [
    path("", rule_views.rule_list, name="list"),
    path("new/", rule_views.rule_new, name="new"),
    path("tests/<int:test_id>/", rule_views.rule_test_status, name="test-status"),
    path("new/<slug:kind>/", rule_views.rule_new_kind, name="new-kind"),
    path("<slug:code>/", rule_views.rule_edit, name="edit"),
]
