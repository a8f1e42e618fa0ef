from django.urls import path

from safeguarding.contexts import views

app_name = "contexts"

urlpatterns = [
    path("", views.networks, name="networks"),
    # By a random public id, never the primary key: keys count entities in the order they were made.
    path("entities/<str:public_id>/", views.entity_detail, name="entity"),
    path("entities/<str:public_id>/open-work/", views.context_open, name="context-open"),
    path("people/<int:person_id>/", views.person_network, name="person"),
    path("people/<int:person_id>/chart.json", views.person_network_json, name="person-json"),
    path("people/<int:person_id>/links.csv", views.person_network_csv, name="person-csv"),
    path("submit/", views.submit, name="submit"),
    path("intelligence/", views.intelligence_list, name="intelligence"),
    path("intelligence/new/", views.intelligence_new, name="intelligence-new"),
    # By reference, not by id: ids count every report, and most are held by the police alone.
    path("intelligence/<str:reference>/", views.intelligence_detail, name="intelligence-detail"),
    path("contexts/", views.context_list, name="contexts"),
    path("peer-groups/new/", views.peer_group_new, name="peer-group-new"),
    path("contexts/<str:public_id>/", views.context_detail, name="context-detail"),
]
