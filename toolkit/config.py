"""ModelConfig: one editable YAML file per model that the template notebooks read.

Copying the templates to a new model means writing a new ``model.yaml`` (``toolkit new`` does it);
the notebooks themselves stay unchanged. Relative paths resolve against the file's folder.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> import toolkit as tk
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"x": [1.0, 2.5, 3.0] * 10, "y": [0, 1, 1] * 10}).to_parquet(folder / "base.parquet")
>>> spec = tk.ModelSpec.infer(pd.read_parquet(folder / "base.parquet"), target="y")
>>> cfg = ModelConfig(name="demo", baseline="base.parquet", production="base.parquet", spec=spec)
>>> path = cfg.save(folder / "model.yaml")
>>> ModelConfig.load(path).spec.features
['x']
"""
from __future__ import annotations

import dataclasses
from functools import cached_property
from pathlib import Path

import pandas as pd

from ._checks import preview
from .spec import ModelSpec

__all__ = ["ModelConfig"]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Where a model's data lives and what its columns mean.

    Parameters
    ----------
    name
        Shown in report titles.
    baseline
        File with the reference data (training or validation period, scored, ideally labelled).
    production
        A file, a glob, or a folder of batches (``week=2026-01/part-0.parquet``) of logged predictions.
    spec
        The model's :class:`~toolkit.ModelSpec`.
    labels
        Optional file of ground truth that arrived later (joined on ``spec.id``).
    contract
        Optional contract file (YAML) written by ``Contract.save``; inferred from the baseline if absent.
    window
        How production splits into windows: ``"batch"`` (one window per batch folder), or a pandas
        period alias on ``spec.timestamp`` such as ``"W"`` or ``"D"``.
    inclusion_prob
        Column of the labels holding each label's inclusion probability (audit samples), if any.
    root
        Folder that relative paths resolve against (set by :meth:`load`).
    """

    name: str
    baseline: str
    production: str
    spec: ModelSpec
    labels: str | None = None
    contract: str | None = None
    window: str = "batch"
    inclusion_prob: str | None = None
    root: Path = dataclasses.field(default=Path("."), compare=False, repr=False)

    # -- persistence -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("root", "spec")}
        out["spec"] = self.spec.to_dict()
        return out

    def save(self, path: str | Path) -> Path:
        """Write the config as YAML."""
        import yaml

        path = Path(path)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ModelConfig":
        """Read a config; relative data paths resolve against the config file's folder."""
        import yaml

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"model config {str(path)!r} not found; create one with `toolkit new FOLDER --baseline FILE "
                "--production FILE` or point the notebook's `config` parameter at an existing model.yaml"
            )
        data = yaml.safe_load(path.read_text()) or {}
        fields = {f.name for f in dataclasses.fields(cls)} - {"root"}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ValueError(f"{path}: unknown key(s) {unknown}; valid keys are {sorted(fields)}")
        missing = sorted({"name", "baseline", "production", "spec"} - set(data))
        if missing:
            raise ValueError(f"{path}: missing key(s) {missing}")
        data["spec"] = ModelSpec.from_dict(data["spec"])
        return cls(**data, root=path.resolve().parent)

    # -- data access -----------------------------------------------------------------------------
    def path(self, relative: str) -> Path:
        """Resolve a path from the config against its folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    @cached_property
    def reference(self) -> pd.DataFrame:
        """The baseline frame."""
        from .io import read

        return read(self.path(self.baseline))

    @cached_property
    def batches(self) -> dict[str, pd.DataFrame]:
        """Production windows in time order, each with exactly the columns it arrived with."""
        from .io import read, read_batches

        source = self.path(self.production)
        if self.window == "batch":
            return dict(sorted(read_batches(source)))
        frame = read(source)
        ts = self.spec.timestamp
        if ts is None or ts not in frame:
            raise ValueError(
                f"window={self.window!r} needs the timestamp column; spec.timestamp is {ts!r}. "
                "Set spec.timestamp in the config or use window: batch"
            )
        stamps = pd.to_datetime(frame[ts], utc=True).dt.tz_localize(None)
        labels = stamps.dt.to_period(self.window).astype(str)
        return {w: part.reset_index(drop=True) for w, part in frame.groupby(labels, sort=True)}

    @property
    def windows(self) -> list[str]:
        """Window labels in time order."""
        return list(self.batches)

    @cached_property
    def production_frame(self) -> pd.DataFrame:
        """All production rows stacked, with a ``window`` column; a column absent from a batch is null there."""
        return pd.concat(
            [frame.assign(window=label) for label, frame in self.batches.items()], ignore_index=True, sort=False
        )

    def window_frame(self, window: str | None = None) -> pd.DataFrame:
        """One production window as it arrived (the latest when ``window`` is None)."""
        chosen = self.windows[-1] if window is None else str(window)
        if chosen not in self.batches:
            raise KeyError(
                f"window {chosen!r} not in production; available: {preview(self.windows)} "
                f"(latest {self.windows[-1]!r})"
            )
        return self.batches[chosen]

    @cached_property
    def label_frame(self) -> pd.DataFrame | None:
        """The labels file, or None when the config has none."""
        from .io import read

        return None if self.labels is None else read(self.path(self.labels))

    @cached_property
    def labelled(self):
        """Production with its labels whatever the setup (labels file, target column in production, or
        none): a :class:`~toolkit.outcome_setup.LabelledProduction` that unpacks as ``joined, report``."""
        from .outcome_setup import label_production

        return label_production(self)

    @cached_property
    def contract_object(self):
        """The saved contract, or one inferred from the baseline when no file is configured."""
        from .schema import Contract, infer_contract

        if self.contract and self.path(self.contract).exists():
            return Contract.load(self.path(self.contract))
        return infer_contract(self.reference, spec=self.spec)
