from django.urls import path

from safeguarding.justice import views

app_name = "justice"

urlpatterns = [
    path("", views.operations, name="operations"),
    path("figures/", views.figures, name="figures"),
    path("operations/new/", views.operation_new, name="operation-new"),
    path("operations/<int:operation_id>/", views.operation_detail, name="operation"),
    path("disruptions/new/", views.disruption_new, name="disruption-new"),
    path("disruptions/<int:disruption_id>/", views.disruption_detail, name="disruption"),
]
