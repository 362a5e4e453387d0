"""Run every notebook headless with papermill and print one line per notebook: name, seconds, ok/failed.

This is the "main job" a teacher or a CI runs: ``make notebooks`` (or ``segtutor-run-notebooks``). The
executed copies go to ``build/notebooks/``; the notebooks in ``notebooks/`` are left untouched.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NotebookResult", "run_notebooks"]


@dataclass(frozen=True)
class NotebookResult:
    """Outcome of one notebook run."""

    name: str
    seconds: float
    ok: bool
    error: str = ""

    def line(self) -> str:
        status = "ok" if self.ok else f"FAILED ({self.error})"
        return f"{self.name:<40} {self.seconds:7.1f} s  {status}"


def run_notebooks(
    notebooks: list[Path],
    output_dir: Path,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    cell_timeout: int = 600,
) -> list[NotebookResult]:
    """Execute ``notebooks`` one by one with papermill; a failure does not stop the others.

    Parameters
    ----------
    notebooks : list of Path
        Notebook files to execute, in order.
    output_dir : Path
        Where the executed copies are written (created if needed).
    parameters : dict, optional
        Papermill parameters injected into every notebook's ``parameters`` cell.
    kernel_name : str
        Jupyter kernel to use.
    cell_timeout : int
        Seconds one cell may run.

    Returns
    -------
    list of NotebookResult
    """
    import papermill

    output_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for path in notebooks:
        start = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(path),
                str(output_dir / path.name),
                parameters=parameters or {},
                kernel_name=kernel_name,
                cwd=str(path.parent),
                progress_bar=False,
                execution_timeout=cell_timeout,
            )
            result = NotebookResult(path.name, time.perf_counter() - start, True)
        except Exception as err:  # report every failure, keep going
            first_line = (str(err).strip().splitlines() or [type(err).__name__])[-1][:160]
            result = NotebookResult(path.name, time.perf_counter() - start, False, first_line)
        print(result.line(), flush=True)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (``segtutor-run-notebooks``)."""
    from segtutor.paths import repo_root

    parser = argparse.ArgumentParser(
        description="Execute segtutor's notebooks headless and print a result table."
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--output-dir", type=Path, default=repo_root() / "build" / "notebooks")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="papermill parameter for every notebook, e.g. -p seed 1 (values parsed as Python literals)",
    )
    args = parser.parse_args(argv)
    import ast

    params = {}
    for name, value in args.parameter:
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name] = value
    paths = args.notebooks or sorted((repo_root() / "notebooks").glob("*.ipynb"))
    print(f"{'notebook':<40} {'time':>9}  result", flush=True)
    results = run_notebooks(paths, args.output_dir, params)
    failed = [r for r in results if not r.ok]
    total = sum(r.seconds for r in results)
    print(
        f"{len(results) - len(failed)} ok, {len(failed)} failed, {total:.0f} s in all; "
        f"executed copies in {args.output_dir}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
