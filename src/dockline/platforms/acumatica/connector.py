"""Acumatica ERP connector: open sales orders or open shipments in, packages and confirmation back.

Modes (setting `mode`):
- `sales_orders` (default): imports open sales orders of one order type; a warehouse shipment becomes
  an Acumatica Shipment created from the order's lines, with its packages, then confirmed.
- `shipments`: imports open Shipments already created in Acumatica; a warehouse shipment updates that
  Shipment (quantities, packages, Ship Via) and confirms it. A later part of the same shipment (the
  warehouse shipped the rest afterwards) becomes a new Shipment from the remaining sales order lines.

Field names follow the Default endpoint's entities as the official client declares them
(`Acumatica.Default_22.200.001/Model/` of Acumatica/AcumaticaRESTAPIClientForCSharp; the same in
20.200.001 to 24.200.001): a SalesOrder's modification time is `LastModified`, a Shipment's is
`LastModifiedDateTime`, and a Shipment's ship-to address and contact sit under `ShippingSettings`.

Acumatica owns its stock, so the connector takes no inventory: push_stock skips every SKU.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import ClassVar, NamedTuple

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Address, Destination, OrderLine, PushResult, StockUpdate, StoreOrder, StoreShipment
from dockline.platforms.acumatica.client import AcumaticaClient, AcumaticaError, literal, value
from dockline.platforms.base import Capability, CheckReport, CredentialField, StoreConnector, parse_time, register

DEFAULT_VERSION = "22.200.001"
MODES = ("sales_orders", "shipments")
SECRET_WARNING = timedelta(days=14)  # how long before the Shared Secret's expiry date alerts say so


class Entity(NamedTuple):
    """What an import reads: the entity, its key within the open filter, its modification time, what to expand."""

    name: str
    key: str
    modified: str
    expand: str


SALES_ORDERS = Entity("SalesOrder", "OrderNbr", "LastModified", "Details,ShipToAddress,ShipToContact")
SHIPMENTS = Entity("Shipment", "ShipmentNbr", "LastModifiedDateTime",
                   "Details,ShippingSettings,ShippingSettings/ShipToAddress,ShippingSettings/ShipToContact")
NO_STOCK = "Acumatica keeps its own stock; Dockline does not write quantities to the ERP"


def wrapped(fields: dict) -> dict:
    return {k: v if k in ("id", "delete") or isinstance(v, list) else {"value": v} for k, v in fields.items()}


def offset(dt: datetime) -> str:
    return "datetimeoffset'" + dt.astimezone(UTC).isoformat(timespec="milliseconds") + "'"


def quantity(raw) -> int:
    try:
        return int(Decimal(str(raw or 0)))
    except InvalidOperation:
        return 0


def fingerprint(credentials: dict) -> str:
    """Identifies what a person typed, so a re-authorization marker ends when they type something new."""
    typed = "|".join(str(credentials.get(k, "")) for k in ("client_id", "client_secret", "username", "password"))
    return hashlib.sha256(typed.encode()).hexdigest()[:16]


def ship_via_map(text: str) -> dict[str, str]:
    """`UPS/GND=UPSGROUND, FEDEX=FEDEX2DAY` -> {"UPS/GND": "UPSGROUND", "FEDEX": "FEDEX2DAY"} (upper-cased keys)."""
    pairs = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, code = part.partition("=")
        if not sep or not key.strip() or not code.strip():
            raise ConnectorError(f"Ship Via codes: '{part}' is not CARRIER[/SERVICE]=CODE")
        pairs[key.strip().upper()] = code.strip()
    return pairs


# The Status of a cancelled sales order or shipment (Acumatica writes "Canceled"; "Cancelled" is read too).
CANCELED = "Canceled"


def is_cancelled(record: dict) -> bool:
    """A cancelled sales order or shipment: it must not reach the warehouse, or be cancelled there."""
    return str(value(record, "Status", "")).lower() in ("canceled", "cancelled")


@register
class AcumaticaConnector(StoreConnector):
    platform: ClassVar[str] = "acumatica"
    label: ClassVar[str] = "Acumatica"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.ORDERS, Capability.SHIPMENTS})
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("instance_url", "Instance URL", help="e.g. https://acme.acumatica.com or .../AcmeInstance"),
        CredentialField("client_id", "Client ID",
                        help="From Connected Applications (SM303010), flow Resource Owner Password Credentials, "
                             "e.g. 3F2A...@Company."),
        CredentialField("client_secret", "Shared Secret", secret=True,
                        help="A secret of that connected application (shown once when added)."),
        CredentialField("username", "Username", help="The integration user Dockline signs in as."),
        CredentialField("password", "Password", secret=True,
                        help="Used to sign in once; afterwards Dockline keeps the session with a refresh token."),
        CredentialField("client_secret_expires", "Shared Secret expires on", required=False,
                        help="The secret's Expiration Date in Connected Applications (YYYY-MM-DD), if it has one; "
                             "Dockline alerts 14 days before."),
    )
    settings_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("mode", "Mode", required=False, default="sales_orders",
                        help="sales_orders: import open sales orders and create shipments; shipments: import "
                             "open shipments Acumatica already created and confirm them."),
        CredentialField("order_type", "Sales order type", required=False, default="SO"),
        CredentialField("endpoint_version", "Default endpoint version", required=False, default=DEFAULT_VERSION),
        CredentialField("box_id", "Box ID for packages", required=False, default="BOX",
                        help="A box from Boxes (CS207600), used when the warehouse reports no box id."),
        CredentialField("ship_via_codes", "Ship Via codes", required=False, default="",
                        help="Warehouse carrier[/service] to Ship Via code, e.g. UPS/GND=UPSGROUND, FEDEX=FEDEX2DAY; "
                             "unmapped carriers keep the order's Ship Via and are written on the package."),
    )

    def __init__(self, credentials: dict, settings: dict, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """`sleep`: what waits between retries (tests pass one that does not sleep)."""
        self.credentials = dict(credentials or {})
        settings = settings or {}

        def setting(name: str) -> str:
            default = next(f.default for f in self.settings_fields if f.name == name)
            got = settings.get(name)
            return default if got in (None, "") else str(got).strip()

        self.mode = setting("mode")
        if self.mode not in MODES:
            raise ConnectorError(f"Acumatica mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        self.order_type = setting("order_type")
        self.box_id = setting("box_id")
        self.ship_vias = ship_via_map(setting("ship_via_codes"))
        c = self.credentials
        # a token is only used for the instance, client and user it was issued to
        token = c.get("token") if c.get("token_for") == self._token_owner() else None
        self.client = AcumaticaClient(
            (c.get("instance_url") or "").strip(), (c.get("client_id") or "").strip(), c.get("client_secret") or "",
            (c.get("username") or "").strip(), c.get("password") or "",
            token=token, on_token=self._token_changed, version=setting("endpoint_version"),
            stored_token=self._stored_token, sleep=sleep,
        )
        self.save_credentials = lambda credentials: None  # replaced by Store.connector()
        # Optional, set by the caller: returns the credentials as stored now. Lets a worker whose refresh
        # token was rotated by another worker process pick up the new one instead of failing.
        self.load_credentials = None

    def __repr__(self) -> str:  # never shows the secret, password or tokens
        return f"<AcumaticaConnector {self.credentials.get('instance_url', '')!r} mode={self.mode}>"

    # ---------------------------------------------------------------- credentials and re-authorization
    def _token_owner(self) -> str:
        return "|".join(str(self.credentials.get(k) or "").strip() for k in ("instance_url", "client_id", "username"))

    def _stored_token(self) -> dict | None:
        stored = self.load_credentials() if self.load_credentials else None
        if stored and stored.get("token_for") == self._token_owner():
            return stored.get("token")
        return None

    def _token_changed(self, token: dict | None) -> None:
        """Store the newest token at once (the previous refresh token no longer works)."""
        creds = {k: v for k, v in self.credentials.items() if k not in ("token", "token_for", "reauth")}
        if token is not None:
            creds["token"], creds["token_for"] = token, self._token_owner()
        else:  # refused for good: stays refused until a person enters credentials again
            creds["reauth"] = {"fingerprint": fingerprint(creds), "at": datetime.now(UTC).isoformat()}
        self.credentials = creds
        self.save_credentials(dict(creds))

    def _require_credentials(self) -> None:
        c = self.credentials
        missing = [f.label for f in self.credential_fields if f.required and not str(c.get(f.name) or "").strip()]
        if missing:
            raise ConnectorError(f"Acumatica credentials incomplete: {', '.join(missing)} empty", ErrorKind.REAUTH)
        marker = c.get("reauth")
        if marker and marker.get("fingerprint") == fingerprint(c):
            raise ConnectorError(
                "Acumatica refused Dockline's sign-in: enter the credentials again (or run Test Connection) "
                "to re-authorize the connection.", ErrorKind.REAUTH)

    def test_connection(self) -> CheckReport:
        """Signs in with the password when there is no live session, which also re-authorizes the connection."""
        report = CheckReport()
        try:
            missing = [f.label for f in self.credential_fields
                       if f.required and not str(self.credentials.get(f.name) or "").strip()]
            if missing:
                raise ConnectorError(f"Empty: {', '.join(missing)}", ErrorKind.REAUTH)
            if self.credentials.get("reauth") or not self.client.token:
                self.client.sign_in()
            report.add("Sign in (OAuth 2)", True, f"Signed in to {self.client.instance_url} as {self.client.username}")
        except ConnectorError as exc:
            report.add("Sign in (OAuth 2)", False, exc.message)
            return report
        entity = self.entity.name
        try:
            self.client.get(entity, params={"$top": 1, "$filter": self._open_filter()})
            report.add(f"Read {entity} records", True)
        except ConnectorError as exc:
            report.add(f"Read {entity} records", False, exc.message)
        return report

    # ---------------------------------------------------------------- orders
    def _open_filter(self) -> str:
        if self.mode == "sales_orders":
            return f"OrderType eq {literal(self.order_type)} and Status eq 'Open'"
        return "Type eq 'Shipment' and Status eq 'Open'"

    @property
    def entity(self) -> Entity:
        return SALES_ORDERS if self.mode == "sales_orders" else SHIPMENTS

    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Open sales orders (or shipments) modified at or after `since`, oldest modification first.

        Every page is read before the first yield; `AcumaticaClient.read_all` says why paging needs no order.
        """
        self._require_credentials()
        entity = self.entity
        changed = f" and {entity.modified} ge {offset(since)}" if since else ""
        filters = [self._open_filter() + changed]
        if self.mode == "sales_orders":  # a sales order Dockline holds may have been cancelled since
            filters.append(f"OrderType eq {literal(self.order_type)} and Status eq {literal(CANCELED)}{changed}")
        orders = [self._to_order(r) for base in filters
                  for r in self.client.read_all(entity.name, base, entity.key, entity.expand)]
        orders.sort(key=lambda o: (o.modified_at, o.external_id))
        yield from orders

    def _to_order(self, r: dict) -> StoreOrder:
        if self.mode == "sales_orders":
            number = value(r, "OrderNbr", "")
            external_id = f"{value(r, 'OrderType', self.order_type)}:{number}"
            lines = [OrderLine(line_id=str(value(d, "LineNbr")), sku=str(value(d, "InventoryID", "")).strip(),
                               quantity=quantity(value(d, "OrderQty")), name=value(d, "LineDescription", ""),
                               unit_price=Decimal(str(value(d, "UnitPrice", 0))))
                     for d in r.get("Details") or []]
        else:
            number = external_id = value(r, "ShipmentNbr", "")
            lines = [OrderLine(line_id=":".join(str(value(d, k, "")) for k in
                                                ("LineNbr", "OrderType", "OrderNbr", "OrderLineNbr")),
                               sku=str(value(d, "InventoryID", "")).strip(),
                               quantity=quantity(value(d, "ShippedQty") or value(d, "OrderedQty")),
                               name=value(d, "Description", ""))
                     for d in r.get("Details") or []]
        modified = parse_time(value(r, self.entity.modified)) or datetime.now(UTC)
        placed = parse_time(value(r, "Date") or value(r, "ShipmentDate")) or modified
        ship_to = r if self.mode == "sales_orders" else r.get("ShippingSettings") or {}
        contact, where = ship_to.get("ShipToContact") or {}, ship_to.get("ShipToAddress") or {}
        address = Address(
            name=value(contact, "Attention", "") or value(contact, "BusinessName", ""),
            company=value(contact, "BusinessName", ""), street1=value(where, "AddressLine1", ""),
            street2=value(where, "AddressLine2", ""), city=value(where, "City", ""), state=value(where, "State", ""),
            postal_code=value(where, "PostalCode", ""), country=str(value(where, "Country", "")).upper(),
            phone=value(contact, "Phone1", ""), email=value(contact, "Email", ""),
        )
        return StoreOrder(
            external_id=external_id, number=number, placed_at=placed, modified_at=modified,
            destinations=[Destination(ref=number, address=address, shipping_method=value(r, "ShipVia", ""))],
            lines=lines, customer_email=address.email, notes=value(r, "Description", "") or "",
            store_status=value(r, "Status", ""), cancelled=is_cancelled(r), raw=r,
        )

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        """Acumatica has no acknowledge step."""

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """Nothing to set: the shipment Dockline creates later moves the order on."""

    # ---------------------------------------------------------------- shipments
    def post_shipment(self, shipment: StoreShipment) -> str:
        """Record the warehouse's shipment in Acumatica and confirm it; returns the ShipmentNbr.

        Idempotent: every package carries `Dockline <reference>` in its description, and a shipment
        already holding it (or one of its tracking numbers) is only confirmed if still open.
        """
        self._require_credentials()
        lines = [(line.line_id, line.quantity) for line in shipment.lines if line.quantity > 0]
        if not lines:
            raise ConnectorError(f"Shipment for {shipment.order_external_id} has no items to post", ErrorKind.FATAL)
        if self.mode == "sales_orders":
            order_type, _, order_nbr = shipment.order_external_id.partition(":")
            so_lines = [(order_type, order_nbr, int(line_id), qty) for line_id, qty in lines]
            return self._create_and_confirm(shipment, so_lines)
        return self._update_and_confirm(shipment, lines)

    def _marker(self, shipment: StoreShipment) -> str:
        return f"Dockline {shipment.reference}" if shipment.reference else ""

    def _ours(self, record: dict, shipment: StoreShipment) -> bool:
        marker, tracking = self._marker(shipment), set(shipment.tracking_numbers)
        for p in record.get("Packages") or []:
            if (marker and marker in value(p, "Description", "")) or value(p, "TrackingNbr", "") in tracking:
                return True
        return False

    def _finish(self, record: dict) -> str:
        if value(record, "Status") == "Open":
            self.client.action("Shipment", "ConfirmShipment", {"entity": {"id": record["id"]}})
        return value(record, "ShipmentNbr")

    def _ship_via(self, shipment: StoreShipment) -> str | None:
        carrier, service = shipment.carrier.strip().upper(), shipment.service.strip().upper()
        return self.ship_vias.get(f"{carrier}/{service}") or self.ship_vias.get(carrier)

    def _packages(self, shipment: StoreShipment) -> list[dict]:
        note = " ".join(filter(None, [shipment.carrier, shipment.service, self._marker(shipment)]))
        packages = shipment.packages or [None]
        extra = [t for t in shipment.tracking_numbers if t not in {p.tracking_number for p in shipment.packages}]
        rows = []
        for p in packages:
            tracking = p.tracking_number if p else (extra.pop(0) if extra else "")
            fields = {"BoxID": (p.box_id if p and p.box_id else self.box_id), "TrackingNbr": tracking,
                      "Description": note[:255]}
            if p and p.weight is not None:
                fields["Weight"] = float(p.weight)
            rows.append(wrapped(fields))
        rows.extend(wrapped({"BoxID": self.box_id, "TrackingNbr": t, "Description": note[:255]}) for t in extra)
        return rows

    def _put_shipment(self, body: dict) -> dict:
        try:
            return self.client.put("Shipment", body, params={"$expand": "Details,Packages"})
        except AcumaticaError as exc:
            if any(path == "ShipVia" for path, _ in exc.fields) and "ShipVia" in body:
                raise AcumaticaError(
                    f"{exc.message} Map the warehouse's carrier to a code that exists in Acumatica's Ship Via "
                    "Codes (CS207500) in the connection's Ship Via codes setting.", exc.kind, exc.status,
                    fields=exc.fields) from None
            raise

    def _create_and_confirm(self, shipment: StoreShipment, so_lines: list[tuple[str, str, int, int]]) -> str:
        order_type, order_nbr = so_lines[0][0], so_lines[0][1]
        order = self.client.get("SalesOrder", order_type, order_nbr, params={"$expand": "Details,Shipments"})
        for ref in order.get("Shipments") or []:
            existing = self.client.get("Shipment", value(ref, "ShipmentNbr"), params={"$expand": "Packages"})
            if self._ours(existing, shipment):
                return self._finish(existing)
        warehouses = {value(d, "LineNbr"): value(d, "WarehouseID") for d in order.get("Details") or []}
        body = {"Type": "Shipment", "CustomerID": value(order, "CustomerID"),
                "WarehouseID": warehouses.get(so_lines[0][2]) or next(iter(warehouses.values()), None),
                "ShipmentDate": shipment.shipped_at.date().isoformat()}
        ship_via = self._ship_via(shipment)
        if ship_via:
            body["ShipVia"] = ship_via
        body = wrapped({k: v for k, v in body.items() if v is not None})
        body["Details"] = [wrapped({"OrderType": t, "OrderNbr": n, "OrderLineNbr": line, "ShippedQty": qty})
                           for t, n, line, qty in so_lines]
        body["Packages"] = self._packages(shipment)
        try:
            created = self._put_shipment(body)
        except AcumaticaError as exc:
            if exc.kind is not ErrorKind.RETRYABLE:
                raise
            created = self._find_after_lost_answer(order_type, order_nbr, shipment)
            if created is None:
                raise
        return self._finish(created)

    def _find_after_lost_answer(self, order_type: str, order_nbr: str, shipment: StoreShipment) -> dict | None:
        order = self.client.get("SalesOrder", order_type, order_nbr, params={"$expand": "Shipments"})
        for ref in order.get("Shipments") or []:
            existing = self.client.get("Shipment", value(ref, "ShipmentNbr"), params={"$expand": "Packages"})
            if self._ours(existing, shipment):
                return existing
        return None

    def _update_and_confirm(self, shipment: StoreShipment, lines: list[tuple[str, int]]) -> str:
        nbr = shipment.order_external_id
        record = self.client.get("Shipment", nbr, params={"$expand": "Details,Packages"})
        if self._ours(record, shipment):
            return self._finish(record)
        parts = {}
        for line_id, qty in lines:
            line_nbr, order_type, order_nbr, order_line = line_id.split(":")
            parts[int(line_nbr)] = (order_type, order_nbr, int(order_line), qty)
        if value(record, "Status") != "Open":  # the first part was confirmed earlier: ship the rest anew
            return self._create_and_confirm(shipment, list(parts.values()))
        details = []
        for d in record.get("Details") or []:
            part = parts.get(int(value(d, "LineNbr")))
            # a line the warehouse did not ship leaves the shipment and stays open on the sales order
            details.append({"id": d["id"], "ShippedQty": {"value": part[3]}} if part
                           else {"id": d["id"], "delete": True})
        body = {"id": record["id"], "Details": details, "Packages": self._packages(shipment)}
        ship_via = self._ship_via(shipment)
        if ship_via:
            body["ShipVia"] = {"value": ship_via}
        updated = self._put_shipment(body)
        return self._finish(updated)

    # ---------------------------------------------------------------- inventory
    def push_stock(self, updates: list[StockUpdate]) -> PushResult:
        """Acumatica is the ERP: it owns its stock, so nothing is written (each SKU is reported skipped)."""
        return PushResult(skipped=[(u.sku, NO_STOCK) for u in updates])

    def reauthorization_warning(self) -> str | None:
        """When the shared secret's entered Expiration Date is within SECRET_WARNING (or past)."""
        raw = str(self.credentials.get("client_secret_expires") or "").strip()
        try:
            ends = datetime.fromisoformat(raw).date() if raw else None
        except ValueError:
            return f"The Shared Secret's expiry date {raw!r} is not a date (YYYY-MM-DD): correct it in the credentials."
        if ends is None:
            return None
        left = ends - datetime.now(UTC).date()
        if left > SECRET_WARNING:
            return None
        if left.days < 0:
            return (f"The Acumatica Shared Secret expired on {ends:%Y-%m-%d}: add a new secret to the connected "
                    "application in Acumatica and enter it (and its expiry date) in Dockline.")
        return (f"The Acumatica Shared Secret expires on {ends:%Y-%m-%d} (in {left.days} days): add a new secret to the "
                "connected application in Acumatica and enter it (and its expiry date) in Dockline before then.")

    def close(self) -> None:
        self.client.close()
