from django.urls import path

from safeguarding.linkage import views

app_name = "linkage"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:review_id>/", views.review, name="review"),
    path("decisions/<int:decision_id>/undo/", views.undo, name="undo"),
]
