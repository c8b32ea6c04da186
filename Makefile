# One-command set-up, demo and tests. Every target first runs the (idempotent, cached) set-up.
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DATA ?= data/demo_shapes
DEMO_SEG_CONFIG := configs/baselines/semfpn_r18-w16_fpn_1xb8-1600it_demo-shapes-64x64.py

.PHONY: setup demo test

setup:
	bash tools/setup_env.sh

demo: setup
	$(PY) tools/data/generate_demo_shapes.py --out $(DEMO_DATA)
	$(PY) tools/train.py $(DEMO_SEG_CONFIG) --work-dir work_dirs/demo_semfpn

test: setup
	$(PY) -m pytest tests
