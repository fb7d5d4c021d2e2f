"""The flow's locust gates: run one, and when it fails, its control on the serving colour.

A failed gate is judged against a control (rollout/verify/control.py): the same gate against
the colour that serves, at the same time (gate key control = "during") or right after it
failed ("after"). Inconclusive (the control failed as badly) -> wait the
gate's retry_after_s and run gate and control once more when the caller allows a retry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from rollout.outcome import Outcome
from rollout.targets.base import LoadRequest, Route, Target
from rollout.verify import control
from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadResult, LoadSpec
from rollout.verify.verdict import Status, Verdict


class GateRunner:
    """Runs the flow's gates on a target and files every run in the outcome."""

    def __init__(
        self,
        target: Target,
        gates: dict[str, GateConfig],
        load: tuple[LoadSpec, dict[str, str]],
        outcome: Outcome,
        console: Console,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.target, self.gates, self.outcome, self.console = target, gates, outcome, console
        self.load, self.env = load
        self.sleep = sleep or time.sleep

    def judged(self, name: str, route: Route, control_route: Route, retry: bool) -> Verdict:
        """Run a gate; on failure its control; on inconclusive, once more after a pause."""
        cfg = self.gates[name]
        verdict = self._attempt(cfg, route, control_route)
        if verdict.status is not Status.INCONCLUSIVE or not retry:
            return verdict
        self.console.print(
            f"  [yellow]?[/] {escape(verdict.summary)}; retrying in {cfg.retry_after_s:g}s"
        )
        self.sleep(cfg.retry_after_s)
        return self._attempt(dataclasses.replace(cfg, name=f"{name}_retry"), route, control_route)

    def _attempt(self, cfg: GateConfig, route: Route, control_route: Route) -> Verdict:
        # Its own name: its artefacts (locust-NAME_control.*) sit beside the gate's.
        ctl_cfg = dataclasses.replace(cfg, name=f"{cfg.name}_control")
        if cfg.control == "during":
            # A fault of a few seconds (a Redis restart) is over before a control run after
            # the gate would start: only a control at the same time sees it too.
            result, ctl = self._beside(cfg, route, ctl_cfg, control_route)
            if result.passed or result.no_verdict:
                return result.verdict
        else:
            result = self.run(cfg, route)
            if result.passed or result.no_verdict:
                return result.verdict
            ctl = self.run(ctl_cfg, control_route)
        verdict = control.judge(result, ctl, cfg)
        verdict.reasons += top_errors(result)
        self.outcome.verdicts.append(verdict)
        mark = "[yellow]?" if verdict.status is Status.INCONCLUSIVE else "[red]✗"
        self.console.print(f"  {mark}[/] {escape(verdict.check)}: {escape(verdict.summary)}")
        return verdict

    def users(self, seen: Verdict, post: Verdict) -> Verdict:
        """File and print what users saw after the switch, read beside the post-switch gate."""
        if seen.status is Status.FAILED and post.status is Status.INCONCLUSIVE:
            seen.status = Status.INCONCLUSIVE  # users' errors while the old colour failed too
        self.outcome.verdicts.append(seen)
        mark = "[green]✓" if seen.passed else "[red]✗"
        self.console.print(f"  {mark}[/] users of the new colour: {escape(seen.summary)}")
        return seen

    def _beside(
        self, cfg: GateConfig, route: Route, ctl_cfg: GateConfig, control_route: Route
    ) -> tuple[LoadResult, LoadResult]:
        """Run the gate here and its control in a thread, both at once."""
        cancel, done = threading.Event(), queue.Queue[LoadResult]()

        def control() -> None:
            try:
                done.put(self.run(ctl_cfg, control_route, False, cancel))
            except Exception as exc:  # a control that cannot run proves nothing either way
                done.put(LoadResult.crashed(ctl_cfg.name, f"control did not run: {exc}", -1))

        # Daemon: an interrupted rollout never waits on a control that does not return.
        worker = threading.Thread(target=control, daemon=True)
        worker.start()
        try:
            result = self.run(cfg, route)
        except BaseException:
            cancel.set()  # Ctrl-C or a crash: the control's locust stops too
            worker.join(timeout=10)
            raise
        worker.join()
        return result, done.get_nowait()

    def run(
        self,
        cfg: GateConfig,
        route: Route,
        spinner: bool = True,
        cancel: threading.Event | None = None,
    ) -> LoadResult:
        """Run one bounded gate against a route; print and file its result."""
        out = self.outcome.report_dir
        request = LoadRequest(cfg, route, out, self.load, self.env, cancel)
        label = f"  locust {cfg.name}: {cfg.users} users for {cfg.duration_s}s"
        # One live display at a time: a concurrent control runs without its own spinner.
        with self.console.status(label) if spinner else contextlib.nullcontext():
            result = self.target.run_load(request)
        self.outcome.loads[cfg.name] = result
        m = result.measures
        self.console.print(
            f"  {'[green]✓' if result.passed else '[red]✗'}[/] {escape(cfg.name)} ({route}): "
            f"{int(m.get('num_requests', 0))} requests, {int(m.get('num_failures', 0))} failed, "
            f"p95 {m.get('p95_ms', 0):.0f} ms, p99 {m.get('p99_ms', 0):.0f} ms"
        )
        for feature, why in result.skipped_features.items():
            self.console.print(f"  [yellow]![/] skipped {feature}: {escape(why)}")
        return result


def top_errors(result: LoadResult, n: int = 2) -> list[str]:
    """Name the most frequent errors of a locust run (what made it fail)."""
    errors = sorted(result.errors, key=lambda e: -int(e["occurrences"]))[:n]
    return [f"{e['occurrences']}x {e['method']} {e['name']}: {e['error']}" for e in errors]
