"""The Acumatica sandbox's WSGI app: the identity server's token endpoint and the parts of the
contract-based REST API (Default endpoint) that Dockline uses.

Field values travel wrapped as `{"value": ...}`; detail collections and linked objects only come
with `$expand`; lists take `$filter` (`eq ne gt ge lt le` joined by `and`, strings in quotes,
times as `datetimeoffset'...'`), `$top` and `$skip`. Actions answer 202 Accepted with a
Location to poll: 202 while running, 204 when done, 500 with the reason when it failed.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from datetime import datetime
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from dockline.sandbox.acumatica.instance import AcumaticaInstance, ApiError, OAuthError

CLAUSE = re.compile(r"^(\w+) (eq|ne|gt|ge|lt|le) (?:datetimeoffset'([^']*)'|'((?:[^']|'')*)'|(\S+))$")
OPS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
       "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b}


class Faults:
    """Switchable failures: the next requests answer with these statuses before anything else."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fail: list[int] = []

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        with self._lock:
            self._fail.extend([status] * n)

    def take(self) -> int | None:
        with self._lock:
            return self._fail.pop(0) if self._fail else None


def wrap(record: dict, expand: set[str]) -> dict:
    out: dict = {"id": record.get("id") or str(uuid.uuid5(uuid.NAMESPACE_OID, json.dumps(record, default=str))),
                 "rowNumber": 1, "note": {"value": ""}, "custom": {}}
    for key, value in record.items():
        if key == "id":
            continue
        if isinstance(value, list):
            if key in expand:
                out[key] = [{**wrap(row, set()), "rowNumber": n} for n, row in enumerate(value, start=1)]
        elif isinstance(value, dict):
            if key in expand:
                out[key] = wrap(value, set())
        else:
            out[key] = {"value": value.isoformat() if isinstance(value, datetime) else value}
    return out


def unwrap(body):
    if isinstance(body, list):
        return [unwrap(row) for row in body]
    if not isinstance(body, dict):
        return body
    if set(body) <= {"value", "error"} and "value" in body:
        return body["value"]
    return {k: unwrap(v) for k, v in body.items() if k not in ("custom", "note", "rowNumber", "_links")}


def matches(record: dict, clauses: list[tuple]) -> bool:
    for field, op, when, text, bare in clauses:
        have = record.get(field)
        if when is not None:
            want = datetime.fromisoformat(when)
        elif text is not None:
            want = text.replace("''", "'")
        else:
            want = {"true": True, "false": False, "null": None}.get(bare, bare)
        if (have is None or want is None) and op not in ("eq", "ne"):
            return False
        if not OPS[op](have, want):
            return False
    return True


def parse_filter(text: str) -> list[tuple]:
    clauses = []
    for part in [p.strip() for p in text.split(" and ")] if text.strip() else []:
        m = CLAUSE.match(part)
        if m is None:
            raise ApiError(400, f"The $filter expression is not valid: {part}")
        clauses.append(m.groups())
    return clauses


class AcumaticaApp:
    def __init__(self, instance: AcumaticaInstance, *, faults: Faults | None = None, action_seconds: float = 0.3):
        self.instance = instance
        self.faults = faults or Faults()
        self.action_seconds = action_seconds  # how long a long-running action keeps answering 202
        self.actions: dict[str, dict] = {}
        base = "/entity/Default/<version>"
        self.url_map = Map([
            Rule("/identity/connect/token", endpoint="token", methods=["POST"]),
            Rule(f"{base}/SalesOrder", endpoint="list_orders", methods=["GET"]),
            Rule(f"{base}/SalesOrder/<order_type>/<nbr>", endpoint="get_order", methods=["GET"]),
            Rule(f"{base}/Shipment", endpoint="list_shipments", methods=["GET"]),
            Rule(f"{base}/Shipment", endpoint="put_shipment", methods=["PUT"]),
            Rule(f"{base}/Shipment/ConfirmShipment", endpoint="confirm", methods=["POST"]),
            Rule(f"{base}/Shipment/ConfirmShipment/status/<action_id>", endpoint="action_status", methods=["GET"]),
            Rule(f"{base}/Shipment/<nbr>", endpoint="get_shipment", methods=["GET"]),
        ], strict_slashes=False)

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        self.instance.stats.requests.append((request.method, request.path))
        status = self.faults.take()
        if status is not None:
            return self._error(ApiError(status, "Injected fault"))
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match()
            if endpoint == "token":
                return self.token(request)
            self.instance.authenticate(self._bearer(request))
            return getattr(self, endpoint)(request, **args)
        except ApiError as exc:
            return self._error(exc)
        except HTTPException as exc:
            return self._error(ApiError(exc.code or 500, exc.description or exc.name))

    @staticmethod
    def _bearer(request: Request) -> str:
        header = request.headers.get("Authorization", "")
        return header[7:].strip() if header.lower().startswith("bearer ") else ""

    @staticmethod
    def _json(body, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")

    def _error(self, exc: ApiError) -> Response:
        if exc.status == 401:
            return self._json({"message": "Authorization has been denied for this request."}, 401)
        if exc.status == 500:
            return self._json({"message": "An error has occurred.", "exceptionMessage": exc.message,
                               "exceptionType": "PX.Data.PXException", "stackTrace": ""}, 500)
        return self._json({"message": exc.message, "error": exc.message}, exc.status)

    # ---------------------------------------------------------------- identity server
    def token(self, request: Request) -> Response:
        form = dict(request.form)
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            form.setdefault("client_id", unquote(user))
            form.setdefault("client_secret", unquote(secret))
        try:
            answer = self.instance.grant(form)
        except OAuthError as exc:
            body = {"error": exc.error, **({"error_description": exc.description} if exc.description else {})}
            return self._json(body, 400)
        response = self._json(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    # ---------------------------------------------------------------- entities
    def _list(self, request: Request, records: list[dict]) -> Response:
        clauses = parse_filter(request.args.get("$filter", ""))
        expand = set(filter(None, request.args.get("$expand", "").split(",")))
        skip, top = int(request.args.get("$skip", 0) or 0), request.args.get("$top")
        rows = [r for r in records if matches(r, clauses)][skip:]
        if top:
            rows = rows[: int(top)]
        return self._json([wrap(r, expand) for r in rows])

    def list_orders(self, request: Request, version: str) -> Response:
        with self.instance.lock:
            records = [self.instance.orders[k] for k in sorted(self.instance.orders)]
            return self._list(request, [{"Shipments": [], **r} for r in records])

    def get_order(self, request: Request, version: str, order_type: str, nbr: str) -> Response:
        with self.instance.lock:
            order = self.instance.orders.get((order_type, nbr))
            if order is None:
                raise ApiError(500, "No entity satisfies the condition.")
            expand = set(filter(None, request.args.get("$expand", "").split(",")))
            return self._json(wrap({"Shipments": [], **order}, expand))

    def list_shipments(self, request: Request, version: str) -> Response:
        with self.instance.lock:
            return self._list(request, [self.instance.shipments[k] for k in sorted(self.instance.shipments)])

    def get_shipment(self, request: Request, version: str, nbr: str) -> Response:
        with self.instance.lock:
            shipment = self.instance.shipments.get(nbr)
            if shipment is None:
                raise ApiError(500, "No entity satisfies the condition.")
            return self._json(wrap(shipment, set(filter(None, request.args.get("$expand", "").split(",")))))

    def put_shipment(self, request: Request, version: str) -> Response:
        body = unwrap(self._body(request))
        saved = self.instance.save_shipment(body)
        return self._json(wrap(saved, set(filter(None, request.args.get("$expand", "").split(",")))))

    @staticmethod
    def _body(request: Request):
        try:
            return json.loads(request.get_data() or b"{}")
        except ValueError:
            raise ApiError(400, "The request is invalid: the body is not JSON.") from None

    # ---------------------------------------------------------------- long-running actions
    def confirm(self, request: Request, version: str) -> Response:
        entity = unwrap(self._body(request).get("entity") or {})
        if not entity.get("id") and not entity.get("ShipmentNbr"):
            raise ApiError(400, "The entity of the action is missing its key.")
        action_id = str(uuid.uuid4())
        state = {"done": False, "error": None}
        self.actions[action_id] = state

        def run() -> None:
            try:
                self.instance.confirm_shipment(entity)
            except ApiError as exc:
                state["error"] = exc.message
            state["done"] = True

        timer = threading.Timer(self.action_seconds, run)
        timer.daemon = True
        timer.start()
        response = Response(status=202)
        response.headers["Location"] = f"/entity/Default/{version}/Shipment/ConfirmShipment/status/{action_id}"
        return response

    def action_status(self, request: Request, version: str, action_id: str) -> Response:
        state = self.actions.get(action_id)
        if state is None:
            raise ApiError(404, "The action was not found.")
        if not state["done"]:
            time.sleep(0.01)
            return Response(status=202)
        if state["error"]:
            raise ApiError(500, state["error"])
        return Response(status=204)
