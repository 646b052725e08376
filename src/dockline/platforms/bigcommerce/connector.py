"""BigCommerce store connector: orders (V2), shipments (V2), inventory (V3 catalog + inventory),
order webhooks (V3 hooks), and a Test Connection that names every missing OAuth scope.

Credentials come from a store-level API account or from the app install flow
(oauth.py, views.py), which also records the granted `scope`."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime
from typing import ClassVar

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import (
    Address,
    Destination,
    OrderLine,
    PushResult,
    StockUpdate,
    StoreOrder,
    StoreShipment,
)
from dockline.platforms.base import Capability, CheckReport, CredentialField, StoreConnector, register
from dockline.platforms.bigcommerce import hooks
from dockline.platforms.bigcommerce.client import DEFAULT_API_BASE, BigCommerceClient, BigCommerceError

log = logging.getLogger(__name__)

ADJUSTMENT_BATCH = 2000  # PUT /v3/inventory/adjustments/absolute: "Limit of 2000 items for payload length"
SKU_IN_CHUNK = 50  # SKUs per `sku:in` filter (keeps the URL short)
VARIANT_LOOKUPS = 20  # variant SKUs looked up one by one before falling back to a catalog scan
TRACKING_NUMBER_MAX = 50  # orderShipment_Post.tracking_number: maxLength 50

# Common carrier names -> (shipping_provider from the spec's enum, tracking_carrier from
# tracking_carrier_values.csv). "" where the carrier has no value in that list.
CARRIERS: dict[str, tuple[str, str]] = {
    "ups": ("ups", "ups"),
    "united parcel service": ("ups", "ups"),
    "ups freight": ("", "ups-freight"),
    "ups mail innovations": ("", "ups-mi"),
    "fedex": ("fedex", "fedex"),
    "federal express": ("fedex", "fedex"),
    "fedex freight": ("", "fedex-freight"),
    "usps": ("usps", "usps"),
    "united states postal service": ("usps", "usps"),
    "us postal service": ("usps", "usps"),
    "dhl": ("", "dhl"),
    "dhl express": ("", "dhl"),
    "dhl ecommerce": ("", "dhl-global-mail"),
    "canada post": ("canadapost", "canada-post"),
    "canadapost": ("canadapost", "canada-post"),
    "australia post": ("auspost", "australia-post"),
    "auspost": ("auspost", "australia-post"),
    "royal mail": ("royalmail", ""),
    "royalmail": ("royalmail", ""),
    "ontrac": ("", "ontrac"),
    "lasership": ("", "lasership"),
    "purolator": ("", "purolator"),
    "dpd": ("", "dpd"),
    "gls": ("", "gls"),
    # SCACs, as X12 warehouses send them (W2705 of a 945, TD503 of a 940)
    "upsn": ("ups", "ups"),
    "fdxe": ("fedex", "fedex"),
    "fdeg": ("fedex", "fedex"),
    "fxfe": ("", "fedex-freight"),
}


@dataclass(frozen=True)
class ScopeProbe:
    """A harmless request that only succeeds (or fails for its content) when the token has the scope."""

    name: str
    ui: str  # what the control panel calls the scope
    accepted: tuple[str, ...]  # OAuth scopes that allow it
    method: str
    path: str
    params: dict | None = None
    body: dict | None = None
    ok_statuses: tuple[int, ...] = ()


def scope_probes(location_id: int, status_id: str) -> list[ScopeProbe]:
    """Every scope Dockline needs, each with the request that proves it (writes carry invalid
    bodies, so a token with the scope gets a validation error and nothing changes)."""
    return [
        ScopeProbe("Orders: read", "Orders (read-only or modify)", ("store_v2_orders_read_only", "store_v2_orders"),
                   "GET", "/v2/orders", {"limit": 1, **({"status_id": status_id} if status_id else {})}),
        ScopeProbe("Orders: modify (status, shipments)", "Orders (modify)", ("store_v2_orders",),
                   "PUT", "/v2/orders/0", body={}, ok_statuses=(400, 404)),
        ScopeProbe("Products: read", "Products (read-only)", ("store_v2_products_read_only", "store_v2_products"),
                   "GET", "/v3/catalog/products", {"limit": 1}),
        ScopeProbe("Inventory: read", "Store Inventory (read-only)", ("store_inventory_read_only", "store_inventory"),
                   "GET", f"/v3/inventory/locations/{location_id}/items", {"limit": 1}),
        ScopeProbe("Inventory: modify", "Store Inventory (modify)", ("store_inventory",),
                   "PUT", "/v3/inventory/adjustments/absolute", body={"reason": "Dockline scope check", "items": []},
                   ok_statuses=(400, 422)),
        ScopeProbe("Webhooks", "the API account's default scope", (), "GET", "/v3/hooks", {"limit": 1}),
    ]


def missing_scope_message(probe: ScopeProbe) -> str:
    wanted = " or ".join(probe.accepted) or "default"
    return (f"The access token lacks the '{probe.ui}' scope ({wanted}). Edit the API account's OAuth scopes "
            "(or reinstall the app), then update the Access Token.")


def carrier_codes(carrier: str) -> tuple[str, str]:
    """(shipping_provider, tracking_carrier) for a carrier name; ("", "") when unknown."""
    key = " ".join(carrier.lower().replace("-", " ").replace("_", " ").replace("®", "").split())
    # exact name, else the longest known name the text starts with ("UPS Ground", "DHL eCommerce Parcel")
    for name in sorted(CARRIERS, key=len, reverse=True):
        if key == name or key.startswith(name + " "):
            return CARRIERS[name]
    return "", ""


def parse_date(value: str | None) -> datetime | None:
    """BigCommerce V2 dates are RFC 2822 (`Tue, 20 Nov 2012 00:00:00 +0000`); returns aware UTC."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def rfc2822(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return format_datetime(dt.astimezone(UTC).replace(microsecond=0))


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _address(a: dict) -> Address:
    name = " ".join(p for p in (a.get("first_name") or "", a.get("last_name") or "") if p).strip()
    return Address(
        name=name,
        company=a.get("company") or "",
        street1=a.get("street_1") or "",
        street2=a.get("street_2") or "",
        city=a.get("city") or "",
        state=a.get("state") or "",
        postal_code=a.get("zip") or "",
        country=(a.get("country_iso2") or "").upper(),
        phone=a.get("phone") or "",
        email=a.get("email") or "",
    )


def _line(p: dict, default_ref: str = "") -> OrderLine:
    ref = p.get("order_address_id")
    return OrderLine(
        line_id=str(p["id"]),
        sku=p.get("sku") or "",
        quantity=int(p.get("quantity") or 0),
        name=p.get("name") or "",
        unit_price=_decimal(p.get("price_ex_tax", p.get("base_price"))),
        destination_ref=str(ref) if ref else default_ref,
    )


# Order status ids (GET /v2/order_statuses) of an order that must not ship: 5 Cancelled, 6 Declined.
CANCELLED_STATUS_IDS = (5, 6)
CANCELLED = 5


def to_store_order(raw: dict, products: list[dict] | None = None,
                   shipping_addresses: list[dict] | None = None) -> StoreOrder | None:
    """An order of GET /v2/orders as a StoreOrder; None when nothing ships (pickup or digital only).

    With `include=consignments.line_items` the answer carries destinations and lines; where a
    consignment lists only resource links, its lines come from `products` (GET .../products). An
    answer without consignments takes its destinations from `shipping_addresses` and its physical
    lines from `products`. Pure: the caller fetches both (`BigCommerceConnector._sub_resources`).
    """
    consignments = raw.get("consignments")
    destinations: list[Destination] = []
    lines: list[OrderLine] = []
    if isinstance(consignments, dict) and "shipping" in consignments:
        for c in consignments.get("shipping") or []:
            destinations.append(Destination(str(c["id"]), _address(c), c.get("shipping_method") or ""))
            items = c.get("line_items") or []
            if items and not any("quantity" in i for i in items):  # resource links only
                items = [p for p in products or [] if p.get("order_address_id") == c["id"]]
            lines.extend(_line(p, default_ref=str(c["id"])) for p in items)
    else:
        for a in shipping_addresses or []:
            destinations.append(Destination(str(a["id"]), _address(a), a.get("shipping_method") or ""))
        lines.extend(_line(p) for p in products or [] if p.get("type", "physical") == "physical")
    if not destinations:
        return None
    placed = parse_date(raw.get("date_created")) or datetime.now(UTC)
    modified = parse_date(raw.get("date_modified")) or placed
    return StoreOrder(
        external_id=str(raw["id"]),
        number=str(raw["id"]),
        placed_at=placed,
        modified_at=modified,
        destinations=destinations,
        lines=lines,
        customer_email=(raw.get("billing_address") or {}).get("email") or "",
        customer_name=_address(raw.get("billing_address") or {}).name,
        notes=raw.get("customer_message") or "",
        store_status=raw.get("status") or str(raw.get("status_id", "")),
        cancelled=_int(raw.get("status_id")) in CANCELLED_STATUS_IDS,
        raw=raw,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _store_hash(value: str) -> str:
    """Accept a bare hash or a pasted API path (`https://api.bigcommerce.com/stores/abc123/v3/`)."""
    value = (value or "").strip().strip("/")
    if "stores/" in value:
        value = value.split("stores/", 1)[1].split("/", 1)[0]
    return value


def _split_units(lines: list[tuple[int, int]], parts: int) -> list[list[tuple[int, int]]]:
    """Spread units (line id, quantity) over at most `parts` packages, in order, as evenly as possible."""
    units = [pid for pid, qty in lines for _ in range(qty)]
    parts = max(1, min(parts, len(units)))
    size, extra = divmod(len(units), parts)
    chunks, start = [], 0
    for n in range(parts):
        take = units[start:start + size + (1 if n < extra else 0)]
        start += len(take)
        merged: dict[int, int] = {}
        for pid in take:
            merged[pid] = merged.get(pid, 0) + 1
        chunks.append(list(merged.items()))
    return chunks


def _find_shipment(existing: list[dict], address_id, tracking: str, marker: str) -> str | None:
    """The id of a shipment already in the store for this address: same tracking number, or, without
    tracking, the same Dockline reference in its comments."""
    for s in existing:
        if str(s.get("order_address_id")) != str(address_id):
            continue
        if tracking:
            if (s.get("tracking_number") or "").strip() == tracking:
                return str(s["id"])
        elif marker and marker in (s.get("comments") or ""):
            return str(s["id"])
    return None


@register
class BigCommerceConnector(StoreConnector):
    platform: ClassVar[str] = "bigcommerce"
    label: ClassVar[str] = "BigCommerce"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.ORDERS, Capability.SHIPMENTS, Capability.INVENTORY, Capability.WEBHOOKS}
    )
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField(
            "store_hash", "Store Hash",
            help="The code after /stores/ in the API path of your store's API account, e.g. abc123xyz.",
        ),
        CredentialField(
            "access_token", "Access Token", secret=True,
            help="From a store-level API account with Orders (modify), Products (read-only) and "
            "Store Inventory (modify) scopes; filled in for you when the Dockline app is installed.",
        ),
        CredentialField("client_id", "Client ID", required=False, help="The API account's Client ID (optional)."),
        CredentialField("client_secret", "Client Secret", secret=True, required=False,
                        help="The API account's Client Secret (optional; kept encrypted)."),
    )
    settings_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("api_base", "API base URL", required=False, default=DEFAULT_API_BASE),
        CredentialField(
            "monitored_status_id", "Import orders in status", required=False, default="11",
            help="BigCommerce order status id to import (11 = Awaiting Fulfillment).",
        ),
        CredentialField(
            "forwarded_status_id", "Set status when sent to the warehouse", required=False, default="9",
            help="Status id set once the warehouse has the order (9 = Awaiting Shipment); empty = leave it.",
        ),
        CredentialField("location_id", "Inventory location id", required=False, default="1"),
    )

    def __init__(self, credentials: dict, settings: dict, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """`sleep`: what waits between retries, out rate limits and for the quota (tests pass their own)."""
        settings = settings or {}
        self.store_hash = _store_hash(credentials.get("store_hash", ""))
        self._has_token = bool((credentials.get("access_token") or "").strip())
        # the scopes an app install was granted (space-separated, as the token endpoint answers)
        self.granted_scopes = tuple((credentials.get("scope") or "").split())

        def setting(name: str) -> str:
            default = next(f.default for f in self.settings_fields if f.name == name)
            value = settings.get(name)
            return default if value is None else str(value).strip()

        self.api_base = setting("api_base") or DEFAULT_API_BASE
        self.monitored_status_id = setting("monitored_status_id")
        self.forwarded_status_id = setting("forwarded_status_id")
        try:
            self.location_id = int(setting("location_id") or "1")
        except ValueError:
            raise ConnectorError(f"Inventory location id must be a number, not {setting('location_id')!r}") from None
        self.client = BigCommerceClient(
            self.store_hash,
            (credentials.get("access_token") or "").strip(),
            api_base=self.api_base,
            client_id=(credentials.get("client_id") or "").strip(),
            sleep=sleep,
        )

    def __repr__(self) -> str:  # never shows the token
        return f"<BigCommerceConnector store_hash={self.store_hash!r} api_base={self.api_base!r}>"

    def _require_credentials(self) -> None:
        if not self.store_hash:
            raise ConnectorError("The BigCommerce Store Hash is empty", ErrorKind.REAUTH)
        if not self._has_token:
            raise ConnectorError("The BigCommerce Access Token is empty", ErrorKind.REAUTH)

    # ------------------------------------------------------------ test connection
    def test_connection(self) -> CheckReport:
        report = CheckReport()
        try:
            self._require_credentials()
        except ConnectorError as exc:
            report.add("Reach the store API", False, exc.message)
            return report

        # /v2/store and /v2/time are not in the published specs; order_statuses is (Orders scope).
        try:
            statuses = _status_choices(self.client.get("/v2/order_statuses") or [])
            report.add("Reach the store API", True, f"Store {self.store_hash} answered at {self.api_base}")
            report.choices = {"monitored_status_id": statuses, "forwarded_status_id": statuses}
        except ConnectorError as exc:
            if getattr(exc, "status", None) != 403:  # 403 = reachable, token valid, scope missing (next steps say)
                report.add("Reach the store API", False, self._explain(exc))
                return report
            report.add("Reach the store API", True, f"Store {self.store_hash} answered at {self.api_base}")

        granted = set(self.granted_scopes)
        for probe in scope_probes(self.location_id, self.monitored_status_id):
            if granted and probe.accepted and not (granted & set(probe.accepted)):
                # an app install told us its scopes: no need to ask the API
                report.add(probe.name, False, missing_scope_message(probe))
                continue
            try:
                self.client.request(probe.method, probe.path, params=probe.params, json=probe.body)
                report.add(probe.name, True)
            except ConnectorError as exc:
                status = getattr(exc, "status", None)
                if status == 403:
                    report.add(probe.name, False, missing_scope_message(probe))
                elif status in probe.ok_statuses:
                    report.add(probe.name, True)  # the request was refused for its content, not its scope
                else:
                    report.add(probe.name, False, self._explain(exc, probe.path))
        return report

    def order_statuses(self) -> list[tuple[str, str]]:
        """(status id, label) of the store's order statuses for the setup screen, custom labels first."""
        self._require_credentials()
        return _status_choices(self.client.get("/v2/order_statuses") or [])

    # ------------------------------------------------------------ webhooks
    def on_enable(self, connection, public_url: str) -> str:
        """Register (or repair) Dockline's order hooks for this connection (hooks.register); returns why
        webhooks are off ("" when they are on). An address BigCommerce cannot deliver to (https on
        port 443 only) registers nothing: new orders then arrive by polling alone."""
        from dockline.webhooks.services import endpoint

        self._require_credentials()
        refused = hooks.refusal(public_url)
        if refused:
            log.warning("connection %s: %s", connection.pk, refused)
            return refused
        destination, headers = endpoint(connection, public_url)
        return hooks.register(self.client, destination, headers)

    def on_disable(self, connection, public_url: str) -> int:
        """Remove Dockline's hooks for this connection; returns how many were removed."""
        from dockline.webhooks.services import endpoint

        self._require_credentials()
        destination, _ = endpoint(connection, public_url)
        return hooks.unregister(self.client, destination)

    @classmethod
    def webhook_wants_import(cls, payload: dict, settings: dict) -> bool:
        """Whether a delivery can bring an order to import (hooks.wants_import)."""
        return hooks.wants_import(payload, settings)

    def _explain(self, exc: ConnectorError, path: str = "") -> str:
        status = exc.status if isinstance(exc, BigCommerceError) else None
        if status == 401:
            return (
                "BigCommerce rejected the access token (401). Check the Access Token, and that the API "
                f"account belongs to store hash '{self.store_hash}'."
            )
        if status == 404 and path.startswith("/v3/inventory/locations/"):
            return f"Inventory location {self.location_id} does not exist in this store: check the location id setting."
        if status == 404:
            return f"No BigCommerce store with hash '{self.store_hash}' at {self.api_base} (404): check the Store Hash."
        if exc.kind is ErrorKind.RETRYABLE and status is None:
            return f"{exc.message} Check the API base URL ({self.api_base}) and this server's network."
        return exc.message

    # ------------------------------------------------------------ orders
    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Orders in the monitored status modified at or after `since`, oldest modification first.

        Paging is keyset by order id (`min_id`, default id order) within a fixed
        `[since, now]` modification window rather than `sort=date_modified&page=N`:
        with page numbers, an order that changes or leaves the status while we page
        shifts the later pages and one order is silently skipped. Orders modified
        during the run fall outside `max_date_modified` and come next run. All
        pages are read before the first order is yielded, so a caller that marks
        orders forwarded while iterating cannot disturb the paging either.
        Products and addresses come in the same call (`include=consignments.line_items`).
        """
        self._require_credentials()
        upper = datetime.now(UTC)
        params: dict = {
            "include": "consignments.line_items",
            "consignment_structure": "object",
            "max_date_modified": rfc2822(upper),
        }
        if since is not None:
            params["min_date_modified"] = rfc2822(since)
        # With a monitored status, the cancelled and declined orders of the window come too: an order
        # Dockline holds may have been cancelled since.
        statuses = [self.monitored_status_id, *map(str, CANCELLED_STATUS_IDS)] if self.monitored_status_id else [None]
        raws: list[dict] = []
        limit = 250
        for status in statuses:
            min_id = 0
            while True:
                query = {**params, **({"status_id": status} if status else {})}
                rows = self.client.get("/v2/orders", {**query, "min_id": min_id, "limit": limit, "page": 1})
                if not rows:
                    break
                raws.extend(rows)
                if len(rows) < limit:
                    break
                min_id = max(int(r["id"]) for r in rows) + 1
        orders = []
        for raw in raws:
            products, addresses = self._sub_resources(raw)
            order = to_store_order(raw, products, addresses)
            if order is None:
                log.info("BigCommerce order %s has no shipping consignment (pickup or digital only); skipped",
                         raw["id"])
            else:
                orders.append(order)
        orders.sort(key=lambda o: (o.modified_at, int(o.external_id)))
        yield from orders

    def _sub_resources(self, raw: dict) -> tuple[list[dict] | None, list[dict] | None]:
        """(products, shipping addresses) that `to_store_order` needs besides the order, fetched only
        when the order's answer lacks them: None for what it has."""
        order_id = raw["id"]
        consignments = raw.get("consignments")
        if isinstance(consignments, dict) and "shipping" in consignments:
            items = [c.get("line_items") or [] for c in consignments.get("shipping") or []]
            links_only = any(i and not any("quantity" in p for p in i) for i in items)
            return (self._order_products(order_id) if links_only else None), None
        addresses = list(self.client.iter_v2(f"/v2/orders/{order_id}/shipping_addresses"))
        return self._order_products(order_id), addresses

    def _order_products(self, order_id) -> list[dict]:
        return list(self.client.iter_v2(f"/v2/orders/{order_id}/products"))

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        """BigCommerce has no acknowledge step."""

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """Move the order to the forwarded status (default Awaiting Shipment).

        Reads the order first and leaves it alone unless it is still in the
        monitored status, so a cancellation made in the meantime is not undone.
        """
        if not self.forwarded_status_id:
            return
        self._require_credentials()
        order_id = order.external_id if isinstance(order, StoreOrder) else str(order)
        target = int(self.forwarded_status_id)
        current = self.client.get(f"/v2/orders/{order_id}") or {}
        status = str(current.get("status_id", ""))
        if status == str(target):
            return
        if self.monitored_status_id and status != self.monitored_status_id:
            log.warning(
                "BigCommerce order %s is now in status %s (%s), not %s; status left unchanged",
                order_id, status, current.get("status"), self.monitored_status_id,
            )
            return
        self.client.put(f"/v2/orders/{order_id}", {"status_id": target})

    def cancel_order(self, external_id: str) -> bool:
        """Set the order's status to Cancelled (5). Idempotent: the order is read first, and one already
        Cancelled or Declined is left as it is."""
        self._require_credentials()
        current = self.client.get(f"/v2/orders/{external_id}") or {}
        if _int(current.get("status_id")) not in CANCELLED_STATUS_IDS:
            self.client.put(f"/v2/orders/{external_id}", {"status_id": CANCELLED})
        return True

    # ------------------------------------------------------------ shipments
    def post_shipment(self, shipment: StoreShipment) -> str:
        """Create the shipment in the store unless it is already there; returns the (first) shipment id.

        BigCommerce holds one tracking number per shipment, so a shipment with
        several tracking numbers (packages) becomes one BigCommerce shipment per
        tracking number: the customer gets a tracking link for every box. Which
        item went in which box is seldom reported, so the units are spread over
        the packages in line order, deterministically (a re-run splits the same
        way). With more packages than units, the surplus tracking numbers go in
        the last shipment's comments.

        A tracking number longer than BigCommerce's 50 characters stops the whole shipment before
        anything is posted (FATAL, saying what to fix): the store would refuse that package only.

        Idempotent: a package whose tracking number the store already has for that
        address is not posted again (a re-run after a crash posts only the missing
        ones); a shipment without tracking is recognised by the Dockline reference
        in its comments. A POST whose answer was lost is looked up before the
        error is passed on.
        """
        self._require_credentials()
        order_id = shipment.order_external_id
        address_id = shipment.destination_ref or self._only_address_id(order_id)
        tracking = list(dict.fromkeys(t.strip() for t in shipment.tracking_numbers if t and t.strip()))
        marker = f"Dockline ref: {shipment.reference}." if shipment.reference else ""
        lines = [(int(line.line_id), int(line.quantity)) for line in shipment.lines if line.quantity > 0]
        if not lines:
            raise ConnectorError(f"Shipment for order {order_id} has no items to post", ErrorKind.FATAL)
        for number in tracking:
            if len(number) > TRACKING_NUMBER_MAX:
                raise ConnectorError(
                    f"Tracking number {number} has {len(number)} characters; BigCommerce takes at most "
                    f"{TRACKING_NUMBER_MAX}, so nothing of this shipment was posted. Ask the warehouse for the "
                    "carrier's tracking number (a longer value is usually a label or reference number)",
                    ErrorKind.FATAL)
        chunks = _split_units(lines, max(1, len(tracking)))
        numbers = tracking[: len(chunks)] or [""]
        surplus = tracking[len(chunks):]

        provider, carrier_code = carrier_codes(shipment.carrier)
        method = shipment.service or shipment.carrier
        notes = []
        if not provider and not carrier_code and shipment.carrier:
            # unknown to BigCommerce: keep the carrier's name where people will see it
            notes.append(f"Carrier: {shipment.carrier}.")
            if shipment.carrier.lower() not in method.lower():
                method = f"{shipment.carrier} {method}"

        existing = list(self.client.iter_v2(f"/v2/orders/{order_id}/shipments"))
        ids: list[str] = []
        for n, (number, items) in enumerate(zip(numbers, chunks, strict=False)):
            found = _find_shipment(existing, address_id, number, marker)
            if found is not None:
                ids.append(found)
                continue
            comments = list(notes)
            if len(chunks) > 1:
                comments.append(f"Package {n + 1} of {len(chunks)}.")
            if surplus and n == len(chunks) - 1:
                comments.append("Additional tracking numbers: " + ", ".join(surplus) + ".")
            if marker:
                comments.append(marker)
            body = {
                "order_address_id": int(address_id),
                "tracking_number": number,
                "shipping_method": method,
                "shipping_provider": provider,
                "tracking_carrier": carrier_code,
                "comments": " ".join(comments),
                "items": [{"order_product_id": pid, "quantity": qty} for pid, qty in items],
            }
            try:
                created = self.client.post(f"/v2/orders/{order_id}/shipments", body)
            except ConnectorError as exc:
                if exc.kind is not ErrorKind.RETRYABLE:
                    raise
                # the answer was lost: the store may have created it
                existing = list(self.client.iter_v2(f"/v2/orders/{order_id}/shipments"))
                found = _find_shipment(existing, address_id, number, marker)
                if found is None:
                    raise
                ids.append(found)
                continue
            ids.append(str(created["id"]))
        return ids[0]

    def _only_address_id(self, order_id: str) -> str:
        addresses = list(self.client.iter_v2(f"/v2/orders/{order_id}/shipping_addresses"))
        if len(addresses) != 1:
            raise ConnectorError(
                f"BigCommerce order {order_id} ships to {len(addresses)} addresses; the shipment must say which",
                ErrorKind.FATAL,
            )
        return str(addresses[0]["id"])

    # ------------------------------------------------------------ inventory
    def push_stock(self, updates: list[StockUpdate]) -> PushResult:
        """Set absolute stock levels at the configured location.

        SKUs are resolved through the V3 catalog. A product whose
        inventory_tracking is "none" is skipped, and so is a SKU the store does not
        have; the rest is written with PUT /v3/inventory/adjustments/absolute,
        by product_id (tracked by product) or variant_id (tracked by variant), in
        batches of at most 2,000 items.
        """
        self._require_credentials()
        latest: dict[str, int] = {}
        for u in updates:
            latest[u.sku] = u.quantity  # last one wins
        result = PushResult()
        if not latest:
            return result
        resolved = self._resolve_skus(list(latest))
        items: list[tuple[str, dict]] = []
        for sku, quantity in latest.items():
            target = resolved.get(sku)
            if target is None:
                result.skipped.append((sku, "SKU not found in the BigCommerce catalog"))
                continue
            product, variant = target
            tracking = product.get("inventory_tracking")
            if tracking == "none":
                result.skipped.append((sku, f"product '{product.get('name', '')}' does not track inventory"))
                continue
            if tracking == "product":
                if variant is not None and variant.get("option_values") and sku != product.get("sku"):
                    result.skipped.append(
                        (sku, f"product '{product.get('name', '')}' tracks inventory at product level "
                              f"(SKU {product.get('sku')}), not per variant")
                    )
                    continue
                ident = {"product_id": int(product["id"])}
            elif tracking == "variant":
                if variant is None or not variant.get("option_values"):
                    result.skipped.append(
                        (sku, f"product '{product.get('name', '')}' tracks inventory per variant; "
                              "push its variant SKUs instead")
                    )
                    continue
                ident = {"variant_id": int(variant["id"])}
            else:
                result.skipped.append((sku, f"unknown inventory tracking {tracking!r}"))
                continue
            items.append((sku, {"location_id": self.location_id, **ident, "quantity": max(0, int(quantity))}))

        # one location per connection today; grouped anyway so batches never mix locations
        by_location: dict[int, list[tuple[str, dict]]] = {}
        for sku, item in items:
            by_location.setdefault(item["location_id"], []).append((sku, item))
        unanswered = self.client.policy.unanswered
        for group in by_location.values():
            for start in range(0, len(group), ADJUSTMENT_BATCH):
                batch = group[start:start + ADJUSTMENT_BATCH]
                self.client.put(
                    "/v3/inventory/adjustments/absolute",
                    {"reason": "Dockline stock sync", "items": [item for _, item in batch]},
                )
                result.updated.extend(sku for sku, _ in batch)
        result.in_doubt = self.client.policy.unanswered > unanswered
        return result

    def _resolve_skus(self, skus: list[str]) -> dict[str, tuple[dict, dict | None]]:
        """SKU -> (product, variant or None) for SKUs the catalog has.

        Main (product) SKUs are found with `GET /v3/catalog/products?sku:in=...&include=variants`.
        The spec has no `sku:in` on variants, so remaining (variant) SKUs are looked up one by
        one with `GET /v3/catalog/variants?sku=`, or, when many remain, by reading the whole
        catalog with `include=variants`.
        """
        found: dict[str, tuple[dict, dict | None]] = {}
        wanted = set(skus)

        def take(product: dict) -> None:
            if product.get("sku") in wanted:
                base = next((v for v in product.get("variants") or [] if v.get("sku") == product["sku"]), None)
                found[product["sku"]] = (product, base)
            for v in product.get("variants") or []:
                if v.get("sku") in wanted and v["sku"] not in found:
                    found[v["sku"]] = (product, v)

        if len(skus) > SKU_IN_CHUNK * 5:
            for product in self.client.iter_v3("/v3/catalog/products", {"include": "variants"}):
                take(product)
            return found
        for start in range(0, len(skus), SKU_IN_CHUNK):
            chunk = skus[start:start + SKU_IN_CHUNK]
            for product in self.client.iter_v3(
                "/v3/catalog/products", {"sku:in": ",".join(chunk), "include": "variants"}
            ):
                take(product)
        missing = [s for s in skus if s not in found]
        if not missing:
            return found
        if len(missing) > VARIANT_LOOKUPS:
            for product in self.client.iter_v3("/v3/catalog/products", {"include": "variants"}):
                take(product)
            return found
        variants: dict[str, dict] = {}
        for sku in missing:
            for v in self.client.iter_v3("/v3/catalog/variants", {"sku": sku}):
                if v.get("sku") == sku:
                    variants[sku] = v
        if variants:
            ids = sorted({int(v["product_id"]) for v in variants.values()})
            products = {}
            for start in range(0, len(ids), SKU_IN_CHUNK):
                chunk = ids[start:start + SKU_IN_CHUNK]
                for p in self.client.iter_v3("/v3/catalog/products", {"id:in": ",".join(map(str, chunk))}):
                    products[int(p["id"])] = p
            for sku, v in variants.items():
                product = products.get(int(v["product_id"]))
                if product is not None:
                    found[sku] = (product, v)
        return found

    def close(self) -> None:
        self.client.close()


def _status_choices(rows: list[dict]) -> list[tuple[str, str]]:
    """(status id, label) pairs, by id; a merchant's custom label wins."""
    return [
        (str(r["id"]), r.get("custom_label") or r.get("system_label") or r.get("name") or str(r["id"]))
        for r in sorted(rows, key=lambda r: int(r["id"]))
    ]
