"""Upload orders as CSV to a connection whose store is Manual (docs/orders-csv.md): all or nothing per file."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from dockline.accounts import permissions
from dockline.orders import csv as orders_csv
from dockline.orders.actions import ActionRefused
from dockline.web import scope


class OrdersCsvForm(forms.Form):
    file = forms.FileField()


@login_required
def upload_orders(request, pk: int):
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user))
    if request.method != "POST":
        return render(request, "web/orders_upload.html", {"connection": conn, "form": OrdersCsvForm(),
                                                          "columns": orders_csv.COLUMNS})
    form = OrdersCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV file to upload.")
        return redirect("orders_upload", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        result = orders_csv.import_orders_csv(conn, upload.read(orders_csv.MAX_BYTES + 1), request.user,
                                              filename=upload.name[:100])
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("orders_upload", pk=pk)
    if result.errors:
        return render(request, "web/orders_upload.html", {"connection": conn, "form": form, "errors": result.errors,
                                                          "columns": orders_csv.COLUMNS}, status=422)
    skipped = f" {len(result.skipped)} already there were skipped." if result.skipped else ""
    messages.success(request, f"{len(result.created)} order(s) added; they are mapped and sent like any other.{skipped}")
    return redirect("orders")
