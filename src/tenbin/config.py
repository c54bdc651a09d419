"""Typed, strict settings: YAML with ${ENV_VAR} interpolation; unknown keys are errors naming their path."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from tenbin.errors import ConfigError
from tenbin.guard.config import GuardSettings

_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(Strict):
    input_per_mtok: float = Field(0.0, ge=0, description="USD per million input tokens.")
    output_per_mtok: float = Field(0.0, ge=0, description="USD per million output tokens.")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000


class ProviderConfig(Strict):
    type: str = Field(description="Provider kind: openai, anthropic, gemini, local, mock, or a plugin's name.")
    base_url: str | None = Field(None, description="API root; each provider has its own default.")
    api_key: SecretStr | None = Field(None, description="Credential sent upstream.")
    timeout_s: float = Field(600.0, gt=0, description="Whole-request timeout towards the upstream.")
    connect_timeout_s: float = Field(10.0, gt=0, description="Connection timeout towards the upstream.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers sent upstream.")
    options: dict[str, Any] = Field(default_factory=dict, description="Provider-specific options.")


class ModelConfig(Strict):
    name: str = Field(description="The name clients send as `model`.")
    provider: str = Field(description="Key of an entry under `providers`.")
    model: str = Field(description="The upstream's own model id (for local: a path or hub id).")
    price: Price | None = Field(None, description="USD per million tokens; no price means cost unknown.")
    kind: str = Field("chat", pattern="^(chat|embedding)$", description="chat or embedding.")
    timeout_s: float | None = Field(None, gt=0, description="Overrides the provider's timeout.")


class ServerConfig(Strict):
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(4000, ge=0, le=65535, description="TCP port.")
    workers: int = Field(1, ge=1, description="Worker processes.")
    max_body_bytes: int = Field(8 * 1024 * 1024, gt=0, description="Larger request bodies get 413.")
    cooldown_s: float = Field(30.0, ge=0, description="How long a failing deployment is skipped.")


class LedgerConfig(Strict):
    enabled: bool = Field(True, description="Record every request.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite under TENBIN_HOME.")
    store_bodies: bool = Field(False, description="Also store request and response bodies.")
    flush_interval_s: float = Field(0.5, gt=0, description="Longest a row waits before it is written.")
    batch_size: int = Field(500, gt=0, description="Rows written per transaction at most.")


class LimitsConfig(Strict):
    backend: str = Field("memory", pattern="^(memory|redis)$", description="memory (one worker) or redis (shared).")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Used when backend is redis.")
    rpm: int | None = Field(None, gt=0, description="Default requests per minute for each key.")
    tpm: int | None = Field(None, gt=0, description="Default tokens per minute for each key.")


_POLICY_PATTERN = "^(quality_target|budget|lambda|cascade|ensemble)$"


class RouteVariant(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    weight: float = Field(1.0, gt=0, description="Share of the route's traffic (weights are normalised).")
    name: str | None = Field(None, description="Label in the ledger and the A/B report; default A, B, C ...")
    model: str | None = Field(None, description="Send this variant's traffic to one fixed model.")
    policy: str | None = Field(None, pattern=_POLICY_PATTERN, description="Routing policy.")
    target: float | None = Field(None, ge=0, le=1, description="quality_target: the quality to reach.")
    budget: float | None = Field(None, ge=0, description="budget: average USD per request.")
    lam: float | None = Field(None, ge=0, alias="lambda", description="lambda: quality points per USD.")


class RouteConfig(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(description="The virtual model name clients send, e.g. tenbin/auto.")
    models: list[str] | None = Field(None, description="Candidate models; default every configured chat model.")
    router: str | None = Field(None, description="Router artifact (tenbin route fit); default router.artifact.")
    policy: str = Field("quality_target", pattern=_POLICY_PATTERN, description="Routing policy.")
    target: float | None = Field(None, ge=0, le=1, description="quality_target: the quality to reach.")
    budget: float | None = Field(None, ge=0, description="budget: average USD per request.")
    lam: float | None = Field(None, ge=0, alias="lambda", description="lambda: quality points per USD.")
    split: list[RouteVariant] = Field(default_factory=list, description="A/B variants; empty: one variant.")
    verifier: str | None = Field(None, description="cascade: model that scores each answer 0-10 before accepting.")
    accept_score: float = Field(7.0, ge=0, le=10, description="cascade: the verifier score that accepts an answer.")
    judge: str | None = Field(None, description="ensemble: model that picks the best answer instead of a vote.")
    ensemble_size: int = Field(3, ge=2, le=8, description="ensemble: how many models answer.")


class RouterSettings(Strict):
    artifact: str | None = Field(None, description="Default router artifact for every route.")
    default_route: str = Field("tenbin/auto", description="The route over all configured models.")


class Settings(Strict):
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    models: list[ModelConfig] = Field(default_factory=list)
    server: ServerConfig = Field(default_factory=ServerConfig)
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    router: RouterSettings = Field(default_factory=RouterSettings)
    routes: list[RouteConfig] = Field(default_factory=list)
    guard: GuardSettings = Field(default_factory=GuardSettings)

    @model_validator(mode="after")
    def _references_resolve(self) -> Settings:
        for index, model in enumerate(self.models):
            if model.provider not in self.providers:
                known = ", ".join(sorted(self.providers)) or "none"
                raise ValueError(
                    f"models.{index}.provider: unknown provider {model.provider!r} (configured: {known})"
                )
        names = {model.name for model in self.models}
        for index, route in enumerate(self.routes):
            if route.name in names:
                raise ValueError(f"routes.{index}.name: {route.name!r} is already a model name")
            for candidate in route.models or []:
                if candidate not in names:
                    raise ValueError(f"routes.{index}.models: unknown model {candidate!r}")
            for key in ("verifier", "judge"):
                helper = getattr(route, key)
                if helper is not None and helper not in names:
                    raise ValueError(f"routes.{index}.{key}: unknown model {helper!r}")
            for number, variant in enumerate(route.split):
                if variant.model is not None and variant.model not in names:
                    raise ValueError(f"routes.{index}.split.{number}.model: unknown model {variant.model!r}")
        return self


def interpolate_env(value: Any, path: str = "") -> Any:
    """Replace ${VAR} and ${VAR:-default} in every string; a missing variable without default is an error."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{path or 'config'}: environment variable {name} is not set")

        return _ENV_PATTERN.sub(substitute, value)
    if isinstance(value, dict):
        return {key: interpolate_env(item, f"{path}.{key}" if path else str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate_env(item, f"{path}.{index}") for index, item in enumerate(value)]
    return value


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{location}: {message}" if location else message)
    return "invalid configuration:\n  " + "\n  ".join(lines)


def settings_from_dict(data: dict[str, Any]) -> Settings:
    try:
        return Settings.model_validate(interpolate_env(data))
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error)) from None


def load_settings(path: str | Path | None) -> Settings:
    """Read a YAML config file; ``None`` gives an empty configuration (discovery fills it in)."""
    if path is None:
        return Settings()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config {file}: {error.strerror}") from None
    # ${VAR} is swapped for a plain token before parsing, since `{api_key: ${KEY}}` is not valid YAML otherwise;
    # the tokens become ${VAR} again afterwards and are interpolated with their key paths.
    references: list[str] = []

    def to_token(match: re.Match[str]) -> str:
        references.append(match.group(0))
        return f"TENBINENVREF{len(references) - 1}X"

    try:
        data = yaml.safe_load(_ENV_PATTERN.sub(to_token, text)) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{file}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: the top level must be a mapping")
    return settings_from_dict(_restore_references(data, references))


_TOKEN = re.compile(r"TENBINENVREF(\d+)X")


def _restore_references(value: Any, references: list[str]) -> Any:
    if isinstance(value, str):
        return _TOKEN.sub(lambda match: references[int(match.group(1))], value)
    if isinstance(value, dict):
        return {key: _restore_references(item, references) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore_references(item, references) for item in value]
    return value


def tenbin_home() -> Path:
    """Where state lives: $TENBIN_HOME, else ~/.tenbin."""
    home = os.environ.get("TENBIN_HOME")
    path = Path(home) if home else Path.home() / ".tenbin"
    path.mkdir(parents=True, exist_ok=True)
    return path
