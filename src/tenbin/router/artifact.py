"""The ROUTER file: one .npz (zip) of plain arrays plus a JSON metadata entry. No pickle.

`meta` (a UTF-8 JSON byte array) holds the format name and version, model names, hyper-parameters and
the training summary; every array is numeric and loaded with allow_pickle=False.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tenbin.router.core import Router
from tenbin.router.errors import ArtifactError
from tenbin.router.features import FeatureSpace
from tenbin.router.predictors import PREDICTORS, Predictor

FORMAT = "tenbin-router"
VERSION = 1


def save_router(router: Router, path: str | Path) -> None:
    comps: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = dict(router.features.to_arrays())
    for name, comp in router.components.items():
        comps[name] = {"kind": comp.kind, "params": comp.params()}
        for key, arr in comp.arrays().items():
            arrays[f"comp_{name}_{key}"] = np.asarray(arr)
    arrays.update(
        {
            "basis": router.basis,
            "platt": router.platt,
            "bonus": router.bonus,
            "prior": router.prior,
            "cost_coef": router.cost_coef,
            "budget_lams": router.budget_lams,
            "budget_costs": router.budget_costs,
        }
    )
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "models": router.models,
        "features": router.features.meta(),
        "components": comps,
        "blend": router.blend,
        "strength": router.strength,
        "default_target": router.default_target,
        "info": router.info,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    # A file handle, not a name: np.savez would otherwise append ".npz" to the user's path.
    with Path(path).open("wb") as fh:
        np.savez_compressed(fh, allow_pickle=False, **arrays)


def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if not path.is_file():
        raise ArtifactError(f"{path}: no such router file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ArtifactError(f"{path}: not a tenbin router file ({exc})") from None
    if "meta" not in arrays:
        raise ArtifactError(f"{path}: not a tenbin router file (no metadata)")
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: damaged router metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ArtifactError(f"{path}: not a tenbin router file")
    if meta.get("version") != VERSION:
        raise ArtifactError(
            f"{path}: router format version {meta.get('version')} is not supported (need {VERSION})"
        )
    return meta, arrays


def load_router(path: str | Path) -> Router:
    meta, arrays = _read(Path(path))
    try:
        components: dict[str, Predictor] = {}
        for name, spec in meta["components"].items():
            prefix = f"comp_{name}_"
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            components[name] = PREDICTORS[spec["kind"]].restore(spec["params"], own)
        return Router(
            models=list(meta["models"]),
            features=FeatureSpace.from_arrays(meta["features"], arrays),
            basis=arrays["basis"],
            components=components,
            blend={k: float(v) for k, v in meta["blend"].items()},
            platt=arrays["platt"],
            prior=arrays["prior"],
            strength=float(meta["strength"]),
            bonus=arrays["bonus"],
            cost_coef=arrays["cost_coef"],
            budget_lams=arrays["budget_lams"],
            budget_costs=arrays["budget_costs"],
            default_target=float(meta["default_target"]),
            info=dict(meta.get("info", {})),
        )
    except (KeyError, TypeError, AssertionError) as exc:
        raise ArtifactError(f"{path}: incomplete router file (missing {exc})") from None
