"""Forms for a warehouse's server identity: how its FTPS certificate is trusted.

The same form serves the wizard's Warehouse step and the connection page's warehouse settings.
"""
from __future__ import annotations

from django import forms

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
