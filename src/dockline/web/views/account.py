"""Log in (throttled), log out, change password."""
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from dockline.accounts.throttle import ThrottledAuthenticationForm

login = auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name="web/password_change.html", success_url=reverse_lazy("password_change_done"))
password_change_done = auth_views.PasswordChangeDoneView.as_view(template_name="web/password_change_done.html")
