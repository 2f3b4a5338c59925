"""SCIM 2.0 endpoints under /scim/v2 (RFC 7644), for the municipality's identity system.

JSON only: no CSRF token, no cookie, no session. Every request but
``/ServiceProviderConfig`` needs ``Authorization: Bearer <token>`` (a ScimToken, found by
the SHA-256 of the secret). A wrong, revoked or missing token is a 401 SCIM error and a
``security.scim_token_refused`` event; past ``SCIM_REFUSED_LIMIT_PER_IP`` refusals from
one address, further refused requests from it get 429 for the rest of the window (a valid
token is still served). The request commits once, after scim2-server's handler returned;
any SCIM error rolls everything back.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Blueprint, Response, current_app, request
from flask.globals import request_ctx
from scim2_models import (
    Context,
    Error,
    SCIMException,
    UnauthorizedException,
    UniquenessException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from casetrack.audit import security_log
from casetrack.extensions import csrf, db
from casetrack.infra import throttle
from casetrack.models import ScimToken
from casetrack.queries import scim as queries
from casetrack.services import scim as scim_service
from casetrack.web.scim.resources import PROVIDER
from casetrack.web.scim.storage import CasetrackStorage

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
csrf.exempt(bp)


class CasetrackScimService(ScimService):
    def patch_response(self, base_url, resource, response_parameters) -> ScimResponse:
        """The patched resource with 200, as Entra ID's documentation shows it (RFC 7644
        §3.5.2 allows that or 204; scim2-server answers 204 without ``attributes``)."""
        published = self.publish(base_url, resource)
        return self.resource_response(
            published, Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
        )


SERVICE = CasetrackScimService(PROVIDER)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
THROTTLE_SCOPE = "scim"
THROTTLE_SETTING = "SCIM_REFUSED_LIMIT_PER_IP"
RACED = "Another request changed the same resource at the same time; send it again."


def _send(response: ScimResponse) -> Response:
    body = "" if response.body is None else json.dumps(response.body)
    sent = Response(body, status=response.status.value)
    for name, value in response.headers.items():
        sent.headers[name] = value
    return sent


def _error(status: int, detail: str) -> Response:
    return _send(ScimResponse(HTTPStatus(status), Error(status=status, detail=detail).model_dump()))


def _refuse(reason: str, token: ScimToken | None = None) -> None:
    """Refuse the request: 401, or 429 once this address has been refused too often.

    The refusal is streamed to the security log, not written to the database (a flood
    must not become one). A valid token is always served, even from a blocked address:
    the identity system's addresses are shared with others (Entra ID sends from Azure's),
    and a 256-bit token cannot be guessed in any number of tries."""
    wait = throttle.address_blocked(THROTTLE_SCOPE, THROTTLE_SETTING)
    security_log.emit(
        security_log.build(
            "security.scim_token_refused",
            actor_label="SCIM",
            entity_type="scim_token",
            entity_id=token.id if token is not None else None,
            outcome="denied",
            details={"reason": reason, "throttled": wait is not None},
        )
    )
    if wait is not None:
        raise Throttled(wait)
    throttle.address_failed(THROTTLE_SCOPE, THROTTLE_SETTING)
    raise UnauthorizedException(detail="A valid bearer token is required.")


class Throttled(Exception):
    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


def _authenticate() -> ScimToken:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        _refuse("missing")
    token = queries.token_by_secret(secret)
    if token is None:
        _refuse("unknown")
    if token.revoked_at is not None:
        _refuse("revoked", token)
    scim_service.token_used(token)
    return token


def _scim_request(path: str) -> ScimRequest:
    return ScimRequest(
        method=request.method,
        base_url=request.url_root.rstrip("/") + bp.url_prefix,
        path="/" + path,
        query=request.args.to_dict(),
        headers=list(request.headers.items()),
        body=request.get_data(),
    )


@bp.url_value_preprocessor
def no_session(endpoint, values) -> None:
    """SCIM requests have no session: a cookie sent along is not read (so it neither logs
    anyone in nor is refreshed), and no cookie is set. This runs before every
    before_request hook, the app's included. (Flask 3.1 keeps the opened session in
    ``RequestContext._session``; tests/web/test_scim.py fails if that changes.)"""
    request_ctx._session = current_app.session_interface.make_null_session(current_app)


@bp.route("", defaults={"path": ""}, methods=METHODS)
@bp.route("/<path:path>", methods=METHODS)
def endpoint(path: str):
    scim_request = _scim_request(path)
    try:
        needs_token = SERVICE.match(scim_request).operation is not Operation.service_provider_config
        token = _authenticate() if needs_token else None
        handler = ScimHandler(SERVICE, CasetrackStorage(token))
        response = handler.handle(scim_request)
        db.session.commit()
    except SCIMException as error:
        db.session.rollback()
        return _send(SERVICE.error_response(error))
    except Throttled as throttled:
        response = _error(429, "Too many refused tokens from this address; try later.")
        response.headers["Retry-After"] = str(throttled.wait)
        return response
    except (IntegrityError, StaleDataError):
        # Two requests raced for the same address, externalId or member (the identity
        # system sends in parallel): the loser retries, and then sees the winner's row.
        db.session.rollback()
        return _send(SERVICE.error_response(UniquenessException(detail=RACED)))
    return _send(response)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Werkzeug's own refusals (a body over MAX_CONTENT_LENGTH, …) as SCIM errors."""
    db.session.rollback()
    return _error(error.code or 500, error.description or "")
