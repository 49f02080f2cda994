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

from ._checks import ConfigError, preview, show
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
        period alias on ``spec.timestamp`` such as ``"W"`` or ``"D"`` (see :mod:`toolkit.windows`).
    timezone
        Time zone periods are cut in (default: the timestamps' own, so ``window: D`` on
        America/Chicago data gives local days).
    inclusion_prob
        Column of the labels holding each label's inclusion probability (audit samples), if any.
    model
        Optional path to the model's scikit-learn estimator saved with joblib (used, cloned, by
        :func:`toolkit.retraining_plan`).
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
    timezone: str | None = None
    model: str | None = None
    root: Path = dataclasses.field(default=Path("."), compare=False, repr=False)

    def __post_init__(self) -> None:
        problem = _check_fields(self)
        if problem:
            raise TypeError(f"ModelConfig {problem}")

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
        from ._yaml import read_yaml

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"model config {str(path)!r} not found; create one with `toolkit new FOLDER --baseline FILE "
                "--production FILE` or point the notebook's `config` parameter at an existing model.yaml"
            )
        data = read_yaml(path, "model config")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path.name}: expected a mapping of keys (name, baseline, production, spec, ...); "
                              f"got {type(data).__name__} {show(data)} ({str(path)!r})")
        fields = [f.name for f in dataclasses.fields(cls) if f.name != "root"]
        unknown = sorted((k for k in data if k not in fields), key=str)
        if unknown:
            raise ConfigError(f"{path.name}: unknown key(s) {unknown}; valid keys are {fields} ({str(path)!r})")
        missing = [k for k in ("name", "baseline", "production", "spec") if k not in data]
        if missing:
            raise ConfigError(f"{path.name}: missing key(s) {missing}; `toolkit new` writes a complete model.yaml "
                              f"({str(path)!r})")
        data = dict(data)
        if isinstance(data["name"], (int, float)) and not isinstance(data["name"], bool):
            data["name"] = str(data["name"])  # `name: 2026` is a fine report title
        data["spec"] = ModelSpec.from_dict(data["spec"], source=f"{path.name}: spec")
        problem = _check_fields(data)
        if problem:
            raise ConfigError(f"{path.name}: {problem} ({str(path)!r})")
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
    def _windowing(self) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        from .io import read_batches
        from .windows import batch_table, split_batches

        source = self.path(self.production)
        ts = self.spec.timestamp
        if self.window == "batch":
            batches = dict(sorted(read_batches(source)))
            return batches, batch_table(batches, ts, self.timezone)
        if ts is None:
            raise ValueError(
                f"window={self.window!r} needs the timestamp column; spec.timestamp is {ts!r}. "
                "Set spec.timestamp in the config or use window: batch"
            )
        # each file (partition) is read alone and keeps its own columns and types; a window is made of
        # the rows of the files that fall in it, so a window inside one partition is that partition as read
        return split_batches(read_batches(source), self.window, timestamp=ts, tz=self.timezone)

    @property
    def batches(self) -> dict[str, pd.DataFrame]:
        """Production windows in time order, each with exactly the columns it arrived with."""
        return self._windowing[0]

    @property
    def window_table(self) -> pd.DataFrame:
        """One row per window: ``window, window_start, window_end, n_rows, first, last, complete, reason``."""
        return self._windowing[1]

    @property
    def windows(self) -> list[str]:
        """Window labels in time order."""
        return list(self.batches)

    def choose_window(self, window: str | None = None):
        """The window a report looks at (a :class:`toolkit.windows.WindowChoice`): ``window`` as typed
        (its label, a date inside it, an ISO week like '2026-W20'), or by default the latest complete
        window; ``.note`` names the incomplete windows skipped."""
        from .windows import choose_window

        table = self.window_table
        return choose_window(table[table["window"].isin(self.batches)], window)

    @property
    def default_window(self) -> str:
        """Label of the latest complete production window."""
        return self.choose_window().label

    @cached_property
    def production_frame(self) -> pd.DataFrame:
        """All production rows stacked, with a ``window`` column; a column absent from a batch is null there."""
        return pd.concat(
            [frame.assign(window=label) for label, frame in self.batches.items()], ignore_index=True, sort=False
        )

    def window_frame(self, window: str | None = None) -> pd.DataFrame:
        """One production window as it arrived (the latest complete one when ``window`` is None)."""
        return self.batches[self.choose_window(window).label]

    @cached_property
    def label_frame(self) -> pd.DataFrame | None:
        """The labels file, or None when the config has none."""
        from .io import read

        return None if self.labels is None else read(self.path(self.labels))

    @cached_property
    def labelled(self):
        """Production with its labels whatever the setup (labels file, target column in production, or
        none): a :class:`~toolkit.outcomes.setup.LabelledProduction` that unpacks as ``joined, report``."""
        from .outcomes.setup import label_production

        return label_production(self)

    @cached_property
    def contract_object(self):
        """The saved contract, or one inferred from the baseline when no file is configured."""
        from .schema import Contract, infer_contract

        if self.contract and self.path(self.contract).exists():
            return Contract.load(self.path(self.contract))
        return infer_contract(self.reference, spec=self.spec)


_TEXT_KEYS = {"name": "the report title", "baseline": "a data file's path", "production": "a file, glob or folder",
              "labels": "a data file's path", "contract": "a contract YAML file's path",
              "window": "'batch' or a period alias such as W or D", "inclusion_prob": "a column name of the labels"}
_OPTIONAL = ("labels", "contract", "inclusion_prob", "window")


def _check_fields(source) -> str | None:
    """The first wrong key of a config (a ModelConfig or a mapping) as 'key: problem; fix', or None."""
    get = source.get if isinstance(source, dict) else (lambda k: getattr(source, k))
    for key, allowed in _TEXT_KEYS.items():
        value = get(key)
        if value is None and key in _OPTIONAL:
            continue
        if isinstance(value, Path):
            continue
        if not isinstance(value, str) or not value.strip():
            return f"{key}: {show(value)} is not allowed; write {allowed} as text (e.g. {key}: {_EXAMPLE[key]})"
    if not isinstance(get("spec"), ModelSpec):
        return f"spec: expected a ModelSpec; got {type(get('spec')).__name__}"
    return None


_EXAMPLE = {"name": "churn", "baseline": "data/baseline.parquet", "production": "data/production/",
            "labels": "data/labels.parquet", "contract": "contract.yaml", "window": "W",
            "inclusion_prob": "inclusion_prob"}
