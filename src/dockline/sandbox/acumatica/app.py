"""The Acumatica sandbox's WSGI app: the identity server's token endpoint and the parts of the
contract-based REST API (Default endpoint) that Dockline uses.

Field values travel wrapped as `{"value": ...}`; detail collections and linked objects only come
with `$expand` (nested as `ShippingSettings/ShipToAddress`); lists take `$filter`, `$select`, `$top`
and `$skip` (no `$orderby`: the contract-based API has none). Every field name is checked against
the official model (see `query`). A refused PUT answers 422 with the entity itself: a generic
`error` on top and the field's own `{"value", "error"}`. Actions answer 202 Accepted with a
Location to poll: 202 while running, 204 when done, 500 with the reason when it failed.

Lists come in key order, as instances answer in practice; `shuffle` (a `random.Random`) answers
them in any order instead, since the API promises none.
"""
from __future__ import annotations

import base64
import copy
import json
import random
import threading
import time
import uuid
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from dockline.sandbox.acumatica.instance import AcumaticaInstance, ApiError, OAuthError
from dockline.sandbox.acumatica.query import check_expand, check_select, matches, parse_filter, paths, unwrap, wrap


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


class AcumaticaApp:
    def __init__(self, instance: AcumaticaInstance, *, faults: Faults | None = None, action_seconds: float = 0.3,
                 shuffle: random.Random | None = None):
        self.instance = instance
        self.shuffle = shuffle
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

    def _error(self, exc: ApiError, entity: dict | None = None) -> Response:
        if exc.status == 422 and entity is not None:
            return self._json(self._entity_error(exc, entity), 422)
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

    @staticmethod
    def _entity_error(exc: ApiError, body: dict) -> dict:
        """The refused entity as sent, with the generic error on top and the field's own error."""
        answer = {"id": body.get("id") or str(uuid.uuid4()), "rowNumber": 1, **copy.deepcopy(body)}
        if not exc.at:
            answer["error"] = exc.message
            return answer
        verb = "Updating" if body.get("id") or body.get("ShipmentNbr") else "Inserting"
        answer["error"] = f"{verb} 'Shipment' record raised at least one error. Please review the errors."
        node = answer
        for part in exc.at[:-1]:
            node = node[part]
        field = node.get(exc.at[-1])
        node[exc.at[-1]] = {**(field if isinstance(field, dict) else {"value": field}), "error": exc.message}
        return answer

    # ---------------------------------------------------------------- entities
    @staticmethod
    def _shape(request: Request, entity: str) -> tuple[dict, dict | None]:
        expand, select = paths(request.args.get("$expand", "")), paths(request.args.get("$select", ""))
        check_expand(entity, expand)
        check_select(entity, select)
        return expand, select or None

    def _list(self, request: Request, entity: str, records: list[dict]) -> Response:
        clauses = parse_filter(entity, request.args.get("$filter", ""))
        expand, select = self._shape(request, entity)
        try:
            skip, top = int(request.args.get("$skip", 0) or 0), int(request.args.get("$top", 0) or 0)
        except ValueError:
            raise ApiError(400, "The $top and $skip parameters must be whole numbers.") from None
        rows = [r for r in records if matches(r, clauses)]
        if self.shuffle is not None:
            self.shuffle.shuffle(rows)
        rows = rows[skip:]
        if top:
            rows = rows[:top]
        return self._json([wrap(r, entity, expand, select) for r in rows])

    def list_orders(self, request: Request, version: str) -> Response:
        with self.instance.lock:
            records = [self.instance.orders[k] for k in sorted(self.instance.orders)]
            return self._list(request, "SalesOrder", records)

    def get_order(self, request: Request, version: str, order_type: str, nbr: str) -> Response:
        with self.instance.lock:
            expand, select = self._shape(request, "SalesOrder")
            order = self.instance.orders.get((order_type, nbr))
            if order is None:
                raise ApiError(500, "No entity satisfies the condition.")
            return self._json(wrap(order, "SalesOrder", expand, select))

    def list_shipments(self, request: Request, version: str) -> Response:
        with self.instance.lock:
            records = [self.instance.shipments[k] for k in sorted(self.instance.shipments)]
            return self._list(request, "Shipment", records)

    def get_shipment(self, request: Request, version: str, nbr: str) -> Response:
        with self.instance.lock:
            expand, select = self._shape(request, "Shipment")
            shipment = self.instance.shipments.get(nbr)
            if shipment is None:
                raise ApiError(500, "No entity satisfies the condition.")
            return self._json(wrap(shipment, "Shipment", expand, select))

    def put_shipment(self, request: Request, version: str) -> Response:
        raw = self._body(request)
        expand, select = self._shape(request, "Shipment")
        try:
            saved = self.instance.save_shipment(unwrap(raw, "Shipment"))
        except ApiError as exc:
            return self._error(exc, raw if isinstance(raw, dict) else None)
        return self._json(wrap(saved, "Shipment", expand, select))

    @staticmethod
    def _body(request: Request):
        try:
            return json.loads(request.get_data() or b"{}")
        except ValueError:
            raise ApiError(400, "The request is invalid: the body is not JSON.") from None

    # ---------------------------------------------------------------- long-running actions
    def confirm(self, request: Request, version: str) -> Response:
        entity = unwrap(self._body(request).get("entity") or {}, "Shipment")
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
