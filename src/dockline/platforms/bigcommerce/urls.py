from django.urls import path

from dockline.platforms.bigcommerce import views

app_name = "bigcommerce"
urlpatterns = [
    path("install/", views.install_start, name="install"),
    path("auth/", views.auth_callback, name="auth"),
    path("load/", views.load_callback, name="load"),
    path("uninstall/", views.uninstall_callback, name="uninstall"),
]
