"""Do several segtutor kernels on one machine share the CPUs fairly? (issue #18)

Runs lesson 03 (through papermill, in a Jupyter kernel, with fewer training steps and validation images) or
just its fine-tuning code (``--workload recipe``), first alone, then N copies at once, for each setting.
It prints, per setting,

* ``alone``: seconds for one copy on the otherwise idle machine, and its ratio to the first setting;
* ``N at once``: seconds until the last of N simultaneous copies finished;
* ``sharing``: ``wall(N at once) / (N x wall(alone))``. 1.0 is a fair share (N copies take as long as
  running them one after another); above 1 the copies slow each other down beyond their share.

Settings: ``today`` (every kernel uses all CPUs, as before ``segtutor.runtime.share_cpus()``; the notebook
runs with ``SEGTUTOR_SHARE_CPUS=0``), ``segtutor`` (the setup cell's ``share_cpus()``: busy kernels split
the CPUs), and any environment variable given as ``env:NAME=VALUE`` (e.g. ``env:OMP_WAIT_POLICY=PASSIVE``).
Settings are interleaved (``--rounds``) so a change in the machine's speed hits all of them alike; run it on
a quiet machine (``uptime``)::

    python benchmarks/bench_sharing.py                       # today vs segtutor, N = 3, 2 rounds
    python benchmarks/bench_sharing.py --settings today segtutor env:OMP_WAIT_POLICY=PASSIVE --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_recipe(steps: int, work_dir: Path) -> None:
    """Lesson 03's recipe, shortened: generate data, load the toy, swap the head, train, evaluate."""
    import torch
    from transformers.utils import logging as transformers_logging

    from segtutor.data import ToyShapesConfig, TrainingDataset, collate_fn, open_dataset, write_toyshapes
    from segtutor.metrics import evaluate
    from segtutor.models import (
        choose_trainable_parts,
        load_for_finetuning,
        load_model,
        reuse_class_rows,
        set_class_loss_weight,
    )
    from segtutor.training import TrainConfig, seed_everything, train

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    torch.manual_seed(0)
    write_toyshapes(work_dir, seed=0, n_train=32, n_val=8, config=ToyShapesConfig(size=128, with_star=True))
    train_source = open_dataset(work_dir, "train", format="panoptic")
    val_source = open_dataset(work_dir, "val", format="panoptic")
    start = load_model("mask2former", "panoptic", source="bundled", device="cpu")
    processor = start.processor
    processor.size = {"height": 128, "width": 128}
    train_data = TrainingDataset(train_source, processor, augment=True, seed=0)
    seed_everything(0)
    model, _ = load_for_finetuning(start.checkpoint, train_data.id2label)
    known = [c.name for c in train_source.categories if c.isthing and c.name in start.model.config.label2id]
    reuse_class_rows(start.model, model, start_new_from=known)
    choose_trainable_parts(model, train="decoder")
    set_class_loss_weight(model, 10.0)
    config = TrainConfig(steps=steps, batch_size=4, learning_rate=3e-3, backbone_lr_factor=0.1,
                         warmup_steps=max(1, steps // 10), log_every=5, eval_every=steps, seed=0,
                         device="cpu")
    train(model, train_data, collate_fn, config, progress=False)
    evaluate(model, processor, val_source, task="all")


def child_main(setting: str, steps: int) -> None:
    """One kernel: apply the setting before torch loads, run the recipe."""
    if setting == "segtutor":
        from segtutor.runtime import share_cpus

        share_cpus()
    elif setting.startswith("env:"):
        name, _, value = setting[4:].partition("=")
        os.environ[name] = value
    elif setting != "today":
        raise SystemExit(f"unknown setting {setting!r}: use today, segtutor or env:NAME=VALUE")
    with tempfile.TemporaryDirectory(prefix="bench-sharing-") as folder:
        run_recipe(steps, Path(folder))


NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_finetuning.ipynb"


def notebook_command(steps: int, output: Path) -> list[str]:
    """Lesson 03 itself, run by papermill in a Jupyter kernel (its setup cell calls ``share_cpus()``)."""
    return [sys.executable, "-m", "papermill", "--no-progress-bar", "--log-level", "ERROR", str(NOTEBOOK),
            str(output), "-p", "steps", str(steps), "-p", "n_val", "16", "--cwd", str(NOTEBOOK.parent)]


def launch(setting: str, copies: int, steps: int, workload: str, busy_dir: Path) -> float:
    """Start ``copies`` kernels at once with ``setting``; seconds until the last one finished."""
    env = {k: v for k, v in os.environ.items() if k not in {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"}}
    env.update(HF_HUB_OFFLINE="1", MPLBACKEND="Agg", SEGTUTOR_BUSY_DIR=str(busy_dir))
    commands = []
    for copy in range(copies):
        if workload == "notebook":
            if setting.startswith("env:"):
                name, _, value = setting[4:].partition("=")
                env[name] = value
            elif setting == "today":
                env["SEGTUTOR_SHARE_CPUS"] = "0"  # the setup cell's share_cpus() then changes nothing
            commands.append(notebook_command(steps, busy_dir.parent / f"03-{setting}-{copy}.ipynb"))
        else:
            commands.append([sys.executable, __file__, "--child", setting, "--steps", str(steps)])
    start = time.perf_counter()
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for command in commands]
    codes = [p.wait() for p in processes]
    seconds = time.perf_counter() - start
    if any(codes):
        raise SystemExit(f"a copy with setting {setting!r} failed (exit codes {codes})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", nargs="+", default=["today", "segtutor"])
    parser.add_argument("--copies", type=int, default=3, help="N, the kernels started at once")
    parser.add_argument("--steps", type=int, default=100, help="training steps per copy")
    parser.add_argument("--workload", choices=["notebook", "recipe"], default="notebook",
                        help="notebook: lesson 03 through papermill; recipe: its training code in a script")
    parser.add_argument("--rounds", type=int, default=2, help="repetitions, interleaved; the median is used")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.steps)
        return
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average); {os.cpu_count()} CPUs; "
          f"{args.copies} copies of the {args.workload}, {args.steps} steps, {args.rounds} rounds")
    alone: dict[str, list[float]] = {s: [] for s in args.settings}
    together: dict[str, list[float]] = {s: [] for s in args.settings}
    folder = Path(tempfile.mkdtemp(prefix="bench-sharing-"))
    busy_dir = folder / "busy-kernels"  # the kernels of this benchmark count only each other
    for round_index in range(args.rounds):
        for setting in args.settings:
            alone[setting].append(launch(setting, 1, args.steps, args.workload, busy_dir))
            together[setting].append(launch(setting, args.copies, args.steps, args.workload, busy_dir))
            print(f"  round {round_index + 1} {setting:<28} alone {alone[setting][-1]:6.1f} s   "
                  f"{args.copies} at once {together[setting][-1]:6.1f} s", flush=True)
    baseline = statistics.median(alone[args.settings[0]])
    rows = []
    print(f"\n{'setting':<28} {'alone (s)':>10} {'vs ' + args.settings[0]:>10} "
          f"{f'{args.copies} at once (s)':>16} {'sharing':>8}")
    for setting in args.settings:
        one, many = statistics.median(alone[setting]), statistics.median(together[setting])
        sharing = many / (args.copies * one)
        rows.append({"setting": setting, "alone_s": one, "alone_vs_first": one / baseline,
                     "together_s": many, "sharing": sharing, "alone_runs": alone[setting],
                     "together_runs": together[setting]})
        print(f"{setting:<28} {one:10.1f} {one / baseline:9.2f}x {many:16.1f} {sharing:8.2f}")
    print("sharing = wall(N at once) / (N x wall(alone)); a fair share is 1.0, the goal is <= 1.15")
    if args.json:
        args.json.write_text(json.dumps({"copies": args.copies, "steps": args.steps, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
