# Build Your Database Skill. Every target sets itself up on a fresh clone (Python >= 3.11 and make).
#   make lab        JupyterLab on the lessons (SQLite; nothing else to start)   LAB_ARGS="--port 9999"
#   make test       the kit's test suite but the slow tests (PostgreSQL too when TEST_DATABASE_URL is set)
#   make test-slow  the slow tests (CI runs both)
#   make check L=L05, make watch L=L05, make hint E=L05.create_task LEVEL=2, make progress,
#   make export-skill [DEST=dir]
#   make runs L=L05 does your lesson notebook run from the top in a fresh kernel? (nbval)
#   make lessons    regenerate lessons/ from solutions/ with nbgrader (instructors)
#   make nbval-record  re-record the expected outputs of the solutions' # NBVAL_CHECK_OUTPUT cells
#                   (SQLite, and PostgreSQL when TEST_DATABASE_URL is set; L=L05 for one lesson)
#   make autograde  grade every submitted/<student>/<lesson>/ notebook into the gradebook, in parallel
#                   (instructors; COURSE_DIR=dir, default this repository; JOBS=n; GRADE_ARGS="--lesson L05";
#                   SCHEDULER=tcp://host:8786 grades on a Dask cluster, docs/instructor.md)
#   make feedback   feedback/<student>/<lesson>/<lesson>.html from those results (no grader source)
#   make grades     grades/grades.csv and grades/grades.png for the class

SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader runs the `alembic` command when it creates its gradebook: keep the venv's bin/ on PATH.
export PATH := $(BIN):$(PATH)
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
LESSON_DIRS := $(notdir $(wildcard solutions/L*))
# loadgroup keeps tests that share one expensive fixture (tests/instructor's graded class) on one worker.
PYTEST_ARGS ?= -n 2 --dist loadgroup
# `make test` leaves out the tests marked slow (kernels, nbgrader, a hub, a browser, the PostgreSQL copies of
# the graders' cases) to stay under fifteen minutes; `make test-slow` runs those; CI runs both.
TEST_MARKS ?= not slow
COURSE := $(if $(COURSE_DIR),--course $(COURSE_DIR))

.PHONY: setup lab test test-slow check watch runs hint progress lessons nbval-record autograde feedback grades export-skill verify-skill dev-check lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3 --version)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

# The learner's lab: jupyter-learner/ (first on JUPYTER_CONFIG_PATH) turns off nbgrader's instructor
# UI (Create Assignment, Formgrader, Validate); the check cells are the learner's check.
# Instructors run .venv/bin/jupyter lab without it. Root (containers, cloud workspaces) needs
# --allow-root, or Jupyter refuses to start.
lab: setup
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter-learner$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH)) \
		$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/lessons \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "$(TEST_MARKS)"

test-slow: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m slow

check: setup
	@test -n "$(L)" || { echo "usage: make check L=L05"; exit 2; }
	@$(BIN)/skillbook check $(L)

watch: setup
	@test -n "$(L)" || { echo "usage: make watch L=L05"; exit 2; }
	@$(BIN)/skillbook watch $(L)

runs: setup
	@test -n "$(L)" || { echo "usage: make runs L=L05"; exit 2; }
	$(BIN)/skillbook runs $(L)

hint: setup
	@test -n "$(E)" || { echo "usage: make hint E=L05.create_task [LEVEL=2]"; exit 2; }
	@$(BIN)/skillbook hint $(E) $(if $(LEVEL),--level $(LEVEL))

lessons: setup
	@for lesson in $(LESSON_DIRS); do \
		$(BIN)/nbgrader generate_assignment $$lesson --force --log-level=WARN || exit 1; done

nbval-record: setup
	$(BIN)/skillbook dev record-outputs $(L)

autograde: setup
	$(BIN)/skillbook grade-class $(COURSE) $(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(GRADE_ARGS)

feedback: setup
	$(BIN)/skillbook feedback $(COURSE)

grades: setup
	$(BIN)/skillbook grades $(COURSE)

verify-skill: setup
	$(BIN)/skillbook verify-skill $(DIR)

export-skill: setup
	@$(BIN)/skillbook export-skill $(if $(DEST),--dest $(DEST))

progress: setup
	@$(BIN)/skillbook progress

dev-check: setup
	$(BIN)/skillbook dev check

# Refresh requirements.lock after changing a pin in pyproject.toml.
lock: setup
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) dist .pytest_cache gradebook.db
