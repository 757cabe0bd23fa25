# Two commands for a fresh machine: `make demo` (main job) and `make test`.
# Both install first (idempotent: seconds when already installed).
# STACK=omm21: the OpenMMLab 2.1 stack (Python 3.10, torch 2.1) in its own
# venv, tested on tests/stack_subset.txt (requirements/stacks/).
STACK ?= main
ifeq ($(STACK),main)
VENV ?= .venv
TESTS ?= tests
else
VENV ?= .venv-$(STACK)
TESTS ?= $(shell grep -v '^\#' tests/stack_subset.txt)
endif
PY := $(VENV)/bin/python
export PYTHONHASHSEED := 0
export STACK VENV

.PHONY: install data demo test bench clean

install:
	@bash tools/install.sh

data: install
	@$(PY) tools/prepare_demo_data.py --out data/demo

demo: install
	@bash tools/run_demo.sh $(DEMO_ARGS)

# Two workers, one thread each (a test file stays on one worker: its
# module fixtures are built once); TEST_WORKERS=0 runs the suite serially.
TEST_WORKERS ?= 2
test: install
	@echo "[test] stack $(STACK): $$($(PY) -c 'import sys, torch, mmcv, mmengine, mmdet, mmpretrain as p; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmpretrain {p.__version__}")')"
	@OMP_NUM_THREADS=1 $(PY) -m pytest $(TESTS) -q -p no:cacheprovider \
		-n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install
	@$(PY) benchmarks/supernet_step.py
	@$(PY) benchmarks/search_throughput.py
	@$(PY) benchmarks/search_cost_ratio.py
	@$(PY) benchmarks/latency_table.py
	@$(PY) benchmarks/mobilenet_v2_forward.py

clean:
	rm -rf work_dirs data
