# Two entry points (see README): `make report` and `make test`. Both create .venv on first use;
# re-running is fast because the install is skipped while pyproject.toml is unchanged.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: report test lab data bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,spark]'
	touch $(STAMP)

## Execute every template notebook on sample_data/ and write the HTML reports to reports/
report: $(STAMP)
	$(PY) -m toolkit report notebooks/ --output-dir reports

## Run the whole test suite (unit, statistics, notebooks, browser)
test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup --durations=15

## Open JupyterLab on the templates (as root too, as in most containers: Jupyter refuses root without --allow-root)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

## Regenerate the demo scenario (deterministic)
data: $(STAMP)
	$(PY) sample_data/generate.py

## Benchmarks (slow; results go to bench/RESULTS.md by hand)
bench: $(STAMP)
	$(PY) bench/drift.py
	$(PY) bench/schema.py

clean:
	rm -rf $(VENV) reports .pytest_cache
