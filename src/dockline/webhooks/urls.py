from django.urls import path

from dockline.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("<slug:platform>/<int:connection_id>/", views.deliver, name="deliver"),
]
