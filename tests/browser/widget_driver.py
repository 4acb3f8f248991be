"""Drive the course's explorers in a real browser the way a student does, and check each redraw.

An *explorer* is a widget shown by a code cell whose view holds an Output widget (the figure):
every ``course.widgets`` explorer, and any new one, without registering it. :func:`explorers`
finds them in an open notebook; :meth:`WidgetUnderTest.explore` operates every control it finds
in the widget's page elements (keyboard arrows on sliders, each option of dropdowns and toggle
buttons, buttons, a cell of a button grid, Play/pause/stop, an edited text area) and, after each
action, requires a *new figure* in the browser (different image data) within
:data:`REDRAW_TIMEOUT_S`, the control showing its new value, no error text in the widget and no
browser console error. It measures, in the browser, the time from the input event to the new
image, and saves a screenshot of the widget before and after every action.

A failure raises :class:`WidgetBroken` (an AssertionError) naming the widget and the action.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lab_server import NotebookPage

REDRAW_TIMEOUT_S = 15.0   # generous for a loaded 2-core CI machine; a redraw takes well under a second
# Redraw counts of the explorers in the kernel (course.widgets.core.Explorer counts them), read
# silently: they tell a render that drew the very same figure (so nothing changes in the page)
# from no render at all. The explorers are found once per kernel and kept in a builtins entry,
# outside the student's names. (issubclass(type(o), ...) rather than isinstance: isinstance on a
# weak proxy whose object is gone raises ReferenceError, and torch leaves such proxies around.)
_EXPLORERS = ("(__import__('builtins').__dict__.get('_course_browser_explorers') or "
              "__import__('builtins').__dict__.setdefault('_course_browser_explorers', [o for o in __import__('gc').get_objects() "
              "if issubclass(type(o), __import__('course.widgets.core', fromlist=['Explorer']).Explorer)]))")
REDRAWS = f"[e.redraws for e in {_EXPLORERS}]"
# Does explorer number {index} show, as its last figure, the PNG whose base64 is {png}? (the
# figure as the notebook's display formatter renders it, as the Output widget got it)
SHOWS = ("(lambda png: (png if isinstance(png, bytes) else __import__('base64').b64decode(png)) == "
         "__import__('base64').b64decode('{png}'))(get_ipython().display_formatter.format("
         f"{_EXPLORERS}[{{index}}].figure)[0].get('image/png', b''))")
TIMINGS: dict[str, list[float]] = {}  # widget name -> browser milliseconds from input to new figure
ARTIFACTS = Path(os.environ.get("COURSE_BROWSER_ARTIFACTS") or Path(__file__).parent / "artifacts")


def artifact_folder(*parts: str) -> Path:
    """An emptied screenshot folder ``ARTIFACTS/<parts>`` (e.g. ``solutions/02-downsampling``)."""
    folder = ARTIFACTS.joinpath(*parts)
    shutil.rmtree(folder, ignore_errors=True)
    return folder


class WidgetBroken(AssertionError):
    """A widget did not redraw, showed an error, or ignored a control."""


@dataclass
class Action:
    """One thing a student did, what the figure took to change (ms; None for animations)."""

    description: str
    ms: float | None = None
    screenshot: Path | None = None


# Every control of the widget, found in its page elements, tagged data-course-control=<key> so
# Python can locate it again. Groups: one control (a slider, a dropdown, a button group, ...);
# keys: one action (a slider moved once, a dropdown or toggle option picked once).
_CONTROLS_JS = r"""(root) => {
  const shown = e => e.getClientRects().length > 0;
  const labelOf = e => (e.closest('.widget-inline-hbox, .widget-toggle-buttons')
                         ?.querySelector(':scope > .widget-label')?.textContent ?? '').trim();
  const found = [], covered = new Set(), seen = {};
  const add = (kind, el, name, extra) => {
    let group = `${kind}:${name}`;
    seen[group] = (seen[group] ?? 0) + 1;
    if (seen[group] > 1) group += `#${seen[group]}`;
    el.dataset.courseControl = group;
    found.push({kind, group, key: group, shown: shown(el), ...extra});
  };
  for (const el of root.querySelectorAll('.widget-slider')) {
    const handle = el.querySelector('.noUi-handle');
    if (!handle) continue;
    add('slider', el, labelOf(handle), {min: +handle.getAttribute('aria-valuemin'),
        max: +handle.getAttribute('aria-valuemax'), value: +handle.getAttribute('aria-valuenow'),
        disabled: el.querySelector('.noUi-target')?.hasAttribute('disabled') ?? false});
    el.querySelectorAll('input, button').forEach(e => covered.add(e));
  }
  for (const el of root.querySelectorAll('.widget-dropdown select')) {
    add('dropdown', el, labelOf(el), {value: el.value, options: [...el.options].map(o => o.value),
        disabled: el.disabled});
    covered.add(el);
  }
  for (const el of root.querySelectorAll('.widget-toggle-buttons')) {
    add('toggle', el, labelOf(el), {options: [...el.querySelectorAll('button')].map(b => b.dataset.value),
        value: el.querySelector('button.mod-active')?.dataset.value ?? null,
        disabled: el.querySelector('button')?.disabled ?? false});
    el.querySelectorAll('button').forEach(e => covered.add(e));
  }
  for (const el of root.querySelectorAll('.widget-play')) {
    add('play', el, 'play', {disabled: el.querySelector('button')?.disabled ?? false});
    el.querySelectorAll('button').forEach(e => covered.add(e));
  }
  for (const el of root.querySelectorAll('.widget-gridbox')) {
    const cells = [...el.querySelectorAll('button')];
    if (!cells.length) continue;
    add('grid', el, 'cells', {cells: cells.map(b => b.title || b.textContent.trim()),
        selected: cells.findIndex(b => b.classList.contains('mod-warning') || b.classList.contains('mod-active')),
        disabled: cells.every(b => b.disabled)});
    cells.forEach(e => covered.add(e));
  }
  for (const el of root.querySelectorAll('button.widget-button')) {
    if (covered.has(el)) continue;
    add('button', el, (el.textContent.trim() || el.title), {disabled: el.disabled});
    covered.add(el);
  }
  for (const el of root.querySelectorAll('.widget-textarea textarea')) {
    add('text', el, labelOf(el), {value: el.value, disabled: el.disabled});
    covered.add(el);
  }
  for (const el of root.querySelectorAll('.widget-text input[type=number]')) {
    add('number', el, labelOf(el), {value: +el.value, min: el.min === '' ? -Infinity : +el.min,
        max: el.max === '' ? Infinity : +el.max, disabled: el.disabled});
    covered.add(el);
  }
  for (const el of root.querySelectorAll('.widget-checkbox input[type=checkbox]')) {
    add('checkbox', el, labelOf(el) || el.parentElement.textContent.trim(), {value: el.checked,
        disabled: el.disabled});
    covered.add(el);
  }
  const unknown = [...root.querySelectorAll('input, select, textarea, button')]
    .filter(e => !covered.has(e) && shown(e) && !e.closest('.widget-output'))
    .map(e => e.outerHTML.slice(0, 160));
  return {controls: found, unknown};
}"""

# Watch the figure: t0 = the first input event after arming, t1 = the first new image data.
_ARM_JS = r"""(root) => {
  const out = root.querySelector('.widget-output');
  const state = {t0: null, t1: null, before: out.querySelector('img')?.src ?? ''};
  const start = () => {
    if (state.t0 === null) state.t0 = performance.now();
    for (const type of ['pointerdown', 'keydown', 'change']) document.removeEventListener(type, start, true);
  };
  for (const type of ['pointerdown', 'keydown', 'change']) document.addEventListener(type, start, true);
  state.observer = new MutationObserver(() => {  // a new image, or no image any more (checked later)
    const img = out.querySelector('img');
    if (state.t1 === null && (img?.src ?? null) !== state.before) { state.t1 = performance.now(); state.observer.disconnect(); }
  });
  state.observer.observe(out, {childList: true, subtree: true, attributes: true, attributeFilter: ['src']});
  window.__courseRedraw = state;
}"""

_FIGURE_JS = r"""(root) => {
  const out = root.querySelector('.widget-output'), img = out?.querySelector('img');
  return {src: img?.src ?? null, loaded: !!img && img.complete && img.naturalWidth > 0,
          width: img?.naturalWidth ?? 0, height: img?.naturalHeight ?? 0, text: (out?.innerText ?? '').slice(0, 300),
          errors: [...(out?.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"],'
                    + ' [data-mime-type="application/vnd.jupyter.error"]') ?? [])].map(e => e.textContent.slice(0, 500))
                  .concat(/Traceback|Error:/.test(out?.textContent ?? '') ? [out.textContent.slice(0, 500)] : []),
          broken: [...root.querySelectorAll('.jupyter-widgets-error-widget')].map(e => e.textContent.slice(0, 300))};
}"""


@dataclass
class WidgetUnderTest:
    """The explorer shown by code cell ``cell`` of an open notebook."""

    notebook: NotebookPage
    cell: int
    tag: str
    name: str
    screenshots: Path | None = None
    actions: list[Action] = field(default_factory=list)
    timeout_s: float = REDRAW_TIMEOUT_S  # how long a redraw may take before the widget counts as broken

    @property
    def page(self):
        return self.notebook.page

    @property
    def root(self):
        """The widget's top element (tagged by :func:`explorers`)."""
        return self.page.locator(f"[data-course-explorer='{self.tag}']")

    # -- what the widget shows ------------------------------------------------------------

    def figure(self) -> dict:
        return self.root.evaluate(_FIGURE_JS)

    def text(self) -> str:
        """The text of the widget's HTML lines (its explanations)."""
        return " ".join(self.root.locator(".widget-html-content").all_inner_texts())

    def controls(self) -> list[dict]:
        return self.root.evaluate(_CONTROLS_JS)["controls"]

    def control(self, group: str):
        """The control ``group`` (e.g. ``"slider:stride"``), tagged afresh: controls may be rebuilt."""
        self.controls()
        return self.root.locator(f"[data-course-control={json.dumps(group)}]")

    def check_rendered(self, action: str = "after the cell ran") -> None:
        """The figure is a loaded image and nothing in the widget reports an error."""
        figure = self.figure()
        if not figure["loaded"]:
            raise WidgetBroken(f"{self.name}: {action}: no figure shown (image missing or not loaded); "
                               f"the figure's place shows {figure['text']!r}")
        problems = figure["errors"] + [f"widget failed to display: {t}" for t in figure["broken"]]
        problems += [f"browser console: {m}" for m in self.notebook.console]
        if problems:
            raise WidgetBroken(f"{self.name}: {action}: " + "; ".join(problems))

    def shoot(self, label: str) -> Path | None:
        if self.screenshots is None:
            return None
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"cell{self.tag}-{len(self.actions):02d}-{_slug(label)}.png"
        self.root.screenshot(path=str(path), animations="disabled")
        return path

    # -- acting ---------------------------------------------------------------------------

    def act(self, description: str, do, timed: bool = True) -> Action:
        """Run ``do()`` (the student's input), wait for a new figure and a quiet kernel, check the
        widget; record the browser time from input to new image (if ``timed``) and a screenshot."""
        self.root.scroll_into_view_if_needed()
        redraws = self._redraws()
        self.root.evaluate(_ARM_JS)
        do()
        outcome = self._wait_for_new_figure(redraws)
        if outcome != "new":
            if outcome == "none":
                raise WidgetBroken(f"{self.name}: {description}: the figure did not change within "
                                   f"{self.timeout_s:.0f} s (the widget stopped redrawing)")
            if outcome == "lost":
                self.check_rendered(description)
                raise WidgetBroken(f"{self.name}: {description}: the explorer drew a new figure, "
                                   "but the page does not show it")
            description += " (redrawn: the same figure)"
            timed = False
        t0, t1 = self.page.evaluate("() => [window.__courseRedraw.t0, window.__courseRedraw.t1]")
        self.page.wait_for_function("() => { const img = document.querySelector("
                                    f"'[data-course-explorer=\"{self.tag}\"] .widget-output img');"
                                    " return !img || img.complete; }")
        self.notebook.wait_idle()
        self.page.wait_for_timeout(50)  # let the last state messages of this change reach the page
        self.check_rendered(description)
        action = Action(description, t1 - t0 if (timed and t0 is not None) else None)
        if action.ms is not None:
            TIMINGS.setdefault(self.name, []).append(action.ms)
        self.actions.append(action)
        action.screenshot = self.shoot(description)
        return action

    def _wait_for_new_figure(self, redraws: int) -> str:
        """'new' once the page shows a new figure; 'same' if the explorer rendered (its kernel-side
        redraw count grew) a figure identical to the one the page shows; 'lost' if it rendered one
        the page does not show; 'none' if nothing happened within ``timeout_s``. The silent request
        that reads the count queues behind the control's message in the kernel, so it sees that
        message handled."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # (a module without Playwright imports)

        changed = "() => window.__courseRedraw.t1 !== null"
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.page.evaluate(changed):
                return "new"
            grown = [k for k, (now, then) in enumerate(zip(self._redraws(), redraws)) if now > then]
            if grown:
                try:  # rendered: its figure, if new, is on its way
                    self.page.wait_for_function(changed, timeout=2000)
                    return "new"
                except PlaywrightTimeout:
                    src = self.figure()["src"] or ""
                    png = src.split("base64,", 1)[-1] if "base64," in src else ""
                    shown = self.notebook.kernel_value(SHOWS.format(index=grown[0], png=png))
                    return "same" if shown == "True" else "lost"
            self.page.wait_for_timeout(100)
        return "none"

    def _redraws(self) -> list[int]:
        return json.loads(self.notebook.kernel_value(REDRAWS))

    def slide(self, group: str, key: str = "ArrowRight") -> Action:
        """Focus the slider's handle and press an arrow key: the value moves one step."""
        before, up = self._find(group)["value"], key == "ArrowRight"
        handle = self.control(group).locator(".noUi-handle")
        action = self.act(f"{group} {before:g} {'up' if up else 'down'}",
                          lambda: (handle.focus(), self.page.keyboard.press(key)))
        after = self._find(group)["value"]
        shown = float(self.control(group).locator(".widget-readout").inner_text().strip())
        if (after > before) != up or after == before or abs(shown - after) > 1e-6 * max(1.0, abs(after)):
            raise WidgetBroken(f"{self.name}: {action.description}: the slider moved from {before:g} to {after:g} "
                               f"and shows {shown:g}, expected a value {'above' if up else 'below'} {before:g}")
        return action

    def select(self, group: str, option: str) -> Action:
        action = self.act(f"{group} = {option}", lambda: self.control(group).select_option(value=option))
        shown = self.control(group).input_value()
        if shown != option:
            raise WidgetBroken(f"{self.name}: {action.description}: the dropdown shows {shown!r}, expected {option!r}")
        return action

    def toggle(self, group: str, option: str) -> Action:
        button = self.control(group).locator(f"button[data-value={json.dumps(option)}]")
        action = self.act(f"{group} = {unquote(option)}", button.click)
        if "mod-active" not in (button.get_attribute("class") or ""):
            raise WidgetBroken(f"{self.name}: {action.description}: the button {option!r} is not shown as selected")
        return action

    def click_cell(self, group: str, title: str) -> Action:
        """Click the grid button titled ``title``; it must be shown selected afterwards."""
        action = self.act(f"click {title}", self.control(group).locator(f"button[title={json.dumps(title)}]").click)
        button = self.control(group).locator(f"button[title={json.dumps(title)}]")
        if not re.search(r"mod-(warning|active)", button.get_attribute("class") or ""):
            raise WidgetBroken(f"{self.name}: {action.description}: the clicked cell is not shown as selected")
        return action

    def press(self, group: str) -> Action:
        return self.act(f"click {group}", self.control(group).click)

    def edit(self, group: str) -> Action:
        """Change the first digit of a text area (grids of numbers) and leave it, as a student would."""
        area = self.control(group)
        old = area.input_value()
        match = re.search(r"\d", old)
        new = old[:match.start()] + str((int(match.group()) + 1) % 10) + old[match.end():] if match else old + " 1"
        area.fill(new)
        action = self.act(f"{group}: edit", lambda: self.page.keyboard.press("Tab"))
        if self.control(group).input_value() != new:
            raise WidgetBroken(f"{self.name}: {action.description}: the text area lost the edit")
        return action

    def type_number(self, group: str) -> Action:
        """Type the next number (the previous one at the maximum) into a number box and press Enter."""
        control = self._find(group)
        new = control["value"] + 1 if control["value"] < control["max"] else control["value"] - 1
        box = self.control(group)
        box.fill(f"{new:g}")
        action = self.act(f"{group} = {new:g}", lambda: box.press("Enter"))
        if float(self.control(group).input_value()) != new:
            raise WidgetBroken(f"{self.name}: {action.description}: the number box shows "
                               f"{self.control(group).input_value()!r}, expected {new:g}")
        return action

    def tick(self, group: str) -> Action:
        return self.act(f"{group}: toggle", self.control(group).click)

    def play(self, group: str) -> list[Action]:
        """Play (the animation must redraw), pause, then stop (back to the first frame: a redraw)."""
        buttons = self.control(group).locator("button")
        started = self.act(f"{group}: play", buttons.nth(0).click, timed=False)
        buttons.nth(0).click()  # pause
        self.notebook.wait_idle()
        self.page.wait_for_timeout(200)
        return [started, self.act(f"{group}: stop", buttons.nth(1).click)]

    def _find(self, group: str) -> dict:
        for control in self.controls():
            if control["group"] == group:
                return control
        raise WidgetBroken(f"{self.name}: no control {group!r}")

    # -- the generic student ----------------------------------------------------------------

    def explore(self) -> list[Action]:
        """Operate every visible, enabled control, in rounds: each round does one action per control
        (the next option of each dropdown and button group, one step of each slider, ...), so that
        controls that only appear for some settings are reached too. Returns what was done."""
        self.check_rendered()
        before = self.actions[:]
        if not before:
            self.shoot("before")
        unknown = self.root.evaluate(_CONTROLS_JS)["unknown"]
        if unknown:
            raise WidgetBroken(f"{self.name}: the browser driver does not know how to operate: {unknown}")
        done = {f"{c['group']}={c['value']}" for c in self.controls() if c["kind"] in ("dropdown", "toggle")}
        while True:
            used: set[str] = set()
            while (step := self._next(done, used)) is not None:
                control, key = step
                done.add(key)
                used.add(control["group"])
                self._operate(control, key)
            if self._next(done, set()) is None:
                break
        if len(self.actions) == len(before):
            raise WidgetBroken(f"{self.name}: found no control to operate")
        return self.actions[len(before):]

    def _next(self, done: set[str], used: set[str]) -> tuple[dict, str] | None:
        for control in self.controls():
            if control["group"] in used or not control["shown"] or control["disabled"]:
                continue
            for key in _keys(control):
                if key not in done:
                    return control, key
        return None

    def _operate(self, control: dict, key: str) -> None:
        group, kind = control["group"], control["kind"]
        if kind == "slider":
            self.slide(group, "ArrowRight" if control["value"] < control["max"] else "ArrowLeft")
        elif kind in ("dropdown", "toggle"):
            (self.select if kind == "dropdown" else self.toggle)(group, key.split("=", 1)[1])
        elif kind == "grid":
            cells = control["cells"]
            self.click_cell(group, cells[-1] if control["selected"] != len(cells) - 1 else cells[0])
        elif kind == "button":
            self.press(group)
        elif kind == "text":
            self.edit(group)
        elif kind == "number":
            self.type_number(group)
        elif kind == "checkbox":
            self.tick(group)
        elif kind == "play":
            self.play(group)


def _keys(control: dict) -> list[str]:
    """The actions a control offers: each option other than the current one, or one action."""
    if control["kind"] in ("dropdown", "toggle"):  # the options after the current one, cyclically
        options = control["options"]
        start = options.index(control["value"]) + 1 if control["value"] in options else 0
        return [f"{control['group']}={o}" for o in options[start:] + options[:start] if o != control["value"]]
    if control["kind"] == "slider" and control["min"] == control["max"]:
        return []  # a one-value slider (e.g. the only output position) cannot move
    return [control["group"]]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def explorers(notebook: NotebookPage, screenshots: Path | None = None, stop: int | None = None) -> list[WidgetUnderTest]:
    """Every explorer shown by cells ``[0, stop)`` of the open notebook, named '<lesson> cell N: <code>'."""
    found = notebook.page.evaluate(r"""(stop) => {
        const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')].slice(0, stop ?? undefined);
        const model = jupyterapp.shell.currentWidget.content.model.cells;
        return cells.flatMap((cell, i) => [...cell.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets')]
            .filter(view => !view.parentElement.closest('.widget-output') && view.querySelector('.widget-output'))
            .map((view, k) => {
                view.dataset.courseExplorer = `${i}-${k}`;
                return [i, `${i}-${k}`, model.get(i).sharedModel.getSource().trim().split('\n')[0]];
            }));
    }""", stop)
    stem = Path(notebook.path).parent.name
    return [WidgetUnderTest(notebook, index, tag, f"{stem} cell {index}: {source[:60]}", screenshots)
            for index, tag, source in found]


def timing_line(name: str, times: list[float]) -> str:
    """A line of the summary: a widget, how many actions were timed, their median and max browser ms."""
    return f"{name:<72} {len(times):3d} actions, median {statistics.median(times):5.0f} ms, max {max(times):5.0f} ms"
