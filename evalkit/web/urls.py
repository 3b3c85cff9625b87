"""URLs of the review workspace."""

from pathlib import Path

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from evalkit.web import views

#: The admin's stylesheets, scripts and images as Django ships them (no collectstatic, no CDN).
ADMIN_STATIC = Path(admin.__file__).parent / "static" / "admin"

urlpatterns = [
    path("", views.cycles, name="cycles"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html"),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cycles/publish/", views.publish, name="publish"),
    path("cycles/<int:pk>/", views.cycle, name="cycle"),
    path("cycles/<int:pk>/policy/<str:pid>/", views.policy, name="policy"),
    path("cycles/<int:pk>/policy/<str:pid>/self/", views.self_evaluation, name="self"),
    path("cycles/<int:pk>/decide/<str:rid>/", views.decide, name="decide"),
    path("cycles/<int:pk>/reports/<path:rel>", views.report_file, name="report"),
    path("cycles/<int:pk>/budget.xlsx", views.budget_xlsx, name="budget_xlsx"),
    path("cycles/<int:pk>/record.pdf", views.decision_record, name="record_pdf"),
    path("log/verify/", views.verify, name="verify"),
    path("admin/", admin.site.urls),
    path("static/admin/<path:path>", serve, {"document_root": ADMIN_STATIC}, name="admin_static"),
]
