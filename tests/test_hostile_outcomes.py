"""Hostile input to the outcome functions (issue 12): a clear error naming the argument, or a correct result."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(0)
    p = rng.random(400)
    return pd.DataFrame({"p": p, "y": (rng.random(400) < p).astype(int)})


@pytest.mark.parametrize("labels", [["yes"] * 40, ["churned"] * 40, [2] * 40])
def test_single_label_that_is_not_the_positive_label_is_an_error(labels):
    frame = pd.DataFrame({"y": labels, "p": np.linspace(0, 1, 40)})
    with pytest.raises(ValueError, match=r"positive_label=1.*every row would count as negative"):
        tk.performance(frame, target="y", score="p", metric="accuracy")


def test_single_label_that_is_the_positive_or_its_negative_is_fine():
    p = np.linspace(0, 1, 40)
    all_yes = tk.performance(pd.DataFrame({"y": ["yes"] * 40, "p": p}), target="y", score="p",
                             positive_label="yes", metric="accuracy").to_frame().iloc[0]
    assert all_yes.value == pytest.approx(np.mean(p >= 0.5)) and all_yes.n_positive == 40
    all_zero = tk.performance(pd.DataFrame({"y": [0] * 40, "p": p}), target="y", score="p",
                              metric="accuracy").to_frame().iloc[0]
    assert all_zero.value == pytest.approx(np.mean(p < 0.5)) and all_zero.n_positive == 0
    all_no = tk.performance(pd.DataFrame({"y": ["no"] * 40, "p": p}), target="y", score="p",
                            positive_label="yes", metric="accuracy").to_frame().iloc[0]
    assert all_no.n_positive == 0


def test_apply_on_zero_rows_gives_zero_counts(scored):
    d = tk.abstain_threshold(scored, target="y", score="p", target_accuracy=0.8)
    for empty in (scored.iloc[:0], scored.iloc[:0].drop(columns="y")):
        out = d.apply(empty)
        assert out[["n", "n_routed", "n_missing_confidence"]].to_numpy().tolist() == [[0, 0, 0]]
        assert out["n"].dtype.kind == "i" and np.isnan(out["routed_share"].iloc[0])


@pytest.mark.parametrize("bad", [2.5, np.nan, "10", None, 1, True])
def test_risk_coverage_n_thresholds_is_checked(scored, bad):
    with pytest.raises((ValueError, TypeError), match="n_thresholds"):
        tk.risk_coverage(scored, target="y", score="p", n_thresholds=bad)


def test_risk_coverage_accepts_a_whole_float(scored):
    assert len(tk.risk_coverage(scored, target="y", score="p", n_thresholds=4.0).to_frame()) == 4


@pytest.mark.parametrize("bad", [np.nan, "100", 2.5, None, -3, float("inf"), [100]])
def test_detectable_drop_n_is_checked(bad):
    with pytest.raises((ValueError, TypeError), match=r"\bn must"):
        tk.detectable_drop("accuracy", reference_value=0.8, n=bad)


def test_detectable_drop_takes_numpy_integers():
    assert tk.detectable_drop("accuracy", 0.8, n=np.int64(1000)) == pytest.approx(
        tk.detectable_drop("accuracy", 0.8, n=1000))


@pytest.mark.parametrize("arg,value", [("reference_value", "0.8"), ("power", np.nan), ("alpha", None),
                                       ("prevalence", "a quarter"), ("detectable_drop", "0.03")])
def test_planning_numbers_are_checked(arg, value):
    kwargs = dict(metric="recall", reference_value=0.8, detectable_drop=0.03, power=0.8, alpha=0.05, prevalence=0.3)
    kwargs[arg] = value
    with pytest.raises((ValueError, TypeError), match=arg):
        tk.labels_needed(**kwargs)
