"""The lessons' explorers as a learner meets them: JupyterLab 4 and Notebook 7 in headless Chromium.

For lessons 01, 02 and 03 (copies, see conftest.py), in JupyterLab: the saved output shows the static
figure before anything runs; "Run All Cells" from the Run menu runs the lesson without an error; the explorer
renders; clicking a toggle button, pressing a key on a slider and dragging a slider each give a different
picture whose title (the explorer's hidden caption) and readout say the new value; every slider track is at
least 100 px wide and every control fits in the notebook at a 1400x1000 and a 1024x768 window; no "Error
displaying widget" (nor ipywidgets' error view) in the page and no error in the browser console. Then the
same notebook, on the same kernel, in Jupyter Notebook 7: the explorer cell is run again there, renders and
responds.

Screenshots of every step go to ``build/browser/``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from segtutor.widgets._base import CAPTION_CLASS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

VIEWPORTS = {"1400x1000": (1400, 1000), "1024x768": (1024, 768)}
MIN_TRACK_PX = 100
RUN_ALL_TIMEOUT_S = 480  # lesson 03 trains (~1 min with the quick parameters on 2 cores)
REDRAW_TIMEOUT_S = 30
STABLE_S = 0.6  # a picture that has not changed for this long is the final one of a burst of redraws
#: Errors Notebook 7.6's own notebook page logs when it opens, with or without widgets: its notebook page has
#: no file browser, and a plugin reads a settings schema it lacks. They say nothing about the lessons.
NOTEBOOK7_STARTUP_ERRORS = (
    "page error: Cannot read properties of undefined (reading 'schema')",
    "page error: Command 'filebrowser:open-path' not registered.",
)


@dataclass(frozen=True)
class Step:
    """One thing a learner does to an explorer, and what the new picture's title and readout must say.

    ``how``: ``"click"`` the toggle button ``target`` of the control described ``control``; ``"key"``:
    press ``key`` on the slider ``control``; ``"drag"``: drag the slider's handle by ``fraction`` of its
    track. ``title`` is a regular expression the picture's title must match; ``{value}`` in it is replaced
    by the slider's readout after the step. ``readout`` is the slider's readout expected after the step.
    """

    name: str
    how: str
    control: str
    target: str = ""
    key: str = ""
    fraction: float = 0.0
    title: str = ""
    readout: str | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson's explorer: the cell that makes it, its header text, its first title, the steps to try."""

    notebook: str
    cell_marker: str
    header: str
    first_title: str
    steps: tuple[Step, ...]
    #: Steps on the fresh explorer of Notebook 7. No key presses there: in Notebook 7.6 (headless Chromium)
    #: an arrow key on a focused slider handle does not move it, although the same press works in JupyterLab.
    notebook7_steps: tuple[Step, ...] = field(default=())


LESSONS = {
    "01_segmentation_types": Lesson(
        "01_segmentation_types", "SegmentationTypesExplorer(", "Segmentation types explorer",
        r"^Panoptic segmentation \(ground truth\)$",
        (
            Step("task-semantic", "click", "task", target="semantic",
                 title=r"^Semantic segmentation \(ground truth\)$"),
            Step("show-prediction", "click", "show", target="prediction",
                 title=r"^Semantic segmentation \(prediction\)$"),
            Step("task-instance", "click", "task", target="instance",
                 title=r"^Instance segmentation \(prediction\)$"),
        ),
        notebook7_steps=(Step("task-semantic", "click", "task", target="semantic",
                              title=r"^Semantic segmentation \(ground truth\)$"),),
    ),
    "02_inference_mask2former": Lesson(
        "02_inference_mask2former", "PostprocessExplorer(", "Post-processing explorer",
        r"^Panoptic: \d+ segments? threshold 0\.50, mask 0\.50, overlap 0\.80$",
        (
            Step("overlap-key-left", "key", "overlap_mask_area_threshold", key="ArrowLeft",
                 title=r"^Panoptic: .* overlap 0\.75$", readout="0.75"),
            Step("threshold-drag", "drag", "threshold (class score)", fraction=0.2,
                 title=r"^Panoptic: \d+ segments? threshold {value}, "),
            Step("mask-key-right", "key", "mask_threshold", key="ArrowRight",
                 title=r"^Panoptic: .* mask 0\.55, overlap 0\.75$", readout="0.55"),
            Step("task-instance", "click", "task", target="instance", title=r"^Instance: \d+ segments? "),
            Step("task-semantic", "click", "task", target="semantic",
                 title=r"^Semantic: argmax of class x mask scores$"),
        ),
        notebook7_steps=(
            Step("threshold-drag", "drag", "threshold (class score)", fraction=0.2,
                 title=r"^Panoptic: \d+ segments? threshold {value}, mask 0\.50, overlap 0\.80$"),
            Step("task-instance", "click", "task", target="instance", title=r"^Instance: \d+ segments? "),
        ),
    ),
    "03_finetuning": Lesson(
        "03_finetuning", "DatasetBrowser(", "Dataset browser",
        r"^Sample 1: \S+ \(panoptic\): target as binary masks$",
        (
            Step("sample-key-right", "key", "sample", key="ArrowRight",
                 title=r"^Sample 2: \S+ \(panoptic\): target as binary masks$", readout="2"),
            Step("view-overlay", "click", "view", target="overlay", title=r"^Sample 2: \S+ \(panoptic\)$"),
            Step("task-semantic", "click", "task", target="semantic", title=r"^Sample 2: \S+ \(semantic\)$"),
            Step("sample-drag", "drag", "sample", fraction=0.3, title=r"^Sample {value}: \S+ \(semantic\)$"),
        ),
        notebook7_steps=(
            Step("sample-drag", "drag", "sample", fraction=0.3,
                 title=r"^Sample {value}: \S+ \(panoptic\): target as binary masks$"),
            Step("view-overlay", "click", "view", target="overlay", title=r"^Sample \d+: \S+ \(panoptic\)$"),
        ),
    ),
}

# --- what the page is asked (JavaScript run in the page) -------------------------------------------------

_PICTURE_DIGEST = """async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, "0")).join("");
}"""

_PROMPTS = """() => Array.from(document.querySelectorAll(".jp-CodeCell .jp-InputPrompt"),
                          p => p.textContent.trim())"""

_LAYOUT = """(root) => {
    const box = e => e.getBoundingClientRect();
    const area = root.closest(".jp-OutputArea-output") || root.parentElement;
    const limit = Math.min(box(area).right, window.innerWidth) + 1;
    const tracks = Array.from(root.querySelectorAll(".widget-slider"), s => ({
        label: (s.querySelector(".widget-label") || {}).textContent || "?",
        width: box(s.querySelector(".noUi-target, .slider-container") || s).width,
    }));
    const overflowing = Array.from(root.querySelectorAll(
        ".widget-slider, .widget-toggle-buttons button, .widget-checkbox, img.widget-image, .widget-html"),
        e => ({what: e.className + " " + (e.textContent || "").trim().slice(0, 40), right: box(e).right}))
        .filter(e => e.right > limit);
    return {tracks, overflowing, limit};
}"""


class ExplorerPage:
    """One browser page showing a lesson, with the waits and checks the test needs."""

    def __init__(self, page: Any, lesson: Lesson, ui: str, shots: Path, server: Any) -> None:
        self.page, self.lesson, self.ui, self.shots, self.server = page, lesson, ui, shots, server
        self.console_errors: list[str] = []
        self.shot_count = 0
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and not url.startswith(self.server.url):
            return  # an image from the web in a Markdown cell (the Colab badge): this machine is offline
        self.console_errors.append(f"{message.text} ({url})" if url else message.text)

    def where(self) -> str:
        return f"{self.ui}, {self.lesson.notebook}"

    def shot(self, what: str, element: Any = None) -> None:
        """Write a screenshot of the window (and of ``element`` when given) to ``build/browser/``."""
        self.shot_count += 1
        stem = f"{self.ui}-{self.lesson.notebook}-{self.shot_count:02d}-{what}"
        if element is not None:
            element.scroll_into_view_if_needed()
            element.screenshot(path=str(self.shots / f"{stem}-widget.png"))
        self.page.screenshot(path=str(self.shots / f"{stem}.png"))

    # --- the notebook ----------------------------------------------------------------------------------

    def widget_cell(self) -> Any:
        cell = self.page.locator(".jp-CodeCell").filter(has_text=self.lesson.cell_marker).first
        cell.wait_for(timeout=60_000)
        return cell

    def open(self, path: str) -> None:
        self.page.goto(self.server.page_url(path))
        self.page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=90_000)
        self.wait_for_kernel(timeout_s=90, what="the kernel to start")

    def kernel_state(self) -> str:
        """The execution state of this notebook's kernel, from the server (``idle``, ``busy``, ...)."""
        with urllib.request.urlopen(f"{self.server.url}/api/sessions?token={self.server.token}") as answer:
            sessions = json.load(answer)
        states = [s["kernel"]["execution_state"] for s in sessions
                  if Path(s["path"]).name == f"{self.lesson.notebook}.ipynb"]
        return states[0] if states else "no kernel"

    def wait_for_kernel(self, *, timeout_s: float, what: str) -> None:
        """Wait until the kernel is idle and no prompt shows ``[*]``, for ``STABLE_S`` without a change."""
        deadline, calm_since = time.monotonic() + timeout_s, None
        while True:
            busy = self.kernel_state() != "idle" or any("*" in p for p in self.page.evaluate(_PROMPTS))
            now = time.monotonic()
            if busy:
                calm_since = None
            elif calm_since is None:
                calm_since = now
            elif now - calm_since >= STABLE_S:
                return
            if now > deadline:
                self.shot("timeout")
                pytest.fail(f"{self.where()}: waited {timeout_s:.0f} s for {what}; kernel "
                            f"{self.kernel_state()!r}. Screenshot in {self.shots}.")
            time.sleep(0.2)

    def run_all(self) -> None:
        """Run every cell from the Run menu, wait until the kernel is done, and fail on any cell error."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator('[data-command="runmenu:run-all"]').click()
        self.page.wait_for_function(f"() => ({_PROMPTS})().some(p => /[*0-9]/.test(p))", timeout=30_000)
        self.wait_for_kernel(timeout_s=RUN_ALL_TIMEOUT_S, what="Run All Cells to finish")
        self.fail_on_cell_errors()

    def fail_on_cell_errors(self) -> None:
        """Save the notebook, then fail naming the first cell that raised or did not run."""
        path = self.server.root / f"{self.lesson.notebook}.ipynb"
        before = path.stat().st_mtime_ns
        self.page.locator(".jp-Notebook:visible").first.click(position={"x": 2, "y": 2})
        self.page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while path.stat().st_mtime_ns == before:
            if time.monotonic() > deadline:
                pytest.fail(f"{self.where()}: Ctrl+S did not save the notebook within 30 s.")
            time.sleep(0.2)
        time.sleep(0.3)  # let the write finish
        cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        for number, cell in enumerate(cells, start=1):
            source = "".join(cell["source"]).strip().splitlines()[:1]
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    pytest.fail(f"{self.where()}: code cell {number} ({source}) raised "
                                f"{output['ename']}: {output['evalue']}")
            if cell.get("execution_count") is None:
                pytest.fail(f"{self.where()}: code cell {number} ({source}) did not run with Run All Cells.")

    # --- the explorer ----------------------------------------------------------------------------------

    def explorer(self) -> Any:
        """The explorer's widget (a VBox under its header), once it is rendered with a picture."""
        header = self.page.locator(".widget-html", has_text=self.lesson.header).first
        try:
            header.wait_for(timeout=60_000)
        except Exception:
            self.shot("no-explorer")
            pytest.fail(f"{self.where()}: the explorer ({self.lesson.header!r}) did not render within 60 s; "
                        f"page says: {self.widget_errors() or 'no widget error'}")
        root = self.page.locator(".widget-vbox").filter(has=header).last
        try:
            root.locator("img.widget-image, .jupyter-widgets-error-widget").first.wait_for(timeout=30_000)
            assert not self.widget_errors()
        except Exception:
            self.shot("no-picture")
            html = header.evaluate("h => (h.closest('.jp-OutputArea-output') || h.parentElement).outerHTML")
            pytest.fail(f"{self.where()}: the explorer rendered without its picture (img.widget-image). "
                        f"Widget errors: {self.widget_errors() or 'none'}; console: "
                        f"{self.console_errors or 'none'}; HTML: {html[:1500]}")
        return root

    def widget_errors(self) -> list[str]:
        """Widgets that failed to render: "Error displaying widget" texts and ipywidgets' error views."""
        return self.page.evaluate("""() => [
            ...Array.from(document.querySelectorAll(".jp-OutputArea-output"), e => e.textContent.trim())
                .filter(t => /Error displaying widget|Error rendering|model not found/.test(t))
                .map(t => t.slice(0, 200)),
            ...Array.from(document.querySelectorAll(".jupyter-widgets-error-widget"),
                          e => "a widget view failed to render (ipywidgets' error view: "
                               + e.textContent.trim().slice(0, 100) + ")"),
        ]""")

    def picture(self, root: Any) -> dict[str, str]:
        """The explorer's picture: its ``src``, the SHA-256 of its bytes and its title."""
        image = root.locator("img.widget-image").first
        caption = root.locator(f".{CAPTION_CLASS} .widget-html-content").first
        return {"src": image.get_attribute("src") or "", "digest": image.evaluate(_PICTURE_DIGEST),
                "title": (caption.text_content() or "").strip()}

    def wait_for_new_picture(self, root: Any, old_src: str, step: str) -> dict[str, str]:
        """Wait until the picture changed and then stayed the same for ``STABLE_S``; return it."""
        image = root.locator("img.widget-image").first
        deadline, last, since = time.monotonic() + REDRAW_TIMEOUT_S, old_src, time.monotonic()
        while True:
            src = image.get_attribute("src") or ""
            now = time.monotonic()
            if src != last:
                last, since = src, now
            elif src != old_src and now - since >= STABLE_S:
                return self.picture(root)
            if now > deadline:
                self.shot(f"{step}-no-redraw", root)
                pytest.fail(f"{self.where()}: step {step!r}: the picture did not change within "
                            f"{REDRAW_TIMEOUT_S} s (no redraw reached the browser). "
                            f"Errors in the page: {self.widget_errors() or 'none'}; "
                            f"console: {self.console_errors or 'none'}")
            time.sleep(0.1)

    def slider(self, root: Any, description: str) -> Any:
        return root.locator(".widget-slider").filter(
            has=self.page.locator(".widget-label", has_text=re.compile(f"^{re.escape(description)}$"))).first

    def perform(self, root: Any, step: Step) -> str | None:
        """Do ``step``; return the slider's readout afterwards (None for a button)."""
        if step.how == "click":
            group = root.locator(".widget-toggle-buttons").filter(
                has=self.page.locator(".widget-label", has_text=re.compile(f"^{re.escape(step.control)}$")))
            group.locator("button", has_text=re.compile(f"^{re.escape(step.target)}$")).first.click()
            return None
        slider = self.slider(root, step.control)
        handle = slider.locator(".noUi-handle").first
        if step.how == "key":
            handle.click()  # as a learner does: the handle takes the focus (a click on it keeps the value)
            self.page.keyboard.press(step.key)
        elif step.how == "drag":
            track = slider.locator(".noUi-target").first.bounding_box()
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            self.page.mouse.move(x, y)
            self.page.mouse.down()
            self.page.mouse.move(x + step.fraction * track["width"], y, steps=8)
            self.page.mouse.up()
        else:
            raise ValueError(f"unknown step kind {step.how!r}")
        return self.readout(slider)

    def readout(self, slider: Any) -> str:
        return (slider.locator(".widget-readout").first.text_content() or "").strip()

    def check_step(self, root: Any, step: Step) -> None:
        """Do ``step`` and check that the picture changed and says the new value."""
        before = self.picture(root)
        old_readout = None if step.how == "click" else self.readout(self.slider(root, step.control))
        readout = self.perform(root, step)
        after = self.wait_for_new_picture(root, before["src"], step.name)
        self.shot(step.name, root)
        if step.readout is not None and readout != step.readout:
            # the readout follows the kernel's value; read it again now that the redraw arrived
            readout = self.readout(self.slider(root, step.control))
        where = f"{self.where()}: step {step.name!r}"
        assert step.readout is None or readout == step.readout, (
            f"{where}: the slider {step.control!r} reads {readout!r}, expected {step.readout!r}")
        if step.how == "drag":
            assert readout != old_readout, f"{where}: dragging left the slider at {readout!r}"
        assert after["digest"] != before["digest"], (
            f"{where}: a new picture arrived but its bytes are the same as before the step")
        expected = step.title.replace("{value}", re.escape(readout or ""))
        assert re.search(expected, after["title"]), (
            f"{where}: the picture's title is {after['title']!r}, expected it to match {expected!r}")

    def check_layout(self, root: Any, label: str) -> None:
        """At every viewport: each slider track ≥ ``MIN_TRACK_PX`` and no control beyond the output area."""
        for name, (width, height) in VIEWPORTS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            time.sleep(0.4)  # JupyterLab re-lays out the panels after a resize
            root.scroll_into_view_if_needed()
            layout = root.evaluate(_LAYOUT)
            self.shot(f"{label}-{name}", root)
            narrow = [t for t in layout["tracks"] if t["width"] < MIN_TRACK_PX]
            assert not narrow, (
                f"{self.where()} at {name}: slider tracks narrower than {MIN_TRACK_PX} px (cannot be "
                f"dragged well): " + ", ".join(f"{t['label']!r} {t['width']:.0f} px" for t in narrow))
            assert not layout["overflowing"], (
                f"{self.where()} at {name}: controls reach beyond the output area (right edge "
                f"{layout['limit']:.0f} px): {layout['overflowing']}")
        self.page.set_viewport_size({"width": VIEWPORTS["1400x1000"][0], "height": VIEWPORTS["1400x1000"][1]})

    def check_clean(self) -> None:
        errors = self.widget_errors()
        assert not errors, f"{self.where()}: widget errors in the page: {errors}"
        known = NOTEBOOK7_STARTUP_ERRORS if self.ui == "notebook7" else ()
        errors = [e for e in self.console_errors if e not in known]
        assert not errors, f"{self.where()}: errors in the browser console: {errors}"


@pytest.fixture
def open_page(chromium: Any, jupyter_server: Any, screenshot_dir: Path) -> Callable[[Lesson, str], Any]:
    """Open pages in a fresh browser context each; all are closed after the test."""
    contexts = []

    def open_one(lesson: Lesson, ui: str) -> ExplorerPage:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        return ExplorerPage(context.new_page(), lesson, ui, screenshot_dir, jupyter_server)

    yield open_one
    for context in contexts:
        context.close()


def _shut_down_kernels(server: Any) -> None:
    with urllib.request.urlopen(f"{server.url}/api/sessions?token={server.token}") as answer:
        sessions = json.load(answer)
    for session in sessions:
        request = urllib.request.Request(f"{server.url}/api/sessions/{session['id']}?token={server.token}",
                                         method="DELETE")
        urllib.request.urlopen(request).close()


@pytest.mark.parametrize("name", list(LESSONS))
def test_explorer_works_in_jupyterlab_and_notebook7(name, open_page, jupyter_server):
    lesson = LESSONS[name]
    try:
        lab = open_page(lesson, "lab")
        lab.open(f"lab/workspaces/{name}/tree/{name}.ipynb")  # a workspace of its own: only this tab
        static = lab.widget_cell().locator(".jp-OutputArea-output img").first
        try:
            static.wait_for(timeout=30_000)
        except Exception:
            pytest.fail(f"lab, {name}: before running, the explorer cell shows no picture (the saved static "
                        f"figure); it shows {lab.widget_cell().locator('.jp-OutputArea').inner_text()!r}")
        assert static.evaluate("img => img.complete && img.naturalWidth") > 100, (
            f"lab, {name}: the saved static figure of the explorer did not load")
        lab.shot("saved-figure-before-run", lab.widget_cell())

        lab.run_all()
        root = lab.explorer()
        first = lab.picture(root)
        assert re.search(lesson.first_title, first["title"]), (
            f"lab, {name}: the explorer's first picture is titled {first['title']!r}, "
            f"expected {lesson.first_title!r}")
        lab.shot("rendered", root)
        lab.check_layout(root, "layout")
        for step in lesson.steps:
            lab.check_step(root, step)
        lab.check_clean()
        lab.page.context.close()

        notebook7 = open_page(lesson, "notebook7")
        notebook7.open(f"notebooks/{name}.ipynb")
        cell = notebook7.widget_cell()
        cell.locator(".jp-InputPrompt").first.click()  # select the cell (command mode) ...
        notebook7.page.keyboard.press("Shift+Enter")  # ... and run it: a fresh explorer, drawn by Notebook 7
        notebook7.wait_for_kernel(timeout_s=60, what="the explorer cell to run")
        root = notebook7.explorer()
        notebook7.shot("rendered", root)
        notebook7.check_layout(root, "layout")
        for step in lesson.notebook7_steps:
            notebook7.check_step(root, step)
        notebook7.check_clean()
    finally:
        _shut_down_kernels(jupyter_server)
