from django.urls import path

from safeguarding.insight import views

app_name = "insight"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/report.pdf", views.board_pdf, name="board-pdf"),
    path("board/targets/", views.targets, name="targets"),
]
