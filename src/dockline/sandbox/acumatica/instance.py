"""The state of a sandbox Acumatica instance: OAuth clients, users, tokens, sales orders and shipments.

Records are kept flat (plain values) and hold only fields of the official model (`model.ENTITIES`):
a SalesOrder's time is `LastModified`, a Shipment's `LastModifiedDateTime`, and a Shipment's ship-to
address and contact sit under `ShippingSettings` (ShipToSettings). The app wraps values as
`{"value": ...}` on the way out.

Refresh tokens live `REFRESH_LIFETIME` from the first sign-in of their chain, however often they
are rotated (Acumatica before 2024 R1 has no sliding expiration). Time comes from `clock`.
"""
from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

REFRESH_LIFETIME = 30 * 24 * 3600.0  # seconds a refresh token chain lives after its first issue


class ApiError(Exception):
    """An error the app turns into Acumatica's answer (status + message).

    `at` places a 422 on the field it concerns, e.g. ("ShipVia",) or ("Details", 0, "ShippedQty")
    (row index in the request body): the answer is then the entity with that field's `error`.
    """

    def __init__(self, status: int, message: str, at: tuple = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.at = at


class OAuthError(Exception):
    def __init__(self, error: str, description: str = ""):
        super().__init__(error)
        self.error = error
        self.description = description


@dataclass
class Token:
    access: str
    refresh: str
    client_id: str
    username: str
    expires_at: float
    chain_started: float  # when the first token of this refresh chain was issued


@dataclass
class Stats:
    password_grants: int = 0
    refreshes: int = 0
    sessions_opened: int = 0
    login_limit_errors: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)


class AcumaticaInstance:
    """One instance, one tenant. Thread-safe: the app serves requests from several threads."""

    def __init__(self, *, token_lifetime: float = 3600.0, max_sessions: int = 2, session_timeout: float = 1200.0,
                 clock: Callable[[], float] = time.time):
        self.lock = threading.RLock()
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.max_sessions = max_sessions  # "Maximum Number of Web Services API Users"
        self.session_timeout = session_timeout
        self.clients: dict[str, str] = {}  # client id -> shared secret (removed when it expires)
        self.expired_secrets: set[tuple[str, str]] = set()
        self.users: dict[str, dict] = {}  # username -> {"password", "enabled"}
        self.tokens: dict[str, Token] = {}  # access token -> token
        self.refresh_tokens: dict[str, Token] = {}  # live refresh token -> token
        self.sessions: dict[str, float] = {}  # access token -> last use (monotonic)
        self.items: dict[str, str] = {}  # InventoryID -> description
        self.ship_vias: set[str] = set()
        self.orders: dict[tuple[str, str], dict] = {}
        self.shipments: dict[str, dict] = {}
        self.stats = Stats()
        self._order_seq = 0
        self._shipment_seq = 0

    # ---------------------------------------------------------------- setup and faults
    def add_client(self, client_id: str, secret: str) -> None:
        with self.lock:
            self.clients[client_id] = secret

    def add_user(self, username: str, password: str) -> None:
        with self.lock:
            self.users[username] = {"password": password, "enabled": True}

    def expire_secret(self, client_id: str) -> None:
        """The client's shared secret passes its expiration date: every grant answers invalid_client."""
        with self.lock:
            self.expired_secrets.add((client_id, self.clients[client_id]))

    def new_secret(self, client_id: str) -> str:
        with self.lock:
            self.clients[client_id] = secrets.token_urlsafe(24)
            return self.clients[client_id]

    def revoke_refresh_tokens(self, username: str | None = None) -> None:
        with self.lock:
            for value, tok in list(self.refresh_tokens.items()):
                if username is None or tok.username == username:
                    del self.refresh_tokens[value]

    def disable_user(self, username: str, enabled: bool = False) -> None:
        with self.lock:
            self.users[username]["enabled"] = enabled

    def expire_access_tokens(self) -> None:
        with self.lock:
            for tok in self.tokens.values():
                tok.expires_at = 0.0

    # ---------------------------------------------------------------- OAuth 2 (identity server)
    def grant(self, form: dict[str, str]) -> dict:
        with self.lock:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            if self.clients.get(client_id) != secret or (client_id, secret) in self.expired_secrets:
                raise OAuthError("invalid_client")
            kind = form.get("grant_type")
            if kind == "password":
                user = self.users.get(form.get("username", ""))
                if user is None or user["password"] != form.get("password") or not user["enabled"]:
                    raise OAuthError("invalid_grant", "invalid_username_or_password")
                scopes = set(form.get("scope", "").split())
                if "api" not in scopes:
                    raise OAuthError("invalid_scope")
                self.stats.password_grants += 1
                return self._issue(client_id, form["username"], offline="offline_access" in scopes,
                                   chain_started=self.clock())
            if kind == "refresh_token":
                old = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # one use only
                if old is None or old.client_id != client_id:
                    raise OAuthError("invalid_grant")
                if not self.users[old.username]["enabled"]:
                    raise OAuthError("invalid_grant")
                if self.clock() - old.chain_started > REFRESH_LIFETIME:
                    raise OAuthError("invalid_grant")
                self.tokens.pop(old.access, None)
                self.sessions.pop(old.access, None)  # the session carries over to the new token
                self.stats.refreshes += 1
                issued = self._issue(client_id, old.username, offline=True, chain_started=old.chain_started)
                self.sessions[issued["access_token"]] = self.clock()
                return issued
            raise OAuthError("unsupported_grant_type")

    def _issue(self, client_id: str, username: str, *, offline: bool, chain_started: float) -> dict:
        tok = Token(secrets.token_hex(16), secrets.token_hex(16) if offline else "", client_id, username,
                    self.clock() + self.token_lifetime, chain_started)
        self.tokens[tok.access] = tok
        answer = {"access_token": tok.access, "expires_in": int(self.token_lifetime), "token_type": "Bearer",
                  "scope": "api offline_access" if offline else "api"}
        if offline:
            self.refresh_tokens[tok.refresh] = tok
            answer["refresh_token"] = tok.refresh
        return answer

    def authenticate(self, access_token: str) -> Token:
        """The token's user, opening an API session for a token seen for the first time."""
        with self.lock:
            tok = self.tokens.get(access_token)
            if tok is None or tok.expires_at < self.clock() or not self.users[tok.username]["enabled"]:
                raise ApiError(401, "You are not logged in.")
            clock = self.clock()
            for value, last in list(self.sessions.items()):
                if clock - last > self.session_timeout or value not in self.tokens:
                    del self.sessions[value]
            if access_token not in self.sessions:
                if len(self.sessions) >= self.max_sessions:
                    self.stats.login_limit_errors += 1
                    raise ApiError(500, "API Login Limit")
                self.stats.sessions_opened += 1
            self.sessions[access_token] = clock
            return tok

    # ---------------------------------------------------------------- business data
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def add_item(self, inventory_id: str, description: str) -> None:
        with self.lock:
            self.items[inventory_id] = description

    def place_order(self, items: list[tuple[str, int]], ship_via: str, *, customer: str = "ACMECUST",
                    order_type: str = "SO", status: str = "Open") -> str:
        with self.lock:
            for sku, _ in items:
                if sku not in self.items:
                    raise ApiError(422, f"Inventory ID '{sku}' cannot be found in the system.")
            self._order_seq += 1
            nbr = f"{self._order_seq:06d}"
            self.ship_vias.add(ship_via)
            now = self.now()
            self.orders[(order_type, nbr)] = {
                "id": str(uuid.uuid4()), "OrderType": order_type, "OrderNbr": nbr, "Status": status,
                "CustomerID": customer, "Date": now.replace(hour=0, minute=0, second=0, microsecond=0),
                "LastModified": now, "ShipVia": ship_via, "CustomerOrder": f"PO-{nbr}",
                "Details": [
                    {"id": str(uuid.uuid4()), "LineNbr": n, "InventoryID": sku, "OrderQty": float(qty),
                     "OpenQty": float(qty), "QtyOnShipments": 0.0, "LineDescription": self.items[sku],
                     "UnitPrice": 10.0, "WarehouseID": "WHOLESALE"}
                    for n, (sku, qty) in enumerate(items, start=1)
                ],
                "ShipToAddress": {"AddressLine1": f"{100 + self._order_seq} Pine St", "AddressLine2": "",
                                  "City": "Portland", "State": "OR", "PostalCode": "97201", "Country": "US"},
                "ShipToContact": {"Attention": f"Pat Buyer {nbr}", "BusinessName": "Acme Customer Inc.",
                                  "Email": f"buyer{nbr}@example.com", "Phone1": "+1 503 555 0100"},
                "Shipments": [],
            }
            return nbr

    def create_shipment_for(self, order_type: str, order_nbr: str) -> str:
        """What a user does on the Sales Orders form (Create Shipment): an Open shipment for every open line."""
        order = self.orders[(order_type, order_nbr)]
        return self.save_shipment({
            "Type": "Shipment", "CustomerID": order["CustomerID"], "WarehouseID": "WHOLESALE",
            "ShipVia": order["ShipVia"],
            "Details": [{"OrderType": order_type, "OrderNbr": order_nbr, "OrderLineNbr": line["LineNbr"]}
                        for line in order["Details"]],
        })["ShipmentNbr"]

    def save_shipment(self, body: dict) -> dict:
        """PUT Shipment: insert (no key) or update (ShipmentNbr or id of an existing shipment).

        Refusals are 422s placed on the field they concern (`ApiError.at`), as Acumatica answers them.
        """
        with self.lock:
            shipment = self._find_shipment(body)
            if shipment is None:
                shipment = self._new_shipment(body)
            elif shipment["Status"] != "Open":
                raise ApiError(422, f"Shipment {shipment['ShipmentNbr']} is {shipment['Status']} "
                                    "and cannot be changed.")
            if body.get("ShipVia"):
                if body["ShipVia"] not in self.ship_vias:
                    raise ApiError(422, f"Ship Via '{body['ShipVia']}' cannot be found in the system.", ("ShipVia",))
                shipment["ShipVia"] = body["ShipVia"]
            for n, row in enumerate(body.get("Details") or []):
                self._save_shipment_line(shipment, row, n)
            for n, row in enumerate(body.get("Packages") or []):
                if not row.get("BoxID"):
                    raise ApiError(422, "'Box ID' cannot be empty.", ("Packages", n, "BoxID"))
                shipment["Packages"].append({
                    "id": str(uuid.uuid4()), "LineNbr": len(shipment["Packages"]) + 1, "BoxID": row["BoxID"],
                    "Weight": float(row.get("Weight") or 0), "TrackingNbr": row.get("TrackingNbr") or "",
                    "Description": row.get("Description") or "", "Confirmed": True,
                })
            if not shipment["Details"]:
                raise ApiError(422, "The shipment has no lines.")
            shipment["LastModifiedDateTime"] = self.now()
            self.shipments[shipment["ShipmentNbr"]] = shipment
            self._refresh_orders()
            return shipment

    def _find_shipment(self, body: dict) -> dict | None:
        if body.get("ShipmentNbr"):
            found = self.shipments.get(body["ShipmentNbr"])
            if found is None:
                raise ApiError(422, f"Shipment '{body['ShipmentNbr']}' cannot be found in the system.",
                               ("ShipmentNbr",))
            return found
        if body.get("id"):
            return next((s for s in self.shipments.values() if s["id"] == body["id"]), None)
        return None

    def _new_shipment(self, body: dict) -> dict:
        self._shipment_seq += 1
        now = self.now()
        return {
            "id": str(uuid.uuid4()), "ShipmentNbr": f"{self._shipment_seq:06d}", "Type": body.get("Type", "Shipment"),
            "Status": "Open", "CustomerID": body.get("CustomerID", ""), "WarehouseID": body.get("WarehouseID", ""),
            "ShipVia": "", "ShipmentDate": now.replace(hour=0, minute=0, second=0, microsecond=0),
            "LastModifiedDateTime": now, "Details": [], "Packages": [],
            "ShippingSettings": {"ShipToAddress": {}, "ShipToAddressOverride": False, "ShipToContact": {},
                                 "ShipToContactOverride": False},
        }

    def _save_shipment_line(self, shipment: dict, row: dict, n: int) -> None:
        existing = next((d for d in shipment["Details"] if (row.get("id") and d["id"] == row["id"])
                         or (row.get("LineNbr") and d["LineNbr"] == int(row["LineNbr"]))), None)
        if existing is not None:
            if row.get("delete"):
                shipment["Details"].remove(existing)
            elif "ShippedQty" in row:
                line = self._order_line(existing["OrderType"], existing["OrderNbr"], existing["OrderLineNbr"], n)
                self._check_qty(line, float(row["ShippedQty"]), existing, n)
                existing["ShippedQty"] = float(row["ShippedQty"])
            return
        order_key = (row.get("OrderType", ""), row.get("OrderNbr", ""))
        order = self.orders.get(order_key)
        if order is None or order["Status"] in ("On Hold", "Completed", "Canceled", "Cancelled"):
            raise ApiError(422, f"Sales order {order_key[0]} {order_key[1]} cannot be shipped.",
                           ("Details", n, "OrderNbr"))
        if shipment["CustomerID"] and shipment["CustomerID"] != order["CustomerID"]:
            raise ApiError(422, "The sales order belongs to another customer.", ("Details", n, "OrderNbr"))
        shipment["CustomerID"] = order["CustomerID"]
        shipment["ShippingSettings"]["ShipToAddress"] = dict(order["ShipToAddress"])
        shipment["ShippingSettings"]["ShipToContact"] = dict(order["ShipToContact"])
        shipment["ShipVia"] = shipment["ShipVia"] or order["ShipVia"]
        line = self._order_line(*order_key, int(row["OrderLineNbr"]), n)
        open_qty = line["OrderQty"] - self._on_shipments(line, order_key)
        qty = float(row["ShippedQty"]) if "ShippedQty" in row else open_qty
        detail = {"id": str(uuid.uuid4()), "LineNbr": len(shipment["Details"]) + 1, "OrderType": order_key[0],
                  "OrderNbr": order_key[1], "OrderLineNbr": line["LineNbr"], "InventoryID": line["InventoryID"],
                  "Description": line["LineDescription"], "OrderedQty": line["OrderQty"], "ShippedQty": 0.0}
        self._check_qty(line, qty, detail, n)
        detail["ShippedQty"] = qty
        shipment["Details"].append(detail)

    def _order_line(self, order_type: str, order_nbr: str, line_nbr: int, n: int) -> dict:
        order = self.orders[(order_type, order_nbr)]
        line = next((d for d in order["Details"] if d["LineNbr"] == int(line_nbr)), None)
        if line is None:
            raise ApiError(422, f"Sales order {order_type} {order_nbr} has no line {line_nbr}.",
                           ("Details", n, "OrderLineNbr"))
        return line

    def _on_shipments(self, line: dict, order_key, skip: dict | None = None) -> float:
        return sum(d["ShippedQty"] for s in self.shipments.values() for d in s["Details"]
                   if (d["OrderType"], d["OrderNbr"]) == order_key and d["OrderLineNbr"] == line["LineNbr"]
                   and d is not skip)

    def _check_qty(self, line: dict, qty: float, detail: dict, n: int) -> None:
        order_key = (detail["OrderType"], detail["OrderNbr"])
        if qty <= 0 or qty > line["OrderQty"] - self._on_shipments(line, order_key, skip=detail):
            raise ApiError(422, f"Shipped Qty. {qty:g} of item {line['InventoryID']} exceeds the quantity "
                                f"still open on sales order {order_key[0]} {order_key[1]}.",
                           ("Details", n, "ShippedQty"))

    def confirm_shipment(self, key: dict) -> None:
        with self.lock:
            shipment = self._find_shipment(key)
            if shipment is None:
                raise ApiError(500, "No entity satisfies the condition.")
            if shipment["Status"] != "Open":
                raise ApiError(500, f"The shipment {shipment['ShipmentNbr']} has already been confirmed.")
            shipment["Status"] = "Confirmed"
            shipment["LastModifiedDateTime"] = self.now()
            for d in shipment["Details"]:
                self._order_line(d["OrderType"], d["OrderNbr"], d["OrderLineNbr"], 0)["OpenQty"] -= d["ShippedQty"]
            self._refresh_orders()

    def _refresh_orders(self) -> None:
        """Quantities on shipments, the Shipments tab, and the status: Open -> Shipping (open shipments)
        -> Back Order (part shipped) / Completed (all shipped)."""
        for key, order in self.orders.items():
            mine = [s for s in self.shipments.values() if any((d["OrderType"], d["OrderNbr"]) == key
                                                              for d in s["Details"])]
            for line in order["Details"]:
                line["QtyOnShipments"] = self._on_shipments(line, key)
            order["Shipments"] = [{"ShipmentNbr": s["ShipmentNbr"], "ShipmentType": s["Type"], "Status": s["Status"]}
                                  for s in mine]
            if order["Status"] in ("On Hold", "Canceled", "Cancelled", "Completed"):
                continue
            if all(d["OpenQty"] <= 0 for d in order["Details"]):
                status = "Completed"
            elif any(s["Status"] == "Open" for s in mine):
                status = "Shipping"
            elif any(d["OpenQty"] < d["OrderQty"] for d in order["Details"]):
                status = "Back Order"
            else:
                status = "Open"
            if status != order["Status"]:
                order["Status"] = status
                order["LastModified"] = self.now()

    def cancel_order(self, order_type: str, order_nbr: str) -> None:
        """Cancel a sales order as the Sales Orders screen's Cancel Order action does: Status Canceled."""
        with self.lock:
            order = self.orders[(order_type, order_nbr)]
            order["Status"] = "Canceled"
            order["LastModified"] = self.now()

    def shipments_of(self, order_type: str, order_nbr: str) -> list[dict]:
        with self.lock:
            return [s for s in self.shipments.values()
                    if any((d["OrderType"], d["OrderNbr"]) == (order_type, order_nbr) for d in s["Details"])]
