"""Behind a TLS reverse proxy (Debian's nginx): login, a form, logout; secure cookies, HSTS, CSP."""
import re
import ssl

import httpx

PASSWORD = "a-Long-passphrase-9"


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_login_a_form_and_logout_work_through_nginx_terminating_tls(serve, nginx):
    served = serve(DOCKLINE_PUBLIC_URL=nginx.url, DOCKLINE_TRUSTED_PROXIES="127.0.0.1,::1")
    nginx.start(upstream=served.port)
    made = served.dockline("createadmin", "--organization", "ACME", "--username", "alice", "--no-input",
                           env={"DOCKLINE_ADMIN_PASSWORD": PASSWORD})
    assert made.returncode == 0, made.stderr
    origin = {"Origin": nginx.url}  # what a browser sends with every form post
    with httpx.Client(base_url=nginx.url, verify=ssl.create_default_context(cafile=nginx.cert)) as browser:
        page = browser.get("/login/")
        assert page.status_code == 200 and page.headers["server"].startswith("nginx")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert all("Secure" in c for c in page.headers.get_list("set-cookie"))

        login = browser.post("/login/", headers=origin,
                             data={"csrfmiddlewaretoken": _csrf(page), "username": "alice", "password": PASSWORD})
        assert login.status_code == 302, login.text
        assert login.headers["location"] == "/"
        cookies = login.headers.get_list("set-cookie")
        assert any(c.startswith("sessionid=") for c in cookies) and all("Secure" in c for c in cookies)
        assert "alice" in browser.get("/").text

        form = browser.get("/password/")
        changed = browser.post("/password/", headers=origin, data={
            "csrfmiddlewaretoken": _csrf(form), "old_password": PASSWORD,
            "new_password1": "another-Long-one-7", "new_password2": "another-Long-one-7"})
        assert changed.status_code == 302 and changed.headers["location"] == "/password/done/"

        home = browser.get("/")
        out = browser.post("/logout/", headers=origin, data={"csrfmiddlewaretoken": _csrf(home)})
        assert out.status_code == 302 and out.headers["location"] == "/login/"
        assert browser.get("/").headers["location"].startswith("/login/")
