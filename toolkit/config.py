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
from .io import ROW_BUDGET
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
    engine
        Where the rows are read and profiled: ``auto`` (default: pandas when every input holds at most
        ``row_budget`` rows, counted from the Parquet footers, else DuckDB), ``pandas``, ``duckdb`` or
        ``spark``. :attr:`engine_used` says which one runs; the reports print it (:attr:`engine_note`).
    row_budget
        Most rows a report holds in memory per input (baseline, production, labels) under a
        DuckDB or Spark engine. Drift is profiled where the data lives (:meth:`compare`,
        :meth:`drift_over_time`); what needs rows (the frames below, performance, multivariate
        checks) gets a seeded uniform sample of at most this many rows, and :attr:`engine_note` says so.
    spark
        Optional Spark session to start when ``engine: spark`` runs and no session is running:
        ``{master: "spark://host:7077", app_name: "toolkit", conf: {"spark.executor.memory": "4g"}}``
        (``master`` defaults to ``local[2]``; any master URL ``spark-submit`` takes, except Spark Connect's
        ``sc://``). A running session (the notebook's own, or one made by ``spark-submit``/``pyspark``) is
        used as it is and its conf is never changed; these keys are then ignored, and the report says so.

    Data locations (``baseline``, ``production``, ``labels``) are Parquet/CSV files, globs or
    hive-partitioned folders, ``duckdb:<database file>::<table>`` (a DuckDB table, opened read-only),
    or ``spark:<table>`` (a table of the active Spark session).
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
    engine: str = "auto"
    row_budget: int = ROW_BUDGET
    spark: dict | None = None
    root: Path = dataclasses.field(default=Path("."), compare=False, repr=False)

    def __post_init__(self) -> None:
        problem = _check_fields(self)
        if problem:
            raise TypeError(f"ModelConfig {problem}")

    # -- persistence -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("root", "spec")}
        out["spec"] = self.spec.to_dict()
        if out["spark"] is None:  # optional and rare: a model.yaml without it stays as it was
            del out["spark"]
        return out

    def save(self, path: str | Path) -> Path:
        """Write the config as YAML."""
        from ._yaml import write_yaml

        return write_yaml(path, self.to_dict())

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
        """The baseline frame (at most ``row_budget`` rows, seeded sample, unless the engine is pandas)."""
        return self._shared_in_run("reference", lambda: self._frame("baseline"), "baseline")

    def _shared_in_run(self, name: str, compute, *sampled_keys: str):
        """:meth:`_shared` under DuckDB/Spark (a sample reads every row) and in a report run (several kernels
        read and prepare the same frames); else ``compute()``: an analyst's own pandas session keeps no
        frame-sized file on disk."""
        from ._diskcache import in_report_run

        if self.engine_used == "pandas" and not in_report_run():
            return compute()
        return self._shared(name, compute, *sampled_keys)

    def _shared(self, name: str, compute, *sampled_keys: str):
        """``compute()`` once per model state across the processes of a report run, under DuckDB/Spark.

        Every template's kernel (and ``toolkit check``) holds the same seeded samples, and drawing one reads
        every row of its input (100M rows: about a minute per kernel). The first process draws it and
        stores it (:mod:`toolkit._diskcache`, keyed by model.yaml, the files' sizes and times and the code),
        the others load it; :attr:`engine_note`'s sample sizes come along (``sampled_keys``)."""
        from ._diskcache import cached, model_fingerprint

        def draw():
            value = compute()
            return value, {k: self._sampled[k] for k in sampled_keys if k in self._sampled}

        # samples are large (up to row_budget rows each): keep those of the last few model states only
        value, sampled = cached("frames", model_fingerprint(self, "frames", name), draw, keep=6)
        self._sampled.update(sampled)
        return value

    # -- engines -----------------------------------------------------------------------------------
    @cached_property
    def row_counts(self) -> dict[str, int | None]:
        """Rows per input, counted cheaply (Parquet footers, ``COUNT(*)`` of a DuckDB table); None if unknown."""
        from ._checks import FileReadError
        from .io import count_rows

        keys = ["baseline", "production"] + (["labels"] if self.labels is not None else [])
        counts: dict[str, int | None] = {}
        for key in keys:
            try:
                counts[key] = count_rows(getattr(self, key), self.root)
            except (FileReadError, OSError):  # unreadable or missing: reading that input names the file and fix
                counts[key] = None
                self._unreadable.add(key)
        return counts

    @cached_property
    def engine_used(self) -> str:
        """The engine that runs: ``engine`` as configured, or for ``auto`` pandas when every input holds at most
        ``row_budget`` rows and DuckDB otherwise (also when a count is unknown without a full pass)."""
        if self.engine != "auto":
            return self.engine
        from .io import source_kind

        if any(source_kind(getattr(self, k)) == "spark" for k in self.row_counts):
            return "spark"
        # an input that cannot be read does not decide: the pandas reader then names the file and the fix
        counts = [n for k, n in self.row_counts.items() if k not in self._unreadable]
        return "pandas" if all(n is not None and n <= self.row_budget for n in counts) else "duckdb"

    @cached_property
    def _unreadable(self) -> set:
        return set()

    @cached_property
    def _sampled(self) -> dict[str, tuple[int, int | None]]:
        return {}  # key -> (rows read, rows in all), filled as inputs are read

    @property
    def engine_note(self) -> str:
        """One line for a report: which engine ran and whether any input was sampled (how many rows, seed)."""
        counts = ", ".join(f"{k} {n:,} rows" if n is not None else f"{k} rows not counted"
                           for k, n in self.row_counts.items())
        why = f" ({self.engine} in model.yaml)" if self.engine != "auto" else f" (auto, row budget {self.row_budget:,})"
        line = f"Engine: {self.engine_used}{why}; {counts}."
        if self.engine_used == "spark":
            from .engines import existing_session, session_note

            # described, not started: a kernel whose Spark results came from the shared cache needs no JVM
            line += " " + session_note(existing_session(), self.spark)
        if self.engine_used == "pandas":
            return line
        # known before anything is read: an input above the budget is held as a sample of the budget
        sampled = {k: self._sampled.get(k, (self.row_budget, n)) for k, n in self.row_counts.items()
                   if n is None or n > self.row_budget}
        joined = "production" in sampled and self.labels is not None and self.spec.id is not None
        if joined:
            sampled["labels"] = (0, None)  # the labels of the held production rows (see label_frame)
        if sampled:
            parts = ", ".join(
                "labels: those of the production rows held" if k == "labels" and joined else
                f"{k} {read:,} of {total:,}" if total is not None else f"{k} at most {read:,}"
                for k, (read, total) in sampled.items())
            line += (f" Rows held in memory are a seeded uniform sample (seed 0) of at most {self.row_budget:,} "
                     f"per input: {parts}; {self._every_row_note()}, figures from the sample carry its size.")
        return line

    def _every_row_note(self) -> str:
        """What the engine computes on every row although the frames hold a sample (for :attr:`engine_note`)."""
        done = ["drift is profiled on every row"]
        if self.performance_in_engine:
            done.append("realized performance counted on every labelled row")
        if self.spec.task == "binary" and self.spec.score is not None:
            n, cap = self.row_counts.get("production"), max(self.row_budget, ROW_BUDGET)
            # above the cap whether the estimate's cells fit needs a pass over the data: its own note says
            done.append("the routing" + (" and the label-free estimate" if n is not None and n <= cap else "")
                        + " on every production row")
        return ", ".join(done[:-1]) + (" and " if len(done) > 1 else "") + done[-1]

    def source(self, key: str):
        """The engine input for ``baseline``, ``production`` or ``labels``: a path (files), a DuckDB relation
        (``duckdb:db::table``) or a Spark DataFrame (``spark:table``, or files under ``engine: spark``)."""
        from .io import open_table, source_kind

        text = getattr(self, key)
        if self.engine_used == "spark" and source_kind(text) == "files":
            from .engines import list_files, spark_read

            return spark_read(self.spark_session, list_files(self.path(text)))
        if source_kind(text) == "spark":  # a table of the session (started from model.yaml's spark: if none runs)
            return self.spark_session.table(text.split(":", 1)[1])
        return open_table(text, self.root)

    @property
    def spark_session(self):
        """The Spark session ``engine: spark`` runs on: the running one as it is, else one started from the
        ``spark:`` keys (master, app_name, conf; default ``local[2]``). Started at most once per process."""
        from .engines import active_session

        return active_session(self.spark)

    def _frame(self, key: str, files: list | None = None, budget: int | None = None) -> pd.DataFrame:
        """Rows of an input as a DataFrame: all of them under pandas, else at most ``budget`` (seeded sample)."""
        from .io import read, read_budgeted, source_kind

        text = getattr(self, key)
        if self.engine_used == "pandas" and source_kind(text) == "files":
            return read(self.path(text) if files is None else files)
        if files is not None:
            frame, total = _read_files_budgeted(files, budget or self.row_budget)
            return frame
        frame, total = read_budgeted(text, self.root, budget or self.row_budget, n_rows=self.row_counts.get(key))
        self._sampled[key] = (len(frame), total)
        return frame

    def compare(self, window: str | None = None, **options):
        """:func:`toolkit.compare` of the baseline with one production window (default: the latest complete),
        profiled where the data lives unless the engine is pandas (then on the frames)."""
        from .drift import compare

        label = self.choose_window(window).label
        if self.engine_used == "pandas" or options.get("multivariate"):
            return compare(self.reference, self.window_frame(label), spec=self.spec, label=label, **options)
        return compare(self.source("baseline"), self._window_source(label), spec=self.spec, label=label,
                       **{"engine": self.engine_used, **options})

    def drift_over_time(self, **options):
        """:func:`toolkit.drift_over_time` of every production window against the baseline, in the engine
        (one pass over the production rows) unless it is pandas; under pandas each window as it arrived, so a
        column missing from one batch is reported absent there, not all-null.

        Computed once per model state and options (defaults left out) across the processes of a report
        run: ``tk.health``, template 01 and template 02 ask for the same one.

        >>> over_time = cfg.drift_over_time(alpha=0.01)      # doctest: +SKIP
        """
        from ._diskcache import cached, model_fingerprint
        from .drift import drift_over_time

        def compute():
            if self.engine_used == "pandas" or options.get("multivariate"):
                windows = [(str(label), frame) for label, frame in self.batches.items()]
                return drift_over_time(self.reference, windows=windows, spec=self.spec, **options)
            by = "batch" if self.window == "batch" else self.window
            with self._rows_in_engine("production") as current:
                return drift_over_time(self.source("baseline"), current, spec=self.spec, by=by, **options)

        key = model_fingerprint(self, "drift-over-time", _explicit_options(drift_over_time, options))
        return cached("drift-over-time", key, compute, keep=6)

    def performance(self, **options):
        """:func:`toolkit.performance` per window on the labelled production rows (:attr:`labelled`).
        ``reference="baseline"`` compares with the baseline's own labelled figure. Under DuckDB/Spark a
        binary model's figures come from counts of every labelled row, joined and aggregated in the engine
        (:meth:`outcome_counts`) while there are at most ``max(row_budget, toolkit.io.ROW_BUDGET)`` of them (:attr:`performance_in_engine`); otherwise,
        and for other tasks, from the rows of the budgeted frames, and the result's ``engine_note`` says so."""
        from .outcomes.realized import performance

        if self.performance_in_engine:
            if isinstance(options.get("reference"), str) and options["reference"] == "baseline":
                options["reference"] = self.outcome_counts("baseline")
            return performance(self.outcome_counts("production"), self.spec, **options)
        if isinstance(options.get("reference"), str) and options["reference"] == "baseline":
            options["reference"] = self.reference
        joined = self.labelled.joined
        report = performance(joined, self.spec, by="window", **options)
        if self.engine_used == "pandas" or not self._production_sampled():
            return report  # every production row is held: the pandas note is the whole truth
        why = ("a multiclass or regression metric needs rows" if self.spec.task != "binary" else
               f"more than {max(self.row_budget, ROW_BUDGET):,} label rows, whose counts of distinct scores would be "
               "about as large as the rows")
        return dataclasses.replace(report, engine_note=(
            f"{report.engine_note} These are the rows of the seeded sample held under engine {self.engine_used} "
            f"(not every labelled row): {why}."))

    @property
    def performance_in_engine(self) -> bool:
        """Whether :meth:`performance` counts every labelled row in the engine: a binary model under DuckDB or
        Spark with at most ``max(row_budget, toolkit.io.ROW_BUDGET)`` label rows (the labels' rows, or
        production's when the target is in the logs). The counts keep one cell per distinct score, so with many
        more labels they are about as large as the rows themselves (10M labels: 12 GB peak); there the figures
        come from the budgeted sample, and the result's ``engine_note`` says which."""
        if self.engine_used == "pandas" or self.spec.task != "binary":
            return False
        if self.labels is not None:
            n = self.row_counts.get("labels")
        elif self.spec.target in self._production_columns:
            n = self.row_counts.get("production")
        else:
            return False
        return n is not None and n <= max(self.row_budget, ROW_BUDGET)

    def _rows_in_engine(self, key: str):
        """``key``'s rows as an engine source to pass on and close (``with``): under Spark, files are read by
        Spark with each row's file kept (``window: batch`` groups by it; :meth:`source` gives a Spark
        DataFrame, which has lost it)."""
        import contextlib

        from .engines import list_files, open_source
        from .io import source_kind

        text = getattr(self, key)
        if self.engine_used == "spark" and source_kind(text) == "files":
            return open_source(list_files(self.path(text)), "spark", session=self.spark_session)
        return contextlib.nullcontext(self.source(key))

    def _engine_input(self, key: str):
        """``baseline``, ``production`` or ``labels`` as the engines take it: a path for files, else the source."""
        from .io import source_kind

        text = getattr(self, key)
        return str(self.path(text)) if source_kind(text) == "files" else self.source(key)

    @cached_property
    def _production_columns(self) -> list:
        """Production's columns, read from the engine's schema (does it hold the target?)."""
        from .engines import open_source

        with open_source(self._engine_input("production"), self.engine_used) as src:
            return src.columns

    def outcome_counts(self, key: str = "production"):
        """:func:`toolkit.engines.outcome_counts` of ``production`` (joined with ``labels``) per window, or of the
        ``baseline`` as one window, in :attr:`engine_used` (cached)."""
        cache = self.__dict__.setdefault("_outcome_counts", {})
        if key not in cache:
            from .engines import outcome_counts

            where = self._engine_input
            engine = "auto" if self.engine_used == "pandas" else self.engine_used
            labels = where("labels") if key == "production" and self.labels is not None else None
            cache[key] = outcome_counts(where(key), labels, self.spec, window=self._counts_window(key),
                                        inclusion_prob=(self.inclusion_prob if key == "production" else None) or "auto",
                                        tz=self.timezone, engine=engine,
                                        progress=False)
        return cache[key]

    # -- label-free estimate and routing, from counts of every production row ------------------------------
    @property
    def scores_in_engine(self) -> bool:
        """Whether :meth:`estimate` and :meth:`routing` read counts of every production row: a binary model whose
        production has at most ``max(row_budget, toolkit.io.ROW_BUDGET)`` rows, or (above) about that many cells
        of distinct score per window (counted first with :func:`toolkit.engines.distinct_scores`). The cells keep
        each score exactly: rounding would move the calibrated probabilities and the AUC's ties, so it is never
        done; above the bound the figures come from the seeded sample held, and the result's note says so."""
        return self.spec.task == "binary" and self.spec.score is not None and self._score_cells_fit

    @cached_property
    def _score_cells_fit(self) -> bool:
        cap = max(self.row_budget, ROW_BUDGET)
        n = self.row_counts.get("production")
        if self.engine_used == "pandas" or (n is not None and n <= cap):
            return True  # at most one cell per row: the rows themselves fit
        from .engines import distinct_scores

        k = distinct_scores(self._engine_input("production"), self.spec, window=self._counts_window("production"),
                            tz=self.timezone, engine=self.engine_used)
        n_labels = self.row_counts.get("labels") if self.labels is not None else None
        # labelled rows add at most one cell each (label, inclusion probability); HyperLogLog is a few % off
        return 1.05 * k + (n_labels if n_labels is not None else k) <= cap

    def score_counts(self):
        """Per window, cells of every production row (:func:`toolkit.engines.outcome_counts` with
        ``all_rows=True``): joined with the labels and counted in :attr:`engine_used`, or under pandas from the
        joined frame (:attr:`labelled`), so every engine goes through the same counts (cached; shared by the
        report's kernels). Only when :attr:`scores_in_engine`."""
        if "_score_counts" not in self.__dict__:
            from .engines import outcome_counts

            if self.engine_used == "pandas":
                joined = self.labelled.joined
                counts = outcome_counts(joined, None, self.spec, window="window", engine="pandas",
                                        inclusion_prob=self.inclusion_prob or "auto", all_rows=True)
            else:
                from ._diskcache import cached, model_fingerprint

                def count():
                    where = self._engine_input
                    return outcome_counts(where("production"), where("labels") if self.labels is not None else None,
                                          self.spec, window=self._counts_window("production"),
                                          inclusion_prob=self.inclusion_prob or "auto", tz=self.timezone,
                                          engine=self.engine_used, progress=False, all_rows=True)

                counts = cached("score-counts", model_fingerprint(self, "score-counts"), count, keep=2)
            self.__dict__["_score_counts"] = counts
        return self.__dict__["_score_counts"]

    def estimate(self, metric=None, **options):
        """:func:`toolkit.estimate_performance` per window: calibrated on the baseline held in memory
        (:attr:`reference`), estimated on every production row through :meth:`score_counts` when
        :attr:`scores_in_engine` (pandas, DuckDB and Spark give the same figures), else on the rows held
        (multiclass and regression need rows; above the bound a seeded sample). ``engine_note`` says which."""
        from .outcomes.estimate import estimate_performance

        if self.scores_in_engine:
            return estimate_performance(self.reference, self.score_counts(), self.spec, metric=metric, **options)
        joined = self.labelled.joined
        est = estimate_performance(self.reference, joined, self.spec, metric=metric, by="window", **options)
        return dataclasses.replace(est, engine=self.engine_used, engine_note=self._rows_note("Label-free estimate"))

    def routing(self, decision):
        """``decision.apply`` per production window (an :class:`~toolkit.AbstainDecision` or
        :class:`~toolkit.outcomes.UncertaintyAbstain`): on every production row for a binary model whose confidence
        is its score -- through :meth:`score_counts`, or above their bound through counts whose scores are replaced
        by their routing at ``decision.abstain_at`` (the same routing, a few cells per window) -- else on the rows
        held (:attr:`labelled`). The frame's ``attrs['engine_note']`` says which engine computed it, on how many
        rows."""
        from .outcomes.fallback import AbstainDecision

        counted = (isinstance(decision, AbstainDecision) and self.spec.task == "binary" and self.spec.score is not None
                   and decision._roles is not None and decision._roles.task == "binary"
                   and decision._confidence_column is None and not decision._class_scores)
        if counted:
            if self.scores_in_engine:
                counts, how = self.score_counts(), "per distinct score"
            else:
                # too many distinct scores to keep: each is replaced by its row's fate at the cut-off, which
                # leaves the routing exactly as it is (see outcome_counts' route_at)
                from .engines import outcome_counts

                where = self._engine_input
                counts = outcome_counts(where("production"), where("labels") if self.labels is not None else None,
                                        self.spec, window=self._counts_window("production"),
                                        inclusion_prob=self.inclusion_prob or "auto", tz=self.timezone,
                                        engine=self.engine_used, progress=False, all_rows=True,
                                        route_at=decision.abstain_at)
                how = "per answered/routed cell (each score replaced by its routing at the cut-off, provably the same)"
            out = decision.apply(counts)
            where = "in memory (pandas)" if counts.engine == "pandas" else f"in {counts.engine_name}"
            out.attrs["engine_note"] = (f"Routing computed {where} from counts {how} of all "
                                        f"{int(counts.windows['n_rows'].sum()):,} production rows "
                                        f"({len(counts.windows)} windows), not from a sample.")
            return out
        joined = self.labelled.joined
        out = decision.apply(joined, by="window")
        out.attrs["engine_note"] = self._rows_note("Routing")
        return out

    def _rows_note(self, what: str) -> str:
        """Where figures computed on the rows held came from: all production rows, or the seeded sample."""
        joined = self.labelled.joined
        rows_needed = self.spec.task != "binary" or self.spec.score is None
        if self.engine_used == "pandas":
            return f"{what} computed in memory (pandas) on all {len(joined):,} production rows."
        if not self._production_sampled():
            return (f"{what} computed in memory on all {len(joined):,} production rows, held whole under engine "
                    f"{self.engine_used}" + (" (a multiclass or regression model needs rows)." if rows_needed else "."))
        why = ("a multiclass or regression model needs rows" if rows_needed
               else f"more than {max(self.row_budget, ROW_BUDGET):,} cells of distinct scores, about as large as the "
                    "rows (rounding the scores would change the result)")
        total = self.row_counts.get("production")
        of = f" of {total:,}" if total is not None else ""
        return (f"{what} computed on the seeded sample held under engine {self.engine_used} ({len(joined):,}{of} "
                f"production rows, seed 0), not on every row: {why}.")

    def _counts_window(self, key: str):
        """The windows the engine counts ``key`` by: model.yaml's ``window`` (a table is one batch, 'all')."""
        from .io import source_kind

        window = self.window if key == "production" else None
        return None if window == "batch" and source_kind(self.production) != "files" else window

    def _window_source(self, label: str):
        from .io import source_kind

        text = self.production
        if source_kind(text) != "files" or self.window != "batch":
            raise ValueError(f"engine {self.engine_used!r}: per-window comparison in the engine needs a folder of "
                             f"batch files (window: batch); got production {text!r} with window {self.window!r}")
        files = [str(f) for f in self._batch_files()[label]]
        if self.engine_used == "spark":  # read by Spark too, not by DuckDB as plain paths would be
            from .engines import spark_read

            return spark_read(self.spark_session, files)
        return files

    def _batch_files(self) -> dict[str, list]:
        from .io import expand_paths, hive_partition

        groups: dict[str, list] = {}
        for file in expand_paths(self.path(self.production)):
            part = hive_partition(file)
            groups.setdefault(part[1] if part else file.stem, []).append(file)
        return groups

    @cached_property
    def _windowing(self) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        from ._diskcache import in_report_run

        if self.engine_used == "pandas" and in_report_run():   # read, typed and cut once per report run
            return self._shared("windowing", self._cut_windows)   # (0.5 CPU-s per kernel on the demo)
        return self._cut_windows()   # under DuckDB/Spark the budgeted sample inside is what is shared

    def _cut_windows(self) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        from .io import read_batches
        from .windows import batch_table, split_batches

        source = self.path(self.production)
        ts = self.spec.timestamp
        if self.engine_used != "pandas" or not _is_files(self.production):
            batches_iter = self._shared("batches", self._budgeted_batches, "production")
        else:
            batches_iter = read_batches(source)
        if self.window == "batch":
            batches = dict(sorted(batches_iter))
            return batches, batch_table(batches, ts, self.timezone)
        if ts is None:
            raise ValueError(
                f"window={self.window!r} needs the timestamp column; spec.timestamp is {ts!r}. "
                "Set spec.timestamp in the config or use window: batch"
            )
        # each file (partition) is read alone and keeps its own columns and types; a window is made of
        # the rows of the files that fall in it, so a window inside one partition is that partition as read
        return split_batches(batches_iter, self.window, timestamp=ts, tz=self.timezone)

    def _budgeted_batches(self):
        """``(label, frame)`` per batch holding at most ``row_budget`` rows in all: each batch's share of the
        budget in proportion to its rows (seeded samples); a table source is one batch."""
        from .io import source_kind

        if source_kind(self.production) != "files":
            return [("all", self._frame("production"))]
        import pyarrow.parquet as pq

        groups = self._batch_files()
        sizes = {}
        for label, files in groups.items():
            try:
                sizes[label] = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            except Exception:
                sizes[label] = None
        known = [n for n in sizes.values() if n is not None]
        total = sum(known) if len(known) == len(sizes) else None
        out, read_rows = [], 0
        for label, files in groups.items():
            share = self.row_budget if total is None else max(1, self.row_budget * (sizes[label] or 0) // max(total, 1))
            frame, _ = _read_files_budgeted(files, share)
            if sizes[label] is not None and sizes[label] > len(frame):  # a sample states its batch's true size,
                from .schema.contract import ROWS_ATTR  # so the contract's row-count check compares the batch

                frame.attrs[ROWS_ATTR] = int(sizes[label])
            read_rows += len(frame)
            out.append((label, frame))
        self._sampled["production"] = (read_rows, total)
        return out

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
        # empty windows stay in: asking for one is told of the gap rather than "not in production"
        return choose_window(table[table["window"].isin(self.batches) | (table["n_rows"] == 0)], window)

    @property
    def default_window(self) -> str:
        """Label of the latest complete production window."""
        return self.choose_window().label

    @cached_property
    def production_frame(self) -> pd.DataFrame:
        """All production rows stacked, with a ``window`` column; a column absent from a batch is null there."""
        from ._checks import InputError

        clash = next((label for label, frame in self.batches.items() if "window" in frame.columns), None)
        if clash is not None:   # .assign(window=...) would overwrite the analyst's own column without a word
            raise InputError(f"production has a column named 'window' (e.g. in window {clash}), the name ModelConfig "
                             "gives each row's window label; rename it in the feed (or select it out), or pass the "
                             "frames to tk.compare / tk.performance, which keep it")
        return pd.concat(
            [frame.assign(window=label) for label, frame in self.batches.items()], ignore_index=True, sort=False
        )

    def window_frame(self, window: str | None = None) -> pd.DataFrame:
        """One production window as it arrived (the latest complete one when ``window`` is None)."""
        return self.batches[self.choose_window(window).label]

    @cached_property
    def label_frame(self) -> pd.DataFrame | None:
        """The labels file, or None when the config has none."""
        if self.labels is None:
            return None
        if self.engine_used == "pandas":
            return self._frame("labels")
        if not self._production_sampled() or self.spec.id is None:
            return self._shared("labels", lambda: self._frame("labels"), "labels")
        batches = self.batches  # drawn (or loaded) first: the labels are those of its rows
        return self._shared("labels-of-held-rows", lambda: self._labels_of_sampled_rows(batches), "labels")

    def _production_sampled(self) -> bool:
        n = self.row_counts.get("production")
        return n is None or n > self.row_budget

    def _labels_of_sampled_rows(self, batches: dict) -> pd.DataFrame:
        """The labels of the production rows held (a semi-join in the engine on ``spec.id``), so the sampled
        windows keep their true label coverage: two independent samples would keep only the product of the
        shares of the labelled rows. At most ``row_budget`` rows (a seeded sample of them if ids repeat)."""
        from .engines import open_source
        from .io import open_table

        ident = self.spec.id
        ids = pd.DataFrame({"id": pd.concat([f[ident] for f in batches.values() if ident in f],
                                            ignore_index=True).drop_duplicates()})
        src = open_source(open_table(self.labels, self.root), "duckdb")
        try:
            src.register("__tk_ids", ids)
            quoted = '"' + str(ident).replace('"', '""') + '"'
            frame = src.run(f"SELECT * FROM {src.name} WHERE {quoted} IN (SELECT id FROM __tk_ids)", progress=False)
            src.unregister("__tk_ids")
        finally:
            src.close()
        frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("__tk_")], errors="ignore")
        if len(frame) > self.row_budget:
            frame = frame.sample(n=self.row_budget, random_state=0)
        self._sampled["labels"] = (len(frame), self.row_counts.get("labels"))
        return frame.reset_index(drop=True)

    @cached_property
    def labelled(self):
        """Production with its labels whatever the setup (labels file, target column in production, or
        none): a :class:`~toolkit.outcomes.setup.LabelledProduction` that unpacks as ``joined, report``."""
        from .outcomes.setup import label_production

        # every template of a report run asks for the same join (1.5 CPU-s on the demo, five kernels)
        return self._shared_in_run("labelled", lambda: label_production(self), "production", "labels")

    @cached_property
    def contract_object(self):
        """The saved contract, or one inferred from the baseline when no file is configured."""
        from .schema import Contract, infer_contract

        if self.contract and self.path(self.contract).exists():
            return Contract.load(self.path(self.contract))
        from .windows import period_length

        total = self.row_counts.get("baseline") if self.engine_used != "pandas" else None
        # the reference held may be a sample: the usual batch size is the whole baseline's
        return infer_contract(self.reference, spec=self.spec, batch_freq=period_length(self.window) or "7D",
                              reference_rows=total if total and total > len(self.reference) else None)

    def schema_history(self):
        """The contract checked on every production window (:meth:`~toolkit.Contract.validate_windows` of
        :meth:`window_sources`): under DuckDB/Spark on all the rows of each window, as aggregates. Computed once
        per model state across the processes of a report run (``tk.health`` and template 01 show the same one).

        >>> history = cfg.schema_history()                    # doctest: +SKIP
        >>> history.to_frame()                                 # doctest: +SKIP
        """
        from ._diskcache import cached, model_fingerprint

        def check():
            return self.contract_object.validate_windows(self.window_sources(), engine=self.engine_used)

        return cached("schema-history", model_fingerprint(self, "schema-history"), check, keep=6)

    def window_sources(self) -> dict:
        """Each production window for the contract's checks: under DuckDB/Spark with ``window: batch`` its files
        (checked as aggregates on every row); else :func:`toolkit.engines.source_windows`, every period window
        checked on all its rows in one grouped statement."""
        if self.engine_used == "pandas":
            return dict(self.batches)
        if self.engine_used == "spark":
            _ = self.spark_session  # the files are read on the session model.yaml describes (if none runs yet)
        if self.window == "batch" and _is_files(self.production):
            files = self._batch_files()
            return {label: [str(f) for f in files[label]] for label in self.batches}
        from .engines import source_windows

        # periods: one grouped statement checks every window on all its rows (labels: the windows held)
        return source_windows(self.source("production"), window=self.window, timestamp=self.spec.timestamp,
                              engine=self.engine_used, tz=self.timezone, labels=list(self.batches))


ENGINES = ("auto", "pandas", "duckdb", "spark")


def _explicit_options(function, options: dict) -> list:
    """``options`` without those equal to ``function``'s defaults, sorted: one cache key per distinct call
    (``alpha=0.05`` and no ``alpha`` are the same call)."""
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}
    return sorted((name, repr(value)) for name, value in options.items()
                  if name not in defaults or repr(defaults[name]) != repr(value))


def _is_files(text: str) -> bool:
    from .io import source_kind

    return source_kind(text) == "files"


def _read_files_budgeted(files: list, budget: int, seed: int = 0) -> tuple[pd.DataFrame, int]:
    """At most ``budget`` rows of some files (all below it; else a seeded reservoir sample), and their row count."""
    from .engines import open_source
    from .io import _read_file

    src = open_source([str(f) for f in files], "duckdb")
    try:
        n = int(src.run(f"SELECT COUNT(*) AS n FROM {src.name}", progress=False)["n"].iloc[0])
        if n <= budget:
            # every row: read as the pandas engine reads them (same types), so the two agree exactly
            frame = pd.concat([_read_file(Path(f)) for f in files], ignore_index=True)
        else:
            frame = src.run(f"SELECT * FROM {src.name} USING SAMPLE reservoir({int(budget)} ROWS) "
                            f"REPEATABLE ({int(seed)})", progress=False)
    finally:
        src.close()
    # partition keys (week=...) are not columns of the files: the pandas reader does not add them either
    extra = [c for c in frame.columns if str(c).startswith("__tk_") or c in getattr(src, "hive_keys", ())]
    return frame.drop(columns=extra, errors="ignore"), n


_TEXT_KEYS = {"name": "the report title", "baseline": "a data file's path", "production": "a file, glob or folder",
              "labels": "a data file's path", "contract": "a contract YAML file's path",
              "window": "'batch' or a period alias such as W or D", "inclusion_prob": "a column name of the labels"}
_OPTIONAL = ("labels", "contract", "inclusion_prob", "window")


def _check_fields(source) -> str | None:
    """The first wrong key of a config (a ModelConfig or a mapping) as 'key: problem; fix', or None."""
    defaults = {f.name: f.default for f in dataclasses.fields(ModelConfig)}
    get = (lambda k: source.get(k, defaults.get(k))) if isinstance(source, dict) else (lambda k: getattr(source, k))
    for key, allowed in _TEXT_KEYS.items():
        value = get(key)
        if value is None and key in _OPTIONAL:
            continue
        if isinstance(value, Path):
            continue
        if not isinstance(value, str) or not value.strip():
            return f"{key}: {show(value)} is not allowed; write {allowed} as text (e.g. {key}: {_EXAMPLE[key]})"
    engine = get("engine")
    if engine not in ENGINES:
        return (f"engine: {show(engine)} is not allowed; allowed values are {', '.join(ENGINES)} "
                "(auto: pandas below row_budget rows, DuckDB above)")
    budget = get("row_budget")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        return f"row_budget: {show(budget)} is not allowed; write a whole number of rows of at least 1 (e.g. row_budget: 2000000)"
    problem = _check_spark(get("spark"))
    if problem:
        return problem
    if not isinstance(get("spec"), ModelSpec):
        return f"spec: expected a ModelSpec; got {type(get('spec')).__name__}"
    return None


def _check_spark(value) -> str | None:
    """The ``spark:`` mapping's first problem as 'spark.key: problem; fix', or None."""
    if value is None:
        return None
    example = "(e.g. spark: {master: 'spark://host:7077', conf: {spark.executor.memory: 4g}})"
    if not isinstance(value, dict):
        return f"spark: {show(value)} is not allowed; write a mapping of master, app_name, conf {example}"
    from .engines import SPARK_KEYS

    unknown = sorted((str(k) for k in value if k not in SPARK_KEYS))
    if unknown:
        return f"spark: unknown key(s) {unknown}; valid keys are {list(SPARK_KEYS)} {example}"
    for key in ("master", "app_name"):
        text = value.get(key)
        if text is not None and (not isinstance(text, str) or not text.strip()):
            return f"spark.{key}: {show(text)} is not allowed; write it as text {example}"
    master = value.get("master")
    if isinstance(master, str) and master.strip().startswith("sc://"):
        return (f"spark.master: {show(master)} is a Spark Connect URL, which the toolkit does not support yet; "
                "use the cluster's master URL (spark://host:7077, yarn, k8s://https://host:443, local[4]) or "
                "start the session yourself before the report runs")
    conf = value.get("conf")
    if conf is not None:
        if not isinstance(conf, dict):
            return f"spark.conf: {show(conf)} is not allowed; write a mapping of Spark settings {example}"
        for key, item in conf.items():
            if not isinstance(key, str) or not key.strip():
                return f"spark.conf: key {show(key)} is not allowed; write Spark setting names as text"
            if not isinstance(item, (str, int, float, bool)):
                return (f"spark.conf.{key}: {show(item)} is not allowed; write one value (text, number or "
                        "true/false)")
    return None


_EXAMPLE = {"name": "churn", "baseline": "data/baseline.parquet", "production": "data/production/",
            "labels": "data/labels.parquet", "contract": "contract.yaml", "window": "W",
            "inclusion_prob": "inclusion_prob"}
