"""tk.attribute_drop: input shift versus changed relationships, segments, and per-feature tests."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit as tk


def world(n, rng, x_mean=0.0, z_coef=0.9, plan_probs=(0.5, 0.3, 0.2)):
    """The score is the reference-period probability; the world may move the inputs (x_mean, plan mix)
    or change the z -> label link (z_coef)."""
    x = rng.normal(x_mean, 1, n)
    z = rng.poisson(1.5, n)
    u = rng.normal(size=n)
    plan = rng.choice(["basic", "plus", "pro"], n, p=list(plan_probs))
    plan_eff = np.select([plan == "basic", plan == "plus"], [0.4, 0.0], -0.4)
    score = 1 / (1 + np.exp(-(-1.2 + 1.3 * x + 0.9 * (z - 1.5) + plan_eff)))
    true = 1 / (1 + np.exp(-(-1.2 + 1.3 * x + z_coef * (z - 1.5) + plan_eff)))
    y = (rng.random(n) < true).astype(int)
    return pd.DataFrame({"x": x, "z": z, "u": u, "plan": plan, "score": score, "y": y,
                         "pred": (score >= 0.5).astype(int)})


FEATURES = ["x", "z", "u", "plan"]


@pytest.fixture(scope="module")
def reference():
    return world(12_000, np.random.default_rng(0))


def test_pure_input_shift_is_explained_by_inputs(reference):
    rng = np.random.default_rng(1)
    current = world(5000, rng, x_mean=-0.8, plan_probs=(0.2, 0.3, 0.5))   # inputs move, the link does not
    att = tk.attribute_drop(reference, current, target="y", score="score", prediction="pred", features=FEATURES,
                            metric="accuracy", n_resamples=150)
    split = att.split.set_index("component")
    assert split.loc["total change", "significant"]                       # accuracy does change...
    assert not split.loc["not explained by input shift (concept drift)", "significant"]   # ...but inputs explain it
    assert att.explained_by_inputs == pytest.approx(att.total, abs=0.02)
    assert not att.concept_drift
    assert att.changed_features == []
    assert att.domain_auc > 0.6
    feats = att.features.set_index("feature")
    assert feats.loc["x", "verdict"] == "input shift only" and feats.loc["plan", "verdict"] == "input shift only"


def test_concept_drift_is_not_explained_and_names_the_feature(reference):
    rng = np.random.default_rng(2)
    current = world(5000, rng, z_coef=-0.4)                                 # z's link to the label flips
    att = tk.attribute_drop(reference, current, target="y", score="score", prediction="pred", features=FEATURES,
                            n_resamples=150)
    assert att.metric == "roc_auc" and att.total < -0.05
    split = att.split.set_index("component")
    assert split.loc["not explained by input shift (concept drift)", "significant"] and att.concept_drift
    assert abs(att.explained_by_inputs) < 0.01
    assert att.changed_features == ["z"]
    row = att.features.set_index("feature").loc["z"]
    assert row.verdict == "relationship changed (concept drift)" and row.input_shift_psi < 0.01
    assert att.domain_auc < 0.56                                            # inputs did not move
    assert att.segments.iloc[0]["column"] == "z"                            # the top segment is a z bin
    bins = att.bins[att.bins.feature == "z"]
    assert {"label_rate_reference", "label_rate_current", "effect_change"} <= set(bins.columns)


def test_additive_segment_contributions_sum_to_the_change(reference):
    rng = np.random.default_rng(3)
    current = world(5000, rng, x_mean=-0.5, z_coef=0.2)
    att = tk.attribute_drop(reference, current, target="y", score="score", prediction="pred", features=FEATURES,
                            metric="accuracy", n_resamples=100)
    seg = att.to_frame("segments")
    assert (seg["contribution_method"] == "share x change + mix").all()
    for column, part in seg.groupby("column"):
        assert part["contribution"].sum() == pytest.approx(att.current_value - att.reference_value, abs=1e-9), column
    plan = seg[seg.column == "plan"].set_index("segment")
    assert plan["share_reference"].sum() == pytest.approx(1.0)


def test_new_categories_and_missing_columns_are_reported(reference):
    rng = np.random.default_rng(4)
    current = world(3000, rng)
    current.loc[current.index[:300], "plan"] = "family"
    current = current.drop(columns="u")
    att = tk.attribute_drop(reference, current, target="y", score="score", features=FEATURES, n_resamples=50)
    seg = att.segments
    family = seg[(seg.column == "plan") & (seg.segment == "family")].iloc[0]
    assert family.n_reference == 0 and "new in current" in family.note
    assert any("'u'" in n for n in att.notes)


def test_outputs_render(reference):
    rng = np.random.default_rng(5)
    att = tk.attribute_drop(reference, world(2000, rng, z_coef=0.0), target="y", score="score",
                            features=FEATURES, n_resamples=50)
    spec = att.chart(top=5).to_dict()
    assert len(spec["vconcat"]) == 3
    for panel in spec["vconcat"]:
        layers = panel.get("layer", [panel])
        assert all("tooltip" in layer["encoding"] for layer in layers)
    assert "input shift explains" in repr(att) and "Attribution" in att.to_html()
    for which in ("segments", "split", "features", "bins"):
        assert len(att.to_frame(which))
    with pytest.raises(ValueError, match="which must be one of"):
        att.to_frame("nope")


def test_bad_input(reference):
    with pytest.raises(ValueError, match="at least 20 labelled rows"):
        tk.attribute_drop(reference, reference.head(10), target="y", score="score", features=FEATURES)
    with pytest.raises(ValueError, match="features"):
        tk.attribute_drop(reference, reference, target="y", score="score")


def _dense_bin_effects(y, offset, codes, k, w, family):
    """The former implementation with the dense design matrix: the reference for the per-bin sums."""
    from scipy import special

    X = np.zeros((len(y), k))
    X[:, 0] = 1.0
    X[np.arange(len(y))[codes > 0], codes[codes > 0]] = 1.0
    beta = np.zeros(k)
    if family == "binomial":
        for _ in range(50):
            mu = special.expit(offset + X @ beta)
            var = np.maximum(mu * (1 - mu), 1e-9)
            hess = (X * (w * var)[:, None]).T @ X + 1e-6 * np.eye(k)
            step = np.linalg.solve(hess, X.T @ (w * (y - mu)))
            beta = np.clip(beta + np.clip(step, -5, 5), -30, 30)
            if np.max(np.abs(step)) < 1e-8:
                break
        mu = special.expit(offset + X @ beta)
        bread = np.linalg.inv((X * (w * np.maximum(mu * (1 - mu), 1e-9))[:, None]).T @ X + 1e-6 * np.eye(k))
    else:
        xtwx = (X * w[:, None]).T @ X + 1e-9 * np.eye(k)
        beta = np.linalg.solve(xtwx, X.T @ (w * (y - offset)))
        mu = offset + X @ beta
        bread = np.linalg.inv(xtwx)
    score = X * (w * (y - mu))[:, None]
    return beta[1:], (bread @ (score.T @ score) @ bread)[1:, 1:]


@pytest.mark.parametrize("family,k", [("binomial", 2), ("binomial", 6), ("gaussian", 5)])
def test_bin_effects_from_per_bin_sums_equal_the_dense_design(family, k):
    """The bin-effect fit without a design matrix gives the dense fit's effects and sandwich covariance."""
    from toolkit.outcomes.attribution import _fit_bin_effects

    rng = np.random.default_rng(k)
    n = 3000
    codes = rng.integers(0, k, n)
    offset = rng.normal(0, 1, n)
    w = np.where(rng.random(n) < 0.3, 4.0, 1.0)
    shift = np.r_[0.0, rng.normal(0, 0.5, k - 1)][codes]
    if family == "binomial":
        y = (rng.random(n) < 1 / (1 + np.exp(-(offset + shift)))).astype(float)
    else:
        y = offset + shift + rng.normal(0, 1, n)
    g, v = _fit_bin_effects(y, offset, codes, k, w, family)
    g_ref, v_ref = _dense_bin_effects(y, offset, codes, k, w, family)
    np.testing.assert_allclose(g, g_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(v, v_ref, rtol=1e-9, atol=1e-15)
