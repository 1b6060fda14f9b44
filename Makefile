# Two commands set everything up on a fresh machine (Debian + Python + pip):
#   make brief   installs system libraries and the package, then builds the demo briefs in ./out/
#   make test    installs system libraries and the package with test extras, then runs ruff, mypy and pytest
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := libharfbuzz-subset0 poppler-utils chromium
# a Java runtime for PySpark (the Spark tests), installed only when java is missing
JAVA_PACKAGE := openjdk-17-jre-headless

.PHONY: brief test system venv bench

system:
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	  if ! command -v java >/dev/null 2>&1; then \
	    echo "installing a Java runtime for the Spark tests: $(JAVA_PACKAGE)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(JAVA_PACKAGE) >/dev/null; \
	  fi; \
	fi

$(BIN)/python:
	$(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip > /dev/null 2>&1 || $(BIN)/python -m pip install -q --upgrade pip

# pip's and the build backend's notices go to .venv/pip.log, shown only when the install fails
venv: $(BIN)/python
	@echo "installing surveykit and its test dependencies into $(VENV) (log: $(VENV)/pip.log)"
	@$(BIN)/python -m pip install -q -e ".[test]" > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }

brief: system venv
	$(BIN)/surveykit brief

test: system venv
	@$(BIN)/ruff check --quiet surveykit tests benchmarks
	@$(BIN)/ruff format --check --quiet surveykit tests benchmarks
	@$(BIN)/mypy --no-error-summary
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/run.py
