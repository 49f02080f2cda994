"""One vocabulary in the public API (issue 14, item 5) and one place that resolves column roles.

- The public entry points, called with the new names, raise no DeprecationWarning from inside the
  package (warnings are errors here), and the templates' code cells use no old name.
- Every old argument name still works for one release, warns, and gives the same result as the new one.
- ``ModelSpec.resolve`` applies role keywords over the spec and names the column and the fix when wrong.
"""
from __future__ import annotations

import ast
import inspect
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit as tk

ROOT = Path(__file__).resolve().parents[1]


def _scored(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, n)
    p = 1 / (1 + np.exp(-(1.2 * x)))
    return pd.DataFrame({"id": np.arange(n) + seed * 100_000, "x": x, "plan": rng.choice(["a", "b"], n),
                         "p": p, "pred": (p >= 0.5).astype(int), "y": (rng.random(n) < p).astype(int)})


@pytest.fixture(scope="module")
def frames():
    reference = _scored(1500, 1)
    production = _scored(1200, 2, shift=0.3)
    production["t"] = pd.Timestamp("2026-03-02") + pd.to_timedelta(np.arange(1200) * 30, unit="min")
    production["week"] = np.repeat(["w1", "w2", "w3"], 400)
    return reference, production


@pytest.fixture(scope="module")
def spec(frames):
    return tk.ModelSpec.infer(frames[0], target="y", score="p", prediction="pred", id="id", features=["x", "plan"])


# -- the mapping of old names, checked against the functions themselves ---------------------------------------

#: function -> {old: new}, as README's vocabulary table lists them
RENAMES = {
    "performance": {"labelled": "production", "baseline": "reference", "n_boot": "n_resamples"},
    "estimate_performance": {"analysis": "production", "chunk_size": "by", "n_simulations": "n_resamples"},
    "attribute_drop": {"reference_labelled": "reference", "current_labelled": "current", "n_boot": "n_resamples"},
    "risk_coverage": {"labelled": "current", "n_boot": "n_resamples"},
    "abstain_threshold": {"labelled": "current", "confidence": "level"},
    "join_labels": {"predictions": "production"},
    "labels_needed": {"baseline_value": "reference_value", "baseline_n": "n_reference"},
    "detectable_drop": {"baseline_value": "reference_value", "baseline_n": "n_reference"},
    "health": {"confidence": "level"},
    "new_model": {"baseline": "reference"},
    "compare": {"replicates": "n_resamples"},
    "drift_over_time": {"replicates": "n_resamples"},
}


def test_every_public_rename_is_listed_and_points_at_a_real_argument():
    found = {}
    for name in tk.__all__:
        obj = getattr(tk, name)
        if callable(obj) and hasattr(obj, "__renamed_arguments__"):
            found[name] = obj.__renamed_arguments__
            params = inspect.signature(obj).parameters
            assert set(obj.__renamed_arguments__.values()) <= set(params), name
            assert not set(obj.__renamed_arguments__) & set(params), f"{name}: an old name is still a parameter"
    assert found == RENAMES


def test_same_idea_same_name_across_the_entry_points():
    """An interval level is ``level``, a resampling count ``n_resamples``, the spec comes right after the data."""
    for name in ("performance", "estimate_performance", "attribute_drop", "risk_coverage", "abstain_threshold",
                 "join_labels"):
        params = list(inspect.signature(getattr(tk, name)).parameters)
        assert params[params.index("spec") - 1] in ("production", "current", "labels"), name
        assert not {"confidence", "n_boot", "n_simulations", "chunk_size", "baseline", "labelled",
                    "analysis"} & set(params), name
        if name != "join_labels":
            assert "level" in params and "inclusion_prob" in params, name
    assert inspect.signature(tk.join_labels).parameters["on"].kind is inspect.Parameter.KEYWORD_ONLY


# -- new names: no DeprecationWarning from anywhere in the package ------------------------------------------

@pytest.fixture
def strict():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        yield


def test_outcome_entry_points_warn_nothing_with_the_new_names(frames, spec, strict):
    reference, production = frames
    perf = tk.performance(production, spec, by="week", reference=reference, metric="accuracy", n_resamples=200)
    assert perf.windows == ["w1", "w2", "w3"] and perf.to_frame()["baseline"].notna().all()
    est = tk.estimate_performance(reference, production.drop(columns="y"), spec, by=400, metric="accuracy",
                                  n_resamples=100)
    assert est.windows == ["[0:399]", "[400:799]", "[800:1199]"]
    att = tk.attribute_drop(reference, production, spec, metric="accuracy", n_resamples=30)
    assert att.features is not None
    curve = tk.risk_coverage(production, spec, n_thresholds=5, n_resamples=50)
    decision = tk.abstain_threshold(reference, spec, target_accuracy=0.7, level=0.9)
    assert decision.abstain_at is not None and decision.level == 0.9
    routing = decision.apply(production, by="week")
    assert routing["n"].tolist() == [400, 400, 400]
    decision.chart(), curve.chart(), decision.to_html()
    labels = production[["id", "y"]]
    fb = tk.join_labels(production.drop(columns="y"), labels, spec, on="id", by="week")
    assert fb.joined["y"].notna().all()
    assert tk.labels_needed("accuracy", reference_value=0.8, detectable_drop=0.05, n_reference=5000) > 0
    assert tk.detectable_drop("accuracy", reference_value=0.8, n=1000) > 0


def _model_folder(root: Path, frames) -> Path:
    reference, production = frames
    reference = reference.assign(t=pd.Timestamp("2026-01-05") + pd.to_timedelta(np.arange(len(reference)) * 40,
                                                                                unit="min"))
    reference.to_parquet(root / "base.parquet")
    production.drop(columns=["y", "week"]).to_parquet(root / "prod.parquet")
    labels = production[["id", "y"]].assign(label_time=production["t"] + pd.Timedelta("3D"))
    labels.to_parquet(root / "labels.parquet")
    spec = tk.ModelSpec.infer(reference, target="y", score="p", prediction="pred", id="id", timestamp="t",
                              features=["x", "plan"])
    cfg = tk.ModelConfig(name="vocabulary", baseline="base.parquet", production="prod.parquet",
                         labels="labels.parquet", spec=spec, window="D")
    return cfg.save(root / "model.yaml")


def test_health_warns_nothing_with_the_new_names(frames, tmp_path, strict):
    config = _model_folder(tmp_path, frames)
    report = tk.health(config, target_accuracy=0.7, level=0.9)
    assert report.row("fallback")["status"] in ("ok", "watch", "act", "n/a")
    with pytest.warns(DeprecationWarning, match="'confidence' is deprecated.*use 'level'"):
        old = tk.health(config, target_accuracy=0.7, confidence=0.9)
    assert old.to_frame().equals(report.to_frame())


def test_new_model_old_argument_name(frames, tmp_path):
    reference, production = frames
    reference.to_parquet(tmp_path / "base.parquet")
    production.drop(columns="week").to_parquet(tmp_path / "prod.parquet")
    reference = reference.assign(t=production["t"].iloc[0] - pd.Timedelta("30D"))
    reference.to_parquet(tmp_path / "base.parquet")
    roles = dict(target="y", score="p", prediction="pred", id="id", timestamp="t")
    new = tk.new_model(tmp_path / "new", reference=tmp_path / "base.parquet", production=tmp_path / "prod.parquet",
                       **roles)
    with pytest.warns(DeprecationWarning, match="'baseline' is deprecated.*use 'reference'"):
        old = tk.new_model(tmp_path / "old", baseline=tmp_path / "base.parquet", production=tmp_path / "prod.parquet",
                           **roles)
    assert tk.ModelConfig.load(old / "model.yaml").spec == tk.ModelConfig.load(new / "model.yaml").spec


def _calls(source: str):
    """(function name, keyword names) of every ``tk.<name>(...)`` call in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "tk":
            yield node.func.attr, {k.arg for k in node.keywords if k.arg}


def test_templates_use_no_old_name():
    checked = 0
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for name, keywords in _calls(source):
                old = set(RENAMES.get(name, {})) & keywords
                assert not old, f"{path.name}: tk.{name}(...) uses old name(s) {sorted(old)}"
                checked += name in RENAMES
            assert "decision.threshold" not in source and "fit_on = \"baseline\"" not in source, path.name
    assert checked >= 6   # the check saw the templates' outcome calls


# -- old names: still work for one release, warn, and give the same result ---------------------------------

def _same(a, b):
    if isinstance(a, (int, float, np.floating)):
        assert a == b or (np.isnan(a) and np.isnan(b))
        return
    if hasattr(a, "to_frame"):
        a, b = a.to_frame(), b.to_frame()
    if isinstance(a, tuple):   # FeedbackReport unpacks to (joined, report)
        a, b = a[0], b[0]
    pd.testing.assert_frame_equal(a, b)


CASES = {
    "performance": lambda f, s: (
        lambda **k: tk.performance(**k, spec=s, by="week", metric="accuracy"),
        {"labelled": f[1], "baseline": f[0], "n_boot": 100},
        {"production": f[1], "reference": f[0], "n_resamples": 100}),
    "estimate_performance": lambda f, s: (
        lambda **k: tk.estimate_performance(f[0], **k, spec=s, metric="accuracy"),
        {"analysis": f[1], "chunk_size": 600, "n_simulations": 60},
        {"production": f[1], "by": 600, "n_resamples": 60}),
    "attribute_drop": lambda f, s: (
        lambda **k: tk.attribute_drop(**k, spec=s, metric="accuracy"),
        {"reference_labelled": f[0], "current_labelled": f[1], "n_boot": 20},
        {"reference": f[0], "current": f[1], "n_resamples": 20}),
    "risk_coverage": lambda f, s: (
        lambda **k: tk.risk_coverage(**k, spec=s, n_thresholds=4),
        {"labelled": f[1], "n_boot": 30}, {"current": f[1], "n_resamples": 30}),
    "abstain_threshold": lambda f, s: (
        lambda **k: tk.abstain_threshold(**k, spec=s, target_accuracy=0.7),
        {"labelled": f[0], "confidence": 0.9}, {"current": f[0], "level": 0.9}),
    "join_labels": lambda f, s: (
        lambda **k: tk.join_labels(**k, labels=f[1][["id", "y"]], spec=s, on="id", by="week"),
        {"predictions": f[1].drop(columns="y")}, {"production": f[1].drop(columns="y")}),
    "labels_needed": lambda f, s: (
        lambda **k: tk.labels_needed("accuracy", detectable_drop=0.05, **k),
        {"baseline_value": 0.8, "baseline_n": 4000}, {"reference_value": 0.8, "n_reference": 4000}),
    "detectable_drop": lambda f, s: (
        lambda **k: tk.detectable_drop("accuracy", n=900, **k),
        {"baseline_value": 0.8, "baseline_n": 4000}, {"reference_value": 0.8, "n_reference": 4000}),
}


def test_every_old_name_has_a_case(frames, spec):
    covered = {name: set(CASES[name](frames, spec)[1]) for name in CASES}
    # health and new_model: their own tests here; compare and drift_over_time: tests/test_drift_comparator.py
    assert covered == {name: set(old) for name, old in RENAMES.items()
                       if name not in ("health", "new_model", "compare", "drift_over_time")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_old_names_warn_and_give_the_same_result(name, frames, spec):
    call, old, new = CASES[name](frames, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        expected = call(**new)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = call(**old)
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    for old_name, new_name in RENAMES[name].items():
        assert any(f"{old_name!r} is deprecated" in m and f"use {new_name!r}" in m for m in messages), messages
    assert all(w.filename == __file__ for w in caught if issubclass(w.category, DeprecationWarning)), \
        "the warning points at the caller's line"
    _same(got, expected)


@pytest.mark.parametrize("name", ["performance", "abstain_threshold", "labels_needed"])
def test_old_and_new_name_together_is_an_error(name, frames, spec):
    call, old, new = CASES[name](frames, spec)
    (old_name, new_name), *_ = RENAMES[name].items()
    with pytest.raises(TypeError, match=f"got both {old_name!r}.*pass only {new_name!r}"):
        call(**{**new, old_name: old[old_name]})


def test_join_labels_old_positional_id_column(frames):
    production, labels = frames[1].drop(columns="y"), frames[1][["id", "y"]]
    with pytest.warns(DeprecationWarning, match="pass on='id'"):
        old = tk.join_labels(production, labels, "id", target="y", by="week")
    new = tk.join_labels(production, labels, on="id", target="y", by="week")
    pd.testing.assert_frame_equal(old.joined, new.joined)
    with pytest.raises(TypeError, match="id column twice"):
        tk.join_labels(production, labels, "id", on="id", target="y")


def test_abstain_decision_old_attribute_names(frames, spec):
    decision = tk.abstain_threshold(frames[0], spec, target_accuracy=0.7, level=0.9)
    with pytest.warns(DeprecationWarning, match="use abstain_at"):
        assert decision.threshold == decision.abstain_at
    with pytest.warns(DeprecationWarning, match="use level"):
        assert decision.confidence == decision.level == 0.9
    assert list(decision.to_frame().columns[:3]) == ["abstain_at", "target_accuracy", "level"]


def test_fit_on_baseline_is_the_old_name_of_reference(frames, tmp_path):
    cfg = tk.ModelConfig.load(_model_folder(tmp_path, frames))
    new = cfg.labelled.fit_rows(cfg.reference, "reference")
    with pytest.warns(DeprecationWarning, match="fit_on='reference'"):
        old = cfg.labelled.fit_rows(cfg.reference, "baseline")
    assert old[1] == new[1] and old[0].equals(new[0])


# -- one place resolves roles --------------------------------------------------------------------------------

def test_resolve_applies_keywords_over_the_spec(frames, spec):
    roles = spec.resolve(frames[1], threshold=0.3)
    assert (roles.target, roles.score, roles.prediction, roles.threshold, roles.task) == ("y", "p", "pred", 0.3, "binary")
    assert spec.resolve(target="x").target == "x" and spec.resolve().spec is spec
    bare = tk.spec.resolve_roles(frames[1].assign(y=frames[1]["x"]), None, target="y", score="p")
    assert bare.task == "regression" and bare.features == () and bare.threshold == 0.5


def test_resolve_names_the_column_and_the_fix(frames, spec):
    with pytest.raises(KeyError, match=r"production lacks column 'targt' \(the target\).*Did you mean 'target'"):
        tk.performance(frames[1].rename(columns={"y": "target"}), target="targt", score="p")
    with pytest.raises(ValueError, match="no target column: pass target='churned'"):
        tk.risk_coverage(frames[1], score="p")
    with pytest.raises(TypeError, match=r"performance\(\) got an unexpected keyword argument 'scroe'; did you mean "
                                        r"'score'\?"):
        tk.performance(frames[1], spec, scroe="p")
    with pytest.raises(TypeError, match="threshold= must be a number"):
        tk.performance(frames[1], spec, threshold="0.5")
    with pytest.raises(ValueError, match="task must be one of"):
        tk.abstain_threshold(frames[1], spec, task="binomial")
    with pytest.raises(TypeError, match="spec must be a toolkit.ModelSpec"):
        tk.attribute_drop(frames[0], frames[1], {"target": "y"})


def test_engines_counts_resolve_roles_in_the_same_place(frames, spec):
    from toolkit.engines import confusion_counts

    counts = confusion_counts(frames[1], spec, engine="pandas")
    assert int(counts[["tp", "fp", "fn", "tn"]].to_numpy().sum()) == len(frames[1])
    with pytest.raises(ValueError, match="no score or prediction column"):
        confusion_counts(frames[1], target="y", engine="pandas")


def _owner_error(frame, role, column):
    """The text the one resolver gives for a missing role column, as tk.performance shows it."""
    with pytest.raises(KeyError) as caught:
        tk.spec.resolve_roles(frame, None, name="reference", require=(), present=(role,), **{role: column})
    return caught.value.args[0]


def test_relationships_contract_and_importance_resolve_roles_through_the_spec(frames, spec, monkeypatch):
    """feature_relationships, infer_contract and model importance call the one resolver (a spy sees each)."""
    from toolkit.drift.ranking import model_importance
    from toolkit.relationships import feature_relationships

    reference, production = frames
    calls = []
    real = tk.spec.resolve_roles
    monkeypatch.setattr(tk.spec, "resolve_roles", lambda *a, **k: calls.append(k["caller"]) or real(*a, **k))
    rel = feature_relationships(reference, production, spec, columns=["x"])
    contract = tk.infer_contract(reference, spec)

    class Model:  # predicts from x alone, so permuting x must matter and plan must not
        def fit(self, X, y):
            return self

        def predict(self, X):
            return (X["x"].to_numpy() > 0).astype(int)

        def score(self, X, y):
            return float((self.predict(X) == np.asarray(y)).mean())

    importance = model_importance(Model(), reference, spec, sample_size=500, n_repeats=2)
    assert calls == ["feature_relationships", "infer_contract", "model_importance"]
    assert rel.has_labels and contract["y"].role == "target" and contract["id"].role == "id"
    assert importance["x"] > 0.1 and importance["plan"] == 0.0


def test_relationships_contract_and_importance_name_a_misspelt_role_like_performance(frames, spec):
    from toolkit.drift.ranking import model_importance
    from toolkit.relationships import feature_relationships

    reference, production = frames
    renamed = reference.rename(columns={"y": "churned"})
    expected = _owner_error(renamed, "target", "churn")
    assert "Did you mean 'churned'" in expected and "(the target)" in expected
    with pytest.raises(KeyError) as caught:
        feature_relationships(renamed, production.drop(columns="y"), target="churn", score="p", columns=["x"])
    assert caught.value.args[0] == expected
    with pytest.raises(KeyError) as caught:
        tk.infer_contract(renamed, spec.replace(target="churn"))
    assert caught.value.args[0] == expected
    with pytest.raises(KeyError) as caught:
        model_importance(object(), renamed, spec.replace(target="churn"))
    assert caught.value.args[0] == expected
    # the same sentence tk.performance gives, but for the frame it names
    with pytest.raises(KeyError) as caught:
        tk.performance(renamed, target="churn", score="p")
    assert caught.value.args[0] == expected.replace("reference lacks", "production lacks")


def test_relationships_accept_a_target_only_the_current_window_has(frames):
    """Labels are optional in feature_relationships: a keyword role present in either frame is fine."""
    from toolkit.relationships import feature_relationships

    reference, production = frames
    rel = feature_relationships(reference.drop(columns="y"), production, target="y", score="p", columns=["x"])
    assert rel.has_labels
    assert rel.to_frame().query("side == 'reference'")["n_labelled"].sum() == 0
    assert rel.to_frame().query("side == 'current'")["n_labelled"].sum() == len(production)


# -- role keywords take any hashable column label ------------------------------------------------------------

def _tuple_named(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with flattened-MultiIndex names, as ``df.groupby(...).agg(["mean"])`` leaves them."""
    names = {"id": ("id", ""), "x": ("x", "mean"), "plan": ("plan", "first"), "p": ("p", "mean"),
             "pred": ("pred", ""), "y": ("y", "max"), "t": ("t", "")}
    out = frame.copy()
    out.columns = pd.Index([names.get(c, (c, "")) for c in frame.columns], tupleize_cols=False)
    return out


def test_role_keywords_accept_tuple_column_names(frames):
    reference, production = frames
    plain = tk.performance(production, target="y", score="p", prediction="pred", by="W", timestamp="t")
    tupled = tk.performance(_tuple_named(production), target=("y", "max"), score=("p", "mean"),
                            prediction=("pred", ""), by="W", timestamp=("t", ""))
    pd.testing.assert_frame_equal(tupled.to_frame(), plain.to_frame())
    spec = tk.ModelSpec.infer(_tuple_named(reference), target=("y", "max"), score=("p", "mean"), id=("id", ""))
    assert spec.features == [("x", "mean"), ("plan", "first"), ("pred", "")]
    plain_spec = tk.ModelSpec.infer(reference, target="y", score="p", id="id")
    est = tk.estimate_performance(_tuple_named(reference), _tuple_named(production), spec=spec).to_frame()
    pd.testing.assert_frame_equal(est, tk.estimate_performance(reference, production, spec=plain_spec).to_frame())
    assert len(est) > 0


def test_relationships_accept_tuple_column_names(frames):
    from toolkit.relationships import feature_relationships

    reference, production = frames
    plain = feature_relationships(reference, production, target="y", score="p", columns=["x", "plan"])
    tupled = feature_relationships(_tuple_named(reference), _tuple_named(production), target=("y", "max"),
                                   score=("p", "mean"), columns=[("x", "mean"), ("plan", "first")])
    names = {"x": ("x", "mean"), "plan": ("plan", "first")}
    expected = plain.to_frame().assign(column=lambda f: f["column"].map(names))
    pd.testing.assert_frame_equal(tupled.to_frame(), expected)
    chart = tupled.chart().to_dict()   # the dropdown filters on text, so a tuple name is shown as its str
    assert chart["params"][0]["bind"]["options"] == [str(("plan", "first")), str(("x", "mean"))]
    assert {row["column"] for rows in chart["datasets"].values() for row in rows} == set(chart["params"][0]["bind"]["options"])


def test_a_spec_with_tuple_names_says_how_to_save_it(frames, tmp_path):
    spec = tk.ModelSpec.infer(_tuple_named(frames[0]), target=("y", "max"), score=("p", "mean"))
    with pytest.raises(ValueError, match=r"spec names column \('y', 'max'\).*rename the columns to text first"):
        spec.save(tmp_path / "spec.yaml")
    assert not (tmp_path / "spec.yaml").exists()


@pytest.mark.parametrize("conflicts", ["latest", "drop"])
def test_join_labels_accepts_tuple_column_names(frames, conflicts):
    production = frames[1].drop(columns="y")
    labels = pd.concat([frames[1][["id", "y"]], frames[1][["id", "y"]].head(4).assign(y=lambda d: 1 - d["y"])])
    plain = tk.join_labels(production, labels, on="id", target="y", conflicts=conflicts)
    tupled = tk.join_labels(_tuple_named(production), _tuple_named(labels), on=("id", ""), target=("y", "max"),
                            conflicts=conflicts)
    assert tupled.report.n_conflicts == plain.report.n_conflicts == 4
    assert tupled.joined[("y", "max")].equals(plain.joined["y"])
    assert tupled.report.conflicts[("id", "")].tolist() == plain.report.conflicts["id"].tolist()


@pytest.mark.parametrize("wrong", [["p"], {"p": 1}, {"p"}, (["p"], 1), 0.5, True, ""])
def test_role_keywords_still_reject_what_cannot_name_one_column(frames, wrong):
    with pytest.raises(TypeError, match=r"score= must be one column's name; got"):
        tk.performance(frames[1], target="y", score=wrong)


# -- Rules.level and RiskCoverage.at(abstain_at) -------------------------------------------------------------

def test_rules_confidence_is_the_old_name_of_level():
    from toolkit.health_rules import Rules, fallback_rule

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        new = Rules(level=0.9)
    with pytest.warns(DeprecationWarning, match=r"Rules\(\): 'confidence' is deprecated .*use 'level'"):
        old = Rules(confidence=0.9)
    assert old == new and old.level == 0.9
    with pytest.warns(DeprecationWarning, match="Rules.confidence is deprecated .*use level"):
        assert new.confidence == 0.9
    with pytest.raises(TypeError, match=r"Rules\(\) got both 'confidence' \(its old name\) and 'level'"):
        Rules(confidence=0.9, level=0.9)
    with pytest.raises(ValueError, match=r"Rules.level must be a number in \[0, 1\]"):
        Rules(level=1.5)
    # the rule that uses it reads the same value either way
    said = [fallback_rule(pd.DataFrame(), ["w1"], rules=r, feasible=False)["summary"].iloc[0] for r in (new, old)]
    assert said[0] == said[1] and "with 90.0% confidence" in said[0]


def test_risk_coverage_at_takes_abstain_at(frames, spec):
    curve = tk.risk_coverage(frames[1], spec, n_thresholds=5, n_resamples=50)
    cut = float(curve.to_frame()["threshold"].iloc[2])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        new, positional = curve.at(abstain_at=cut), curve.at(cut)
    with pytest.warns(DeprecationWarning, match=r"RiskCoverage.at\(\): 'threshold' is deprecated .*use 'abstain_at'"):
        old = curve.at(threshold=cut)
    assert old == new == positional
    row = curve.to_frame().iloc[2]
    assert new["coverage"] == pytest.approx(row["coverage"]) and new["value"] == pytest.approx(row["value"])


def test_both_abstain_rules_apply_to_production_and_warn_on_new_window():
    rng = np.random.default_rng(4)
    sd = rng.uniform(0.5, 3, 2000)
    frame = pd.DataFrame({"y": rng.normal(0, sd), "pred": 0.0, "pred_std": sd, "week": np.repeat(["w1", "w2"], 1000)})
    rule = tk.abstain_on_uncertainty(frame, target="y", prediction="pred", max_mae=1.0)
    new = rule.apply(production=frame, by="week")
    with pytest.warns(DeprecationWarning, match=r"UncertaintyAbstain.apply\(\): 'new_window' is deprecated"):
        old = rule.apply(new_window=frame, by="week")
    pd.testing.assert_frame_equal(old, new)
    assert list(new.columns[-5:]) == ["n_accepted_labelled", "mae_accepted", "lower", "upper", "above_max"]
    p = rng.random(2000)
    scored = pd.DataFrame({"p": p, "y": (rng.random(2000) < p).astype(int), "week": np.repeat(["w1", "w2"], 1000)})
    decision = tk.abstain_threshold(scored, target="y", score="p", target_accuracy=0.8)
    with pytest.warns(DeprecationWarning, match=r"AbstainDecision.apply\(\): 'new_window' is deprecated"):
        pd.testing.assert_frame_equal(decision.apply(new_window=scored, by="week"), decision.apply(scored, by="week"))
