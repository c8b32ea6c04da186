# One-command set-up, demo and tests. Every target first runs the (idempotent, cached) set-up.
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DATA ?= data/demo_shapes

.PHONY: setup test demo demo-pixpro demo-dito demo-mofi demo-dreamlip demo-uclip \
	demo-text demo-space2 demo-bprop demo-supremix demo-rtd

setup:
	bash tools/setup_env.sh

# one pytest worker per core (pytest-xdist), one thread each: the tiny models gain nothing from intra-op threads
test: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest tests -n auto

# --- image side: DenseCLIP (the main demo), PixPro, DITO, MOFI, DreamLIP, uCLIP (configs/<method>/README.md) ---
demo: setup
	$(PY) tools/demo.py --data $(DEMO_DATA) --work-dir work_dirs/demo

demo-pixpro: setup
	OMP_NUM_THREADS=1 $(PY) tools/demo_pixpro.py --data $(DEMO_DATA) --work-dir work_dirs/demo_pixpro

demo-dito: setup
	OMP_NUM_THREADS=2 $(PY) tools/demo_dito.py --data $(DEMO_DATA) --work-dir work_dirs/dito_demo

# I2E labels from noisy alt-texts, CLIP vs MOFI recipes over 2 seeds
demo-mofi: setup
	OMP_NUM_THREADS=1 $(PY) tools/demo_mofi.py --work-dir work_dirs/demo_mofi

demo-dreamlip: setup
	OMP_NUM_THREADS=1 $(PY) tools/demo_dreamlip.py --data $(DEMO_DATA) --work-dir work_dirs/demo_dreamlip

demo-uclip: demo-dreamlip
	OMP_NUM_THREADS=1 $(PY) tools/demo_uclip.py --data $(DEMO_DATA) --work-dir work_dirs/demo_uclip \
		--clip-checkpoint work_dirs/demo_dreamlip/clip_seed0/iter_300.pth

# --- text side (configs/text/<method>/README.md) ---
demo-text: setup
	OMP_NUM_THREADS=2 $(PY) tools/text/demo_supcon.py --work-dir work_dirs/text_demo

demo-space2: setup
	OMP_NUM_THREADS=2 $(PY) tools/text/demo_space2.py --seeds 0 1 --work-dir work_dirs/space2_demo

# B-PROP on the Lee corpus: sampled word sets, re-ranking with and without B-PROP pre-training
demo-bprop: setup
	OMP_NUM_THREADS=2 $(PY) tools/text/demo_bprop.py --work-dir work_dirs/bprop_demo

# SupReMix on the Lee document ratings; RTD vs RTD + contrastive from a tiny random encoder
demo-supremix: setup
	OMP_NUM_THREADS=1 $(PY) tools/text/demo_supremix.py --work-dir work_dirs/supremix_demo

demo-rtd: setup
	OMP_NUM_THREADS=1 $(PY) tools/text/demo_rtd.py --work-dir work_dirs/rtd_demo
