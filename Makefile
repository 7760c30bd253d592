# Two commands on a fresh Debian machine with Python 3.11+:
#   make run    the embedded default: the OX SOAP emulator on http://127.0.0.1:8080
#   make test   the test suite (creates .venv and installs what it needs first)
#   make check  the static gates: ruff (lint and format), mypy --strict, import-linter
#   make demo   the connector on a demo organisation against an embedded emulator
#   make bench  the benchmarks at small sizes (CI); make bench-full at the sizes of issue 13
#   make mutation  mutation testing of the reference suite (MUTATION_ARGS="--sample 10": nightly)
#   make manual the administrator's manual (docs/manual) as HTML in build/manual
#   make reference-wsdl OX=https://<ox-host>   the reference OX WSDLs for the contract tests

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8080
STATE ?= var
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check demo bench bench-full manual venv clean reference-wsdl mutation

venv: $(STAMP)

# The product (editable, with its test tools) and, beside it, the test kit (testkit/: the
# emulator, the directory simulator, the demo), none of which goes into the product's wheel.
KIT := testkit/emulator testkit/simulator testkit/demo

$(STAMP): pyproject.toml $(addsuffix /pyproject.toml,$(KIT))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]' $(addprefix -e ,$(KIT))
	touch $(STAMP)

# The master password is generated once and kept (mode 0600) in $(STATE)/master-password.
run: $(STAMP)
	@mkdir -p $(STATE)
	@test -s $(STATE)/master-password || (umask 077; $(BIN)/python -c \
	  "import secrets; print(secrets.token_urlsafe(18))" > $(STATE)/master-password)
	@echo "master admin: oxadminmaster, password in $(STATE)/master-password"
	OX_EMULATOR_MASTER_PASSWORD="$$(cat $(STATE)/master-password)" \
	  $(BIN)/ox-emulator serve --host 127.0.0.1 --port $(PORT) --db $(STATE)/ox-emulator.sqlite

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

# Every gate runs, so that one pass shows all findings; any finding fails the target.
check: $(STAMP)
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy || status=1; \
	$(BIN)/lint-imports || status=1; \
	exit $$status

# Options through DEMO_ARGS, e.g. make demo DEMO_ARGS="--phases 1,2 --keep var/demo"
demo: $(STAMP)
	$(BIN)/python -m ox_demo $(DEMO_ARGS)

# bench runs in CI (about 2 minutes here); options of bench/speed.py through BENCH_ARGS.
bench: $(STAMP)
	$(BIN)/python bench/emulator_getdata.py
	$(BIN)/python bench/ox_client.py
	$(BIN)/python bench/soap_codec.py
	$(BIN)/python bench/speed.py $(BENCH_ARGS)

# The sizes and latencies of issue 13; not in CI (roughly 10 minutes before the speed work,
# estimated from the small runs).
bench-full: $(STAMP)
	$(BIN)/python bench/speed.py --users 1000 --contexts 2 --groups 50 \
	  --latency-ms 10 --write-latency-ms 100 --scale-users 10000 $(BENCH_ARGS)

# Mutation testing of tests/reference (ci/mutation.py; mutmut in the "mutation" extra): all
# mutants of the product packages, hours on 2 cores; MUTATION_ARGS="--sample 10" is the
# nightly-sized fixed sample. The figures per package end the output (and the README).
MUTATION_STAMP := $(VENV)/.mutation
$(MUTATION_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[mutation]'
	touch $(MUTATION_STAMP)

mutation: $(MUTATION_STAMP)
	$(BIN)/python ci/mutation.py $(MUTATION_ARGS)

# The administrator's manual; any Sphinx warning fails the build (as in CI).
MANUAL_OUT ?= build/manual
manual: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs/manual $(MANUAL_OUT)
	@echo "the manual: $(MANUAL_OUT)/index.html"

# The reference OX WSDLs (?wsdl of the six admin services of a real OX), which the contract
# tests compare the emulator with; where the tests look for them unless told otherwise.
# Standard library only: runs before `make venv`. CA=<pem> trusts a private CA.
WSDL_DIR ?= $(or $(OX_REFERENCE_WSDL_DIR),../shared/ox-wsdl)
reference-wsdl:
	@test -n "$(OX)" || { echo "usage: make reference-wsdl OX=https://<ox-host> [WSDL_DIR=$(WSDL_DIR)] [CA=<pem>]" >&2; exit 2; }
	$(PYTHON) tests/fetch_reference_wsdl.py "$(OX)" "$(WSDL_DIR)" $(if $(CA),--ca-file "$(CA)")

clean:
	rm -rf $(VENV) $(STATE) .pytest_cache .hypothesis build/manual
