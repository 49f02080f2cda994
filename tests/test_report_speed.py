"""Speed-ups of `make report` that must not change a number (bench/RESULTS-reportspeed.md)."""
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from toolkit.outcomes.retrain_data import clean_features
from toolkit.outcomes.retraining import _skip_needless_counting, default_learner
from toolkit.spec import ModelSpec


def _data(levels: int, n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "x": rng.normal(size=n),
        "few": rng.choice(["a", "b", "c", None], size=n),
        "many": rng.integers(0, levels, size=n).astype(str),
    })
    frame.loc[rng.random(n) < 0.05, "many"] = None
    y = (frame["x"] + (frame["few"] == "a") + rng.normal(size=n) > 0.5).astype(int).to_numpy()
    spec = ModelSpec(features=["x", "few", "many"], target="y",
                     kinds={"x": "numeric", "few": "categorical", "many": "categorical"})
    return clean_features(frame, spec), y, spec


@pytest.mark.parametrize("levels", [20, 249, 250, 400])
def test_lifting_the_level_cap_gives_the_same_model(levels):
    X, y, spec = _data(levels)
    plain = default_learner(spec, "binary", 0).fit(X, y)            # the stated learner, cap as documented
    fast = _skip_needless_counting(default_learner(spec, "binary", 0), X)
    lifted = fast.get_params()["encode__cat__max_categories"] is None
    n_levels = X["many"].nunique()
    # the cap is lifted only where it cannot act (fewer levels than the cap), kept where it merges levels
    assert lifted == (n_levels < 250)
    fast.fit(X, y)
    probe, _, _ = _data(levels, n=1000, seed=1)
    np.testing.assert_array_equal(fast.predict_proba(probe), plain.predict_proba(probe))
    np.testing.assert_array_equal(fast.named_steps["encode"].transform(probe),
                                  plain.named_steps["encode"].transform(probe))


def test_user_min_frequency_keeps_the_cap():
    X, y, spec = _data(20)
    pipe = default_learner(spec, "binary", 0)
    pipe.set_params(encode__cat__min_frequency=5)
    assert _skip_needless_counting(pipe, X).get_params()["encode__cat__max_categories"] == 250


def test_numeric_kinds_reach_the_learner_as_numbers():
    # spec.kinds holds Kind members; a numeric feature must not be encoded as text categories (which also
    # capped it at 250 levels and made the plan's training slow)
    from toolkit.outcomes.retrain_data import is_numeric_feature

    X, _, spec = _data(20)
    assert is_numeric_feature(spec, "x") and not is_numeric_feature(spec, "few")
    assert X["x"].dtype == float and X["few"].dtype == object
    cats = default_learner(spec, "binary", 0).named_steps["encode"].transformers[0][2]
    assert cats == ["few", "many"]
