"""Loaded scenarios, runtime additions per namespace, and reloads that keep the last good set."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.domain.loading import ScenarioFileError
from mockserver.domain.scenarios import ScenarioSet

DEFAULT_NAMESPACE = "default"
# What a namespace may be (X-Dqe-Namespace, ?namespace= on admin calls): an ASCII letter or
# digit, then up to 63 letters, digits, `.`, `_`, `:` or `-`. A client cannot make the mock
# keep long or non-text names with every token and session.
NAMESPACE_RULE = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
NAMESPACE_PATTERN = re.compile(NAMESPACE_RULE.strip("^$"))


def valid_namespace(name: str) -> bool:
    """Does `name` follow NAMESPACE_RULE?"""
    return NAMESPACE_PATTERN.fullmatch(name) is not None


@dataclass(frozen=True)
class ReloadReport:
    """The outcome of the latest reload."""

    ok: bool
    generation: int
    errors: str = ""


class ScenarioRegistry:
    """Files' scenarios (base) plus runtime layers, one per namespace, over them."""

    def __init__(self, base: ScenarioSet, loader: Callable[[], ScenarioSet] | None = None) -> None:
        self.base = base
        self._loader = loader
        self._runtime: dict[str, ScenarioSet] = {}
        self._views: dict[str, ScenarioSet] = {}
        self.generation = 0
        self.last_reload = ReloadReport(True, 0)

    def view(self, namespace: str) -> ScenarioSet:
        """What requests of `namespace` are matched against.

        The files, then the default namespace's runtime layer (what was added without naming
        a namespace applies to everyone), then the namespace's own layer on top.
        """
        if namespace not in self._runtime:
            # No layer of its own: the default namespace's view. The cache then holds one view
            # per runtime layer, never one per X-Dqe-Namespace value a client invents.
            namespace = DEFAULT_NAMESPACE
        cached = self._views.get(namespace)
        if cached is None:
            cached = self.base
            for name in dict.fromkeys((DEFAULT_NAMESPACE, namespace)):
                layer = self._runtime.get(name)
                if layer is not None:
                    cached = cached.layered(layer)
            self._views[namespace] = cached
        return cached

    def forget_lookups(self) -> None:
        """Empty the find() memo of the files' set and of every view (ScenarioSet.find)."""
        for scenarios in (self.base, *self._views.values()):
            scenarios.forget_lookups()

    def has_faults(self) -> bool:
        """Does any file or namespace define a fault? (A cheap test on every request.)"""
        return bool(self.base.faults) or any(layer.faults for layer in self._runtime.values())

    def runtime(self, namespace: str) -> ScenarioSet:
        """The scenarios added at runtime to `namespace`."""
        return self._runtime.get(namespace, ScenarioSet())

    def namespaces(self) -> list[str]:
        """Namespaces that have runtime scenarios."""
        return sorted(self._runtime)

    def add(self, namespace: str, layer: ScenarioSet) -> None:
        """Add (or replace, by id) scenarios, licences and operators in `namespace`."""
        current = self._runtime.get(namespace, ScenarioSet())
        self._runtime[namespace] = current.layered(layer)
        self._changed()

    def replace(self, namespace: str, layer: ScenarioSet) -> None:
        """Make `layer` the whole runtime layer of `namespace`."""
        self._runtime[namespace] = layer
        self._changed()

    def remove(self, namespace: str, scenario_id: str) -> bool:
        """Remove one runtime scenario; False if `namespace` has no such scenario."""
        layer = self._runtime.get(namespace)
        if layer is None or layer.scenario(scenario_id) is None:
            return False
        self._runtime[namespace] = layer.without([scenario_id])
        self._changed()
        return True

    def reset(self, namespace: str | None = None) -> None:
        """Drop runtime scenarios: of one namespace, or of all."""
        if namespace is None:
            self._runtime.clear()
        else:
            self._runtime.pop(namespace, None)
        self._changed()

    def reload(self) -> ReloadReport:
        """Load the files again and swap them in; on any error keep serving the last good set."""
        return self.swap(self.load())

    def load(self) -> ScenarioSet | str:
        """A complete new set from the files, or the error text; changes nothing.

        Safe to run in a worker thread: the set being served is untouched until `swap`.
        """
        if self._loader is None:
            return self.base
        try:
            return self._loader()
        except ScenarioFileError as exc:
            return str(exc)
        except Exception as exc:  # a loader bug must not stop the server serving the last set
            return f"unexpected error while loading (a bug in dqe-mock): {exc!r}"

    def swap(self, loaded: ScenarioSet | str) -> ReloadReport:
        """Serve `loaded` (a set from `load`) from now on, or record why it could not be had.

        The swap is one assignment: a request sees the old set or the new one, never a mix.
        """
        if self._loader is None:
            return self.last_reload
        if isinstance(loaded, str):
            self.last_reload = ReloadReport(False, self.generation, loaded)
            return self.last_reload
        self.base = loaded
        self._changed()
        self.last_reload = ReloadReport(True, self.generation)
        return self.last_reload

    def _changed(self) -> None:
        self._views.clear()
        self.generation += 1
