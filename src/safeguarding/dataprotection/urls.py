from django.urls import path

from safeguarding.dataprotection import views

app_name = "dataprotection"

urlpatterns = [
    path("", views.trail, name="trail"),
    path("overview/", views.overview, name="overview"),
    path("requests/", views.sar_list, name="sars"),
    path("requests/<int:sar_id>/", views.sar_detail, name="sar"),
    path("requests/<int:sar_id>/redactions/<int:redaction_id>/", views.sar_redaction, name="sar-redaction"),
    path("requests/<int:sar_id>/bundle.<str:copy>", views.sar_download, name="sar-download"),
    path("disclosures/", views.disclosure_list, name="disclosures"),
    path("sealed/", views.sealed_list, name="sealed"),
    path("sealed/<int:seal_id>/", views.seal_detail, name="seal"),
    path("break-glass/", views.break_glass, name="break-glass"),
    path("break-glass/<int:use_id>/review/", views.break_glass_review, name="break-glass-review"),
    path("retention/", views.retention_page, name="retention"),
]
