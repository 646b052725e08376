"""Pages that htmx refreshes in part: the part for an htmx request, the full styled page for a visit.

A URL htmx polls (`/connections/N/runs/`) can also be opened, bookmarked or shared; opened directly it
must be a whole page. Responses vary on the HX-Request header so a cache never mixes the two.
"""
from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request) -> bool:
    """Whether htmx asked (it sends HX-Request: true); a person's visit gets the full page."""
    return request.headers.get("HX-Request") == "true"


def render_part(request, fragment: str, page: str, context: dict, page_context=None):
    """`fragment` for htmx, else `page` (a template extending base.html that includes the fragment),
    with `page_context()` added: what only the full page shows is read only for it."""
    if wants_fragment(request):
        response = render(request, fragment, context)
    else:
        response = render(request, page, {**context, **(page_context() if page_context else {})})
    patch_vary_headers(response, ["HX-Request"])
    return response
