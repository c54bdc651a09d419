"""One exception tree; each class knows its HTTP status and OpenAI error type.

    TenbinError                      500 server_error
    ├── InvalidRequest               400 invalid_request_error
    │   └── GuardrailBlocked         400 invalid_request_error (code prompt_injection_detected / pii_detected)
    ├── AuthenticationFailed         401 authentication_error
    ├── PermissionDenied             403 permission_error
    ├── NotFound                     404 invalid_request_error (code model_not_found)
    ├── MethodNotAllowed             405 invalid_request_error
    ├── PayloadTooLarge              413 invalid_request_error
    ├── RateLimited                  429 rate_limit_error (Retry-After)
    ├── UpstreamError                502 upstream_error (the upstream's own message)
    │   ├── UpstreamUnavailable      503 upstream_error
    │   └── UpstreamTimeout          504 upstream_error
    └── ConfigError                  raised at start-up, never over HTTP

Errors are rendered as OpenAI error JSON at exactly one boundary: ``gateway.responses.error_response``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TenbinError(Exception):
    status: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    default_code: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code
        self.headers = headers or {}
        #: Set once the error has its ledger row, so the boundary does not write a second one.
        self.recorded = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequest(TenbinError):
    status = 400
    error_type = "invalid_request_error"


class GuardrailBlocked(InvalidRequest):
    default_code = "guardrail_blocked"


class AuthenticationFailed(TenbinError):
    status = 401
    error_type = "authentication_error"
    default_code = "invalid_api_key"


class PermissionDenied(TenbinError):
    status = 403
    error_type = "permission_error"
    default_code = "model_not_allowed"


class NotFound(TenbinError):
    status = 404
    error_type = "invalid_request_error"
    default_code = "model_not_found"


class MethodNotAllowed(TenbinError):
    status = 405
    error_type = "invalid_request_error"
    default_code = "method_not_allowed"


class PayloadTooLarge(TenbinError):
    status = 413
    error_type = "invalid_request_error"
    default_code = "request_too_large"


class RateLimited(TenbinError):
    status = 429
    error_type = "rate_limit_error"
    default_code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after_s: float, code: str | None = None) -> None:
        seconds = max(1, int(retry_after_s + 0.999))
        super().__init__(message, code=code, headers={"retry-after": str(seconds)})
        self.retry_after_s = retry_after_s


class UpstreamError(TenbinError):
    """The upstream answered with an error, or could not be understood."""

    status = 502
    error_type = "upstream_error"
    default_code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        retryable: bool = True,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code)
        self.upstream_status = upstream_status
        self.retryable = retryable


class UpstreamUnavailable(UpstreamError):
    status = 503
    default_code = "upstream_unavailable"


class UpstreamTimeout(UpstreamError):
    status = 504
    default_code = "upstream_timeout"


class ConfigError(TenbinError):
    """Bad configuration: raised at start-up with the path of the offending key."""
