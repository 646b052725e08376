from django.urls import path

from dockline.platforms.bigcommerce import views

app_name = "bigcommerce"
urlpatterns = [
    path("auth/", views.auth_callback, name="auth"),
]
