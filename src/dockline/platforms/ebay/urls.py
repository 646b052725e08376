from django.urls import path

from dockline.platforms.ebay import views

app_name = "ebay"
urlpatterns = [
    path("consent/<int:store_id>/", views.consent, name="consent"),
    path("auth/", views.auth_callback, name="auth"),
]
