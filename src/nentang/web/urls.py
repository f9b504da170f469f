from django.urls import path

from nentang.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    # The `type` URI of every problem+json body: <BASE_URL>/problems/<code> (no slash).
    path("problems/", views.problem_list, name="problems"),
    path("problems/<slug:code>", views.problem_detail, name="problem"),
    path("design-system/", views.design_system, name="design_system"),
    path("for-operators", views.operators, name="operators"),
    path("about", views.about, name="about"),
    path("terms", views.terms, name="terms"),
    path("privacy", views.privacy, name="privacy"),
    path("accessibility", views.accessibility, name="accessibility"),
    path("installation/emblem", views.emblem, name="emblem"),
]
