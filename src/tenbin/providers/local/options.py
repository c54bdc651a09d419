"""The ``options`` a local provider takes, checked strictly at start-up."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenbin.errors import ConfigError


class LocalOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str = Field("cpu", description="torch device to run on: cpu, cuda, cuda:1, mps.")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="Weight dtype; auto keeps the checkpoint's own."
    )
    max_new_tokens: int = Field(512, gt=0, description="Completion length when the request sets no max_tokens.")
    threads: int | None = Field(None, gt=0, description="torch CPU threads (process-wide); default: torch's own.")


def parse_options(raw: dict[str, Any]) -> LocalOptions:
    try:
        return LocalOptions.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"])
            message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append(f"options.{location}: {message}")
        raise ConfigError("; ".join(problems)) from None
