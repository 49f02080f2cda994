"""Hostile config files: every wrong key, type or value is a tk.ConfigError naming the file, the key and what
is allowed, raised at load, never a raw yaml / TypeError from deep inside, and never a silently wrong spec."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import toolkit as tk


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg")
    rng = np.random.default_rng(3)
    n = 600
    base = pd.DataFrame({"customer_id": np.arange(n), "tenure": rng.normal(24, 6, n),
                         "plan": rng.choice(["a", "b"], n), "score": rng.uniform(size=n), "y": rng.integers(0, 2, n)})
    base.to_parquet(path / "base.parquet")
    (path / "prod").mkdir()
    base.assign(tenure=base["tenure"] + 12.0).to_parquet(path / "prod" / "w1.parquet")  # +2 SD
    spec = tk.ModelSpec.infer(base, target="y", score="score", id="customer_id")
    tk.ModelConfig(name="m", baseline="base.parquet", production="prod", spec=spec).save(path / "model.yaml")
    tk.infer_contract(base, spec=spec).save(path / "contract.yaml")
    return path


def _edit(folder, name, change):
    data = yaml.safe_load((folder / name).read_text())
    change(data)
    out = folder / f"edited-{name}"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def test_features_as_a_string_is_one_column_and_its_drift_is_found(folder):
    path = _edit(folder, "model.yaml", lambda d: d["spec"].__setitem__("features", "tenure"))
    cfg = tk.ModelConfig.load(path)
    assert cfg.spec.features == ["tenure"]  # never ['t', 'e', 'n', 'u', 'r', 'e']
    assert tk.ModelSpec(features="tenure").features == ["tenure"]
    report = tk.compare(cfg.reference, cfg.window_frame(), cfg.spec)
    table = report.to_frame().set_index("column")
    assert "tenure" in table.index and bool(table.loc["tenure", "drifted"])
    assert not set("tenur") & set(table.index)


CASES = [
    # (file, edit, words the message must contain)
    ("model.yaml", lambda d: d["spec"].pop("features"), ["model.yaml", "spec.features", "features: ["]),
    ("model.yaml", lambda d: d["spec"].__setitem__("features", None), ["model.yaml", "spec.features"]),
    ("model.yaml", lambda d: d["spec"].__setitem__("features", 5), ["model.yaml", "spec.features", "5"]),
    ("model.yaml", lambda d: d["spec"].__setitem__("kinds", ["numeric"]), ["model.yaml", "spec.kinds", "mapping"]),
    ("model.yaml", lambda d: d["spec"]["kinds"].__setitem__("tenure", "numerik"),
     ["model.yaml", "spec.kinds.tenure", "'numerik' is not a kind", "numeric, categorical"]),
    ("model.yaml", lambda d: d["spec"].__setitem__("threshold", "high"),
     ["model.yaml", "spec.threshold", "'high'", "threshold: 0.5"]),
    ("model.yaml", lambda d: d["spec"].__setitem__("task", "ranking"), ["model.yaml", "spec.task", "binary"]),
    ("model.yaml", lambda d: d.__setitem__("baseline", 5), ["model.yaml", "baseline", "5", "as text"]),
    ("model.yaml", lambda d: d.__setitem__("production", None), ["model.yaml", "production"]),
    ("model.yaml", lambda d: d.__setitem__("spec", 5), ["model.yaml", "spec", "mapping"]),
    ("model.yaml", lambda d: d.__setitem__("windw", "W"), ["model.yaml", "windw", "valid keys"]),
    ("model.yaml", lambda d: d.pop("baseline"), ["model.yaml", "missing", "baseline"]),
    ("contract.yaml", lambda d: d.__setitem__("columns", 5), ["contract.yaml", "columns", "mapping"]),
    ("contract.yaml", lambda d: d.__setitem__("alpha", "high"), ["contract.yaml", "alpha", "'high'", "number"]),
    ("contract.yaml", lambda d: d.__setitem__("alpha", 3), ["contract.yaml", "alpha", "(0, 1)"]),
    ("contract.yaml", lambda d: d["columns"]["tenure"].__setitem__("lower", "abc"),
     ["contract.yaml", "columns.tenure.lower", "'abc'", "number"]),
    ("contract.yaml", lambda d: d["columns"]["tenure"].__setitem__("kind", "numerik"),
     ["contract.yaml", "columns.tenure", "kind", "numeric"]),
    ("contract.yaml", lambda d: d["columns"]["tenure"].__setitem__("nullable", "maybe"),
     ["contract.yaml", "columns.tenure.nullable", "true or false"]),
    ("contract.yaml", lambda d: d["columns"].__setitem__("tenure", [1, 2]), ["contract.yaml", "columns.tenure"]),
    ("contract.yaml", lambda d: d.__setitem__("error_share", {"null_rate": "lots"}),
     ["contract.yaml", "error_share.null_rate", "'lots'"]),
    ("contract.yaml", lambda d: d.__setitem__("rows", {"expected": "many"}), ["contract.yaml", "rows.expected"]),
    ("contract.yaml", lambda d: d.__setitem__("rows", {"expected": 100, "per": "abc"}),
     ["contract.yaml", "rows.per", "'abc' is not a period", "7D"]),
]


@pytest.mark.parametrize("name,edit,words", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_wrong_types_are_config_errors_at_load(folder, name, edit, words):
    path = _edit(folder, name, edit)
    loader = tk.ModelConfig.load if name == "model.yaml" else tk.Contract.load
    with pytest.raises(tk.ConfigError) as err:
        loader(path)
    text = str(err.value).replace(f"edited-{name}", name)
    for word in words:
        assert word in text, (word, text)
    assert "np.float64" not in text and "Traceback" not in text
    assert isinstance(err.value, ValueError)  # documented: ConfigError is a ValueError


@pytest.mark.parametrize("text", ["spec: [unclosed\n", "name: m\n  baseline: x\n bad: indent\n", "\tname: tab\n"])
def test_invalid_yaml_names_the_file_and_line(folder, text):
    for name, loader in (("model.yaml", tk.ModelConfig.load), ("contract.yaml", tk.Contract.load)):
        path = folder / f"broken-{name}"
        path.write_text(text)
        with pytest.raises(tk.ConfigError, match=rf"broken-{name}: not valid YAML( at line \d+)?"):
            loader(path)


def test_a_config_that_is_a_list_or_binary_is_a_config_error(folder):
    path = folder / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(tk.ConfigError, match="list.yaml: expected a mapping"):
        tk.ModelConfig.load(path)
    path = folder / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(tk.ConfigError, match="binary.yaml"):
        tk.ModelConfig.load(path)


def test_spec_built_in_python_gets_the_same_errors_as_a_typed_exception():
    with pytest.raises(ValueError, match="kinds.tenure: 'numerik' is not a kind; use one of numeric"):
        tk.ModelSpec(features=["tenure"], kinds={"tenure": "numerik"})
    with pytest.raises(TypeError, match="threshold: 'high' is not a number"):
        tk.ModelSpec(features=["tenure"], threshold="high")
    with pytest.raises(TypeError, match="features: None is not a list of column names"):
        tk.ModelSpec(features=None)
    with pytest.raises(TypeError, match="kinds: must be a mapping"):
        tk.ModelSpec(features=["a"], kinds=["numeric"])
    with pytest.raises(ValueError, match="threshold: nan is not a number"):
        tk.ModelSpec(features=["a"], threshold=float("nan"))


def test_spec_file_load_names_the_file(folder, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("features: [a]\nkinds: {a: numerik}\n")
    with pytest.raises(tk.ConfigError, match=r"spec.yaml: spec.kinds.a: 'numerik' is not a kind"):
        tk.ModelSpec.load(path)


def test_threshold_is_resolved_in_one_place():
    """ModelSpec.infer gives the threshold `toolkit new` writes to model.yaml (the demo: 0.31, not 0.5)."""
    ref = pd.read_parquet(Path(__file__).resolve().parents[1] / "sample_data" / "baseline.parquet")
    spec = tk.ModelSpec.infer(ref, target="churned", score="churn_score", prediction="churn_pred")
    positive = ref["churn_pred"] == 1
    # direct computation: every positive prediction scores >= t, every negative one < t
    assert ref.loc[positive, "churn_score"].min() >= spec.threshold > ref.loc[~positive, "churn_score"].max()
    assert spec.threshold == 0.31
    assert tk.ModelSpec.infer(ref, target="churned", score="churn_score").threshold == 0.5  # no predictions: default
    assert tk.ModelSpec.infer(ref, target="churned", score="churn_score", prediction="churn_pred",
                              threshold=0.4).threshold == 0.4


def test_a_declared_id_is_never_a_range_checked_or_drifting_feature():
    rng = np.random.default_rng(5)
    base = pd.DataFrame({"application_id": np.arange(1000, 2000), "x": rng.normal(size=1000)})
    later = pd.DataFrame({"application_id": np.arange(50_000, 51_000), "x": rng.normal(size=1000)})
    spec = tk.ModelSpec.infer(base, id="application_id")
    assert spec.kind("application_id") is tk.Kind.IDENTIFIER and "application_id" not in spec.monitored
    contract = tk.infer_contract(base, spec=spec)
    result = contract.validate(later)
    assert result.ok and result.checks("out_of_range").empty
    # what it IS checked for: duplicates and nulls
    dup = later.assign(application_id=[7] * 1000)
    assert "duplicate_id" in contract.validate(dup).failures["check"].tolist()
    # even a spec loaded from an old model.yaml that called the id numeric
    old = tk.ModelSpec(features=["x"], id="application_id", kinds={"application_id": "numeric", "x": "numeric"})
    assert tk.infer_contract(base, spec=old).validate(later).checks("out_of_range").empty


def test_a_column_listed_twice_or_given_two_roles_is_named():
    with pytest.raises(ValueError, match="features: 'a' is listed twice"):
        tk.ModelSpec(features=["a", "a"])
    with pytest.raises(ValueError, match="score: 'y' is already the target column"):
        tk.ModelSpec(features=["a"], target="y", score="y")
    assert tk.ModelSpec(features=["a"], target="y", score="p", prediction="p", task="regression").score == "p"
