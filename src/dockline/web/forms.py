"""Every form that reads web input: declared plugin fields, the wizard's steps, a connection's settings.

`fields_form` turns a platform's or transport's declared `CredentialField`s into a Django form, with
secrets marked (never drawn back; left empty, they keep the stored value). `TlsTrustForm` (how an FTPS
certificate is trusted) serves the wizard's Warehouse step and the connection page's warehouse settings.
"""
from __future__ import annotations

from datetime import timedelta

from django import forms

from dockline.accounts.models import time_zones
from dockline.connections.models import BufferUnit, InventoryMode, Routing
from dockline.core import crypto, durations
from dockline.platforms.base import CredentialField
from dockline.warehouses.transports.ftps import (
    TlsMode,
    cert_fingerprint_hex,
    certificates_in,
    normalize_fingerprint,
)


class TlsTrustForm(forms.Form):
    """tls_mode, tls_certificate (PEM), tls_pin; `seen_fingerprint` is what Test Connection showed, pinned when
    the pin field is left empty."""

    tls_mode = forms.ChoiceField(choices=[(m.value, m.label) for m in TlsMode], initial=TlsMode.SYSTEM.value,
                                 widget=forms.RadioSelect, label="Check the server's certificate")
    tls_certificate = forms.CharField(
        required=False, label="Certificate to trust (PEM)",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----"}),
        help_text="The server's own certificate, or the CA that issued it; never its private key. A certificate "
                  "that names the host only in its CN (no subjectAltName) works: Dockline checks the CN itself.")
    tls_pin = forms.CharField(
        required=False, label="Pinned SHA-256 fingerprint",
        help_text="Leave empty to pin the certificate Test Connection showed; or type the fingerprint the "
                  "warehouse gave you (AB:CD:...). Only that certificate is accepted, until you pin another.")

    def __init__(self, *args, seen_fingerprint: str = "", pin_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen_fingerprint = seen_fingerprint
        self.pin_required = pin_required  # False for Test Connection itself, which shows what to pin

    def clean_tls_certificate(self) -> str:
        return (self.cleaned_data.get("tls_certificate") or "").strip().replace("\r\n", "\n")

    def clean(self):
        data = super().clean()
        mode = TlsMode(data.get("tls_mode") or TlsMode.SYSTEM)
        if mode is TlsMode.CERTIFICATE:
            try:
                certificates_in(data.get("tls_certificate", ""))
            except ValueError as exc:
                self.add_error("tls_certificate", f"The certificate cannot be used: {exc}.")
        if mode is TlsMode.PIN:
            try:
                pin = normalize_fingerprint(data.get("tls_pin") or "") or normalize_fingerprint(self.seen_fingerprint)
            except ValueError as exc:
                self.add_error("tls_pin", f"{str(exc)[0].upper()}{str(exc)[1:]}.")
                return data
            if not pin and self.pin_required:
                self.add_error("tls_pin", "Run Test Connection to see the server's certificate fingerprint, "
                                          "or type the fingerprint the warehouse gave you.")
            elif pin:
                data["tls_pin"] = cert_fingerprint_hex(pin)
        return data

    def trust(self) -> dict:
        """The warehouse settings this form sets (only those of the chosen mode)."""
        data = self.cleaned_data
        mode = TlsMode(data["tls_mode"])
        return {"tls_mode": mode.value,
                "tls_certificate": data["tls_certificate"] if mode is TlsMode.CERTIFICATE else "",
                "tls_pin": data["tls_pin"] if mode is TlsMode.PIN else ""}


# ---------------------------------------------------------------- declared plugin fields

class SecretField(forms.CharField):
    """A secret: typed into a password box that is never filled back; left empty, it keeps the stored value."""

    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = ""

    def to_python(self, value):
        return super().to_python(value) or self.kept


class DeclaredFieldsForm(forms.Form):
    """Base of `fields_form`: field names are prefix + name (as the templates draw them), read by declared name."""

    declared: tuple[CredentialField, ...] = ()
    field_prefix = ""

    def __init__(self, data=None, *, kept_secrets: dict | None = None, values: dict | None = None):
        super().__init__(data, prefix=self.field_prefix or None, initial=values or {})
        for name, field in self.fields.items():
            if isinstance(field, SecretField):
                field.kept = (kept_secrets or {}).get(name, "")

    def add_prefix(self, field_name: str) -> str:
        return f"{self.prefix}{field_name}" if self.prefix else field_name

    def values(self) -> dict:
        """Non-secret values as typed (also when invalid, so Back and a second try lose nothing)."""
        return {f.name: self.cleaned_data.get(f.name, self._typed(f.name)) for f in self.declared if not f.secret}

    def secrets(self) -> dict:
        """Secrets typed now, or kept from before; empty ones left out."""
        got = {f.name: self.cleaned_data.get(f.name, "") for f in self.declared if f.secret}
        return {k: v for k, v in got.items() if v}

    def field_errors(self) -> dict[str, str]:
        return {name: " ".join(errors) for name, errors in self.errors.items()}

    def rows(self, errors: dict | None = None) -> list[dict]:
        """What `wizard/_field.html` draws: a secret never carries its value, only a mask of the kept one."""
        errors = errors or {}
        rows = []
        for f in self.declared:
            kept = self.fields[f.name].kept if f.secret else ""
            rows.append({
                "name": self.add_prefix(f.name), "label": f.label, "help": f.help, "required": f.required,
                "secret": f.secret, "error": errors.get(f.name, ""),
                "value": "" if f.secret else self.initial.get(f.name, f.default),
                "placeholder": ("kept: " + crypto.mask(kept)) if kept else f.default,
            })
        return rows

    def _typed(self, name: str) -> str:
        return (self.data.get(self.add_prefix(name)) or "").strip()


def fields_form(fields: tuple[CredentialField, ...], prefix: str = "") -> type[DeclaredFieldsForm]:
    """A form class for a plugin's declared fields: secrets are `SecretField`s, `required` and `default` as declared.

    Bound: `fields_form(cls.credential_fields, "t_sftp__")(request.POST, kept_secrets=...)`; to draw the fields
    again: `...(values=typed, kept_secrets=kept).rows(errors)`."""
    attrs: dict = {"declared": tuple(fields), "field_prefix": prefix}
    for f in fields:
        kind = SecretField if f.secret else forms.CharField
        attrs[f.name] = kind(label=f.label, required=f.required, help_text=f.help, initial=f.default,
                             error_messages={"required": f"{f.label} is required."})
    return type("DeclaredFields", (DeclaredFieldsForm,), attrs)


# ---------------------------------------------------------------- the wizard's steps

class StepForm(forms.Form):
    """A wizard step: `typed()` is what was typed, valid or not, for the draft; `field_errors()` by field name."""

    def typed(self) -> dict:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {name: data[name] if name in data else (self.data.get(name) or "").strip() for name in self.fields}

    def field_errors(self) -> dict[str, str]:
        return {name: " ".join(errors) for name, errors in self.errors.items()}


class BasicForm(StepForm):
    name = forms.CharField(error_messages={"required": "Give the connection a name, e.g. 'Acme → Riverside'."})


class MerchantForm(StepForm):
    """An existing merchant the user sees, or a new one (for those who may create merchants)."""

    choice = forms.CharField(required=False)
    new_name = forms.CharField(required=False)
    merchant_id = forms.CharField(required=False)

    def __init__(self, data, *, merchants, can_create: bool):
        super().__init__(data)
        self.merchants, self.can_create = merchants, can_create

    def clean_choice(self) -> str:
        return "new" if self.cleaned_data.get("choice") == "new" and self.can_create else "existing"

    def clean(self):
        data = super().clean()
        if data.get("choice") == "new":
            if not data.get("new_name"):
                self.add_error("new_name", "Type the new merchant's name.")
            elif self.merchants.filter(name__iexact=data["new_name"]).exists():
                self.add_error("new_name", "A merchant with this name exists; select it under 'An existing merchant'.")
        elif not (data.get("merchant_id") or "").isdigit() or not self.merchants.filter(pk=data["merchant_id"]).exists():
            self.add_error("merchant_id", "Select a merchant.")
        return data

    def typed(self) -> dict:
        return {**super().typed(), "choice": self.cleaned_data.get("choice", "existing")}


class WarehouseForm(StepForm):
    """The warehouse step's own fields; its login is a `fields_form` of the chosen transport, its trust a TlsTrustForm.

    An unknown transport or format falls back to the first one offered; an empty folder to its default."""

    name = forms.CharField(error_messages={"required": "Name the warehouse, e.g. 'Riverside 3PL'."})
    transport = forms.CharField(required=False)
    format = forms.CharField(required=False)
    absent_means_zero = forms.BooleanField(required=False)

    def __init__(self, data, *, transports, formats, folders: dict[str, str]):
        super().__init__(data)
        self.transports, self.formats, self.folder_defaults = list(transports), list(formats), folders
        for name in folders:
            self.fields[f"folder_{name}"] = forms.CharField(required=False)

    def clean_transport(self) -> str:
        value = self.cleaned_data.get("transport")
        return value if value in self.transports else self.transports[0]

    def clean_format(self) -> str:
        value = self.cleaned_data.get("format")
        return value if value in self.formats else self.formats[0]

    def clean(self):
        data = super().clean()
        for name, default in self.folder_defaults.items():
            data[f"folder_{name}"] = data.get(f"folder_{name}") or default
        return data

    def folders(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"folder_{name}"] for name in self.folder_defaults}


class StoreForm(StepForm):
    name = forms.CharField(error_messages={"required": "Name the store, e.g. 'Acme on BigCommerce'."})
    platform = forms.CharField(required=False)

    def __init__(self, data, *, platforms):
        super().__init__(data)
        self.platforms = list(platforms)

    def clean_platform(self) -> str:
        value = self.cleaned_data.get("platform")
        if value not in self.platforms:
            raise forms.ValidationError("Choose a platform.")
        return value


# ---------------------------------------------------------------- a connection's settings

class IntervalInput(forms.Widget):
    """Reads an interval typed as `<name>` (a number) and `<name>_unit` (seconds, minutes, hours, days)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name, ""), data.get(f"{name}_unit", "")


class IntervalField(forms.Field):
    """A channel's interval as a number and a unit (seconds, minutes, hours, days).

    What the page showed comes back unchanged, whatever it is (the demo's 5 seconds too): a form saved
    without touching the interval never changes it. A changed interval must be 1 minute to 7 days;
    the error names the channel and what was typed."""

    widget = IntervalInput

    def __init__(self, *, channel_label: str, current: timedelta, **kwargs):
        super().__init__(required=False, **kwargs)
        self.channel_label = channel_label
        self.current = current

    def clean(self, value):
        number, unit = value
        number = (number or "").strip()
        if not number and not unit:
            return None  # not in the form that was sent: the channel keeps its interval
        if unit not in durations.SECONDS_IN or not number.isdigit():
            raise forms.ValidationError(
                f"{self.channel_label}: type the interval as a whole number of seconds, minutes, hours or days, "
                f"not '{number} {unit}'.")
        interval = durations.from_units(int(number), unit)
        if interval != self.current and not MIN_INTERVAL <= interval <= MAX_INTERVAL:
            raise forms.ValidationError(
                f"{self.channel_label}: the interval must be 1 minute to 7 days, not {number} {unit}.")
        return interval


MIN_INTERVAL, MAX_INTERVAL = timedelta(minutes=1), timedelta(days=7)


class ConnectionSettingsForm(forms.Form):
    """The connection page's settings: name, each channel's switch and interval, inventory mode, absent SKUs.

    An empty name or an unknown inventory mode keeps the current one; a bad interval keeps that channel's."""

    name = forms.CharField(required=False)
    inventory_mode = forms.CharField(required=False)
    absent_means_zero = forms.BooleanField(required=False)

    def __init__(self, data, *, channels):
        super().__init__(data)
        self.channels = list(channels)
        for ch in self.channels:
            self.fields[f"{ch.kind}_enabled"] = forms.BooleanField(required=False)
            self.fields[f"{ch.kind}_every"] = IntervalField(channel_label=ch.get_kind_display(), current=ch.interval)

    def clean_inventory_mode(self) -> str:
        value = self.cleaned_data.get("inventory_mode")
        return value if value in InventoryMode.values else ""

    def schedules(self) -> dict[str, tuple[bool, timedelta | None]]:
        """By channel kind: (on, interval), the interval None when what was typed is not usable."""
        data = self.cleaned_data
        return {ch.kind: (data.get(f"{ch.kind}_enabled", False), data.get(f"{ch.kind}_every"))
                for ch in self.channels}

    def problems(self) -> list[str]:
        return [message for errors in self.errors.values() for message in errors]


# ---------------------------------------------------------------- the account page

class TimeZoneForm(forms.Form):
    """The person's own time zone (empty: the organization's), and for administrators the organization's."""

    time_zone = forms.ChoiceField(required=False, label="Your time zone")
    organization_time_zone = forms.ChoiceField(required=False, label="Organization's time zone")

    def __init__(self, *args, organization_zone: str, is_admin: bool, **kwargs):
        super().__init__(*args, **kwargs)
        zones = [(z, z) for z in time_zones()]
        self.fields["time_zone"].choices = [("", f"The organization's ({organization_zone})"), *zones]
        self.fields["time_zone"].help_text = "Times on every page are shown in it; hover over one to see it in UTC."
        if is_admin:
            self.fields["organization_time_zone"].choices = zones
            self.fields["organization_time_zone"].help_text = "What everyone who has not chosen their own sees."
        else:
            del self.fields["organization_time_zone"]


class StockSettingsForm(forms.Form):
    """A connection's routing among its warehouses, and the buffer and minimum level of the stock it pushes."""

    routing = forms.ChoiceField(choices=Routing.choices)
    stock_buffer = forms.IntegerField(min_value=0, max_value=1_000_000, label="Buffer")
    stock_buffer_unit = forms.ChoiceField(choices=BufferUnit.choices, label="Buffer unit")
    stock_minimum = forms.IntegerField(min_value=0, max_value=1_000_000, label="Minimum level")

    def clean(self):
        data = super().clean()
        if data.get("stock_buffer_unit") == BufferUnit.PERCENT and (data.get("stock_buffer") or 0) > 100:
            self.add_error("stock_buffer", "A buffer in percent is at most 100.")
        return data

    def problems(self) -> list[str]:
        return [f"{self.fields[name].label or name.capitalize()}: {message}" if name != "__all__" else message
                for name, errors in self.errors.items() for message in errors]


class WarehouseChoiceForm(forms.Form):
    """One of the organization's warehouses, picked by id."""

    warehouse = forms.IntegerField(min_value=1)


class ListingBufferForm(forms.Form):
    """A listing's own stock buffer; left empty, the connection's applies."""

    stock_buffer = forms.IntegerField(min_value=0, max_value=1_000_000, required=False, label="Buffer")
    stock_buffer_unit = forms.ChoiceField(choices=BufferUnit.choices, label="Buffer unit")

    def clean(self):
        data = super().clean()
        if data.get("stock_buffer_unit") == BufferUnit.PERCENT and (data.get("stock_buffer") or 0) > 100:
            self.add_error("stock_buffer", "A buffer in percent is at most 100.")
        return data
