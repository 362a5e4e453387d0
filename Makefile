# segtutor task runner. Every target creates or updates the environment (.venv) first; that step is quick
# when the environment is already up to date with pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.segtutor-installed
# Tests never touch the network: the Hugging Face Hub is forced offline.
TEST_ENV := HF_HUB_OFFLINE=1 MPLBACKEND=Agg
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=300

.PHONY: help install lab notebooks test test-notebooks test-hub-real lint format data checkpoints bench clean \
	execute-notebooks finetuning-longer-run

help:
	@echo "make lab        create the environment and start JupyterLab on notebooks/"
	@echo "make notebooks  create the environment and run every notebook headless (table: name, seconds, ok/failed)"
	@echo "make test       create the environment, run ruff, the unit tests and nbval over every notebook"
	@echo "make test-notebooks  only the notebook regression tests (nbval); CI also runs them with"
	@echo "                ATEN_CPU_CAPABILITY=default, torch's other CPU kernels"
	@echo "make test-hub-real  online-mode tests against the local Hub double with real-size checkpoints (slow)"
	@echo "make data       regenerate data/toy-shapes from its seed"
	@echo "make bench      run the benchmarks in benchmarks/"
	@echo "make checkpoints  re-train the four bundled toy checkpoints (about 1 hour on 2 CPU cores)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,dev]'
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

notebooks: $(STAMP)
	$(BIN)/segtutor-run-notebooks

test: $(STAMP)
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python -m pytest tests notebooks $(NBVAL)

# The committed notebook outputs must pass on every CPU: CI runs this a second time on torch's other kernels.
test-notebooks: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest notebooks $(NBVAL)

# Online mode (tests/hub) against the local Hub double, with real-size stand-ins of the official checkpoints.
test-hub-real: $(STAMP)
	SEGTUTOR_HUB_DOUBLE_SIZE=real $(TEST_ENV) $(BIN)/python -m pytest tests/hub -v

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format segtutor tests benchmarks

data: $(STAMP)
	$(BIN)/segtutor-toyshapes --out data/toy-shapes --seed 0

# The bundled toy checkpoints: 4,000 generated ToyShapes scenes (the first 400 are data/toy-shapes/train,
# the val split is the same), the same recipe and budget for the four families, one after the other. The
# backbone: the deeper ResNet for DETR, MaskFormer and Mask2Former; EoMT is a plain ViT ("vit"), pretrained
# the same way (each pixel's class) for the same number of steps.
TOY_4000 := /tmp/toy-shapes-4000
TOY_RECIPE := --data $(TOY_4000) --pretrain-backbone-steps 1500 --steps 2000 \
	--batch-size 8 --lr 5e-4 --warmup-steps 50 --eval-every 200 --eval-images 50 --log-every 10 --seed 0 \
	--threads 2 --device cpu --no-progress

checkpoints: $(STAMP)
	test -d $(TOY_4000) || $(BIN)/segtutor-toyshapes --out $(TOY_4000) --seed 0 --train 4000 --val 100 --size 128
	for arch in mask2former maskformer detr eomt; do \
	  out=/tmp/ckpt/toy-$$arch-panoptic; rm -rf $$out; \
	  backbone=resnet-deep; notes=docs/model_cards/recipe.md; \
	  if [ $$arch = eomt ]; then backbone=vit; notes=docs/model_cards/recipe_eomt.md; fi; \
	  $(BIN)/segtutor-train --architecture $$arch --output-dir $$out --backbone $$backbone $(TOY_RECIPE) || exit 1; \
	  mkdir -p data/checkpoints/toy-$$arch-panoptic; \
	  cp $$out/config.json $$out/preprocessor_config.json $$out/training_command.json $$out/training_log.json \
	     $$out/model.safetensors data/checkpoints/toy-$$arch-panoptic/; \
	  $(BIN)/python -m segtutor.training.model_card data/checkpoints/toy-$$arch-panoptic \
	    --notes $$notes || exit 1; \
	done
	$(BIN)/python -m segtutor.comparison.build_data --threads 1 --repeats 3

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build .pytest_cache

# The longer fine-tuning run that notebook 03 shows beside its own short run (stored, so the lesson stays quick).
finetuning-longer-run: $(STAMP)
	mkdir -p build
	$(TEST_ENV) $(BIN)/papermill notebooks/03_finetuning.ipynb build/03_finetuning_longer_run.ipynb --cwd notebooks \
	  -p steps 1500 -p n_train 400 -p train_parts all -p learning_rate 5e-4 \
	  -p record_run_to $(CURDIR)/data/finetuning/star-longer-run.json

# Re-execute every notebook in place (offline, as the tests see it) so committed outputs come from a real run.
execute-notebooks: $(STAMP)
	$(TEST_ENV) $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 notebooks/*.ipynb
