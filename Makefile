# One-command set-up, demo and tests. Every target first runs the (idempotent, cached) set-up.
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DATA ?= data/demo_shapes

.PHONY: setup demo demo-text demo-pixpro demo-dito demo-dreamlip demo-uclip test demo-space2

setup:
	bash tools/setup_env.sh

demo: setup
	$(PY) tools/demo.py --data $(DEMO_DATA) --work-dir work_dirs/demo

demo-text: setup
	OMP_NUM_THREADS=2 $(PY) tools/text/demo_supcon.py --work-dir work_dirs/text_demo

demo-space2: setup
	OMP_NUM_THREADS=2 $(PY) tools/text/demo_space2.py --seeds 0 1 --work-dir work_dirs/space2_demo

demo-pixpro: setup
	OMP_NUM_THREADS=1 $(PY) tools/demo_pixpro.py --data $(DEMO_DATA) --work-dir work_dirs/demo_pixpro

demo-dito: setup
	OMP_NUM_THREADS=2 $(PY) tools/demo_dito.py --data $(DEMO_DATA) --work-dir work_dirs/dito_demo

demo-dreamlip: setup
	OMP_NUM_THREADS=1 $(PY) tools/demo_dreamlip.py --data $(DEMO_DATA) --work-dir work_dirs/demo_dreamlip

demo-uclip: demo-dreamlip
	OMP_NUM_THREADS=1 $(PY) tools/demo_uclip.py --data $(DEMO_DATA) --work-dir work_dirs/demo_uclip \
		--clip-checkpoint work_dirs/demo_dreamlip/clip_seed0/iter_300.pth

# MOFI: I2E labels from noisy alt-texts, CLIP vs MOFI recipes over 2 seeds (configs/mofi/README.md)
.PHONY: demo-mofi
demo-mofi: setup
	OMP_NUM_THREADS=1 $(PY) tools/demo_mofi.py --work-dir work_dirs/demo_mofi

# one pytest worker per core (pytest-xdist), one thread each: the tiny models gain nothing from intra-op threads
test: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest tests -n auto

# text_align: SupReMix on the Lee document ratings; RTD vs RTD + contrastive from a tiny random encoder
.PHONY: demo-supremix demo-rtd
demo-supremix: setup
	OMP_NUM_THREADS=1 $(PY) tools/text/demo_supremix.py --work-dir work_dirs/supremix_demo

demo-rtd: setup
	OMP_NUM_THREADS=1 $(PY) tools/text/demo_rtd.py --work-dir work_dirs/rtd_demo

.PHONY: demo-bprop
# B-PROP on the Lee corpus: sampled word sets, re-ranking with and without B-PROP pre-training (configs/text/bprop/README.md)
demo-bprop: setup
	OMP_NUM_THREADS=2 $(PY) tools/text/demo_bprop.py --work-dir work_dirs/bprop_demo
