"""The analyse stage's work inside worker processes: facts and whole units.

The parent plans (which units, their files, the include/ headers) and merges
the answers; the workers parse and analyse. Files are extracted first, spread
over the workers, which keep the facts they made and put them in the store;
then each unit is analysed by one worker, which reads the facts it does not
have from the store. Facts never go through the parent: only sites come back.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path

from nofsbot.analyse import outside, reclaim
from nofsbot.analyse.extract import Extractor
from nofsbot.analyse.facts import FileFacts
from nofsbot.analyse.unit import UnitResult, analyse_unit, prepare_unit
from nofsbot.cache import Store, key
from nofsbot.config import Config
from nofsbot.model import FileProblem, Occurrence

log = logging.getLogger(__name__)


def file_key(digest: str, path: str, content: bytes) -> str:
    return key("facts", digest, path, content)


def cached_facts(store: Store, extractor: Extractor, path: str, src: bytes) -> FileFacts:
    """The facts of PATH (content SRC): from STORE, or extracted and stored."""
    k = file_key(extractor.cfg.digest, path, src)
    hit = store.get(k)
    if isinstance(hit, FileFacts):
        return hit
    facts = extractor.extract(path, src)
    store.put(k, facts)
    return facts


@dataclass(frozen=True)
class UnitTask:
    unit: outside.Unit
    files: tuple[str, ...]
    # a superset of the global functions its .c files define, which the
    # grep for outside callers was given
    names: frozenset[str]
    # headers naming the names grepped for again (see UnitOutcome.missing)
    extra: dict[str, tuple[str, ...]]
    rel: tuple[str, ...]
    hazards: bool
    gated: bool
    # reclaim in other subsystems calling functions by name (the link step)
    incoming: dict[str, reclaim.Incoming] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitOutcome:
    unit: outside.Unit
    occurrences: tuple[Occurrence, ...]  # NOFS tokens of its files that are not sites
    result: UnitResult | None
    # global functions the grep was not given: search for them and run again
    missing: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Shared:
    """What every worker of one run gets."""

    cfg: Config
    tree: str
    store: Store
    known: frozenset[str]  # every file and header the run analyses
    # set once the parent has put the grep's answer (global function ->
    # headers naming it) into STORE under MENTIONED: whether it found the
    # answer or not
    grepped: Event
    mentioned: str
    names: bool  # whether there were any names to grep for
    parent: int  # the process that plans the run


class NoMentions(Exception):
    """The grep for outside callers left no answer (the parent knows why)."""


class _Worker:
    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.cfg = shared.cfg
        self.extractor = Extractor(shared.cfg)
        self.tree = Path(shared.tree)
        self.store = shared.store
        self.known = shared.known
        self.kept: dict[str, FileFacts | FileProblem] = {}
        self.child = os.getpid() != shared.parent  # a worker process, not the caller
        self._mentioned: dict[str, tuple[str, ...]] | None = None

    def mentioned(self) -> dict[str, tuple[str, ...]]:
        """The headers naming each global function, once the parent has them."""
        if self._mentioned is None:
            self.shared.grepped.wait()
            got = self.store.get(self.shared.mentioned) if self.shared.names else {}
            if not isinstance(got, dict):
                raise NoMentions(self.shared.mentioned)
            self._mentioned = got
        return self._mentioned

    def facts(self, path: str) -> FileFacts | FileProblem:
        src = (self.tree / path).read_bytes()
        try:
            return cached_facts(self.store, self.extractor, path, src)
        except Exception as e:  # one bad file never stops the run
            log.debug("extracting %s failed", path, exc_info=True)
            return FileProblem(path, 0, f"could not analyse: {type(e).__name__}: {e}")

    def load(self, path: str) -> FileFacts | FileProblem:
        """The facts of PATH: kept by this worker, or from the store, or extracted."""
        got = self.kept.get(path)
        if got is None:
            got = self.kept[path] = self.facts(path)
            if self.child:
                # facts live as long as the worker: keep the cyclic garbage
                # collector from walking them again and again (about a
                # quarter of a cold scan of fs/ otherwise)
                gc.freeze()
        return got

    def unit(self, task: UnitTask) -> UnitOutcome:
        start = time.perf_counter()
        got = self._unit(task)
        log.debug("unit %s: %.2fs", task.unit[0], time.perf_counter() - start)
        return got

    def _unit(self, task: UnitTask) -> UnitOutcome:
        mine = [f for f in map(self.load, task.files) if isinstance(f, FileFacts)]
        own = set(task.files)
        # the include/ headers this subsystem's own files include
        used = sorted({f"include/{i}" for f in mine for i in f.includes} & self.known - own)
        headers = [h for h in map(self.load, used) if isinstance(h, FileFacts)]
        occurrences = tuple(o for f in mine for o in f.occurrences)
        missing = outside.missing_names(mine, task.names)
        if missing:
            return UnitOutcome(task.unit, occurrences, None, missing)
        prog = prepare_unit(mine + headers, self.cfg)
        mentioned = {**task.extra, **self.mentioned()}
        external = outside.external_to(task.unit, mentioned)
        result = analyse_unit(
            prog,
            external,
            task.rel,
            with_hazards=task.hazards,
            gated=task.gated,
            incoming=task.incoming,
        )
        return UnitOutcome(task.unit, occurrences, result)


_WORKER: list[_Worker] = []


def init(shared: Shared) -> None:
    _WORKER[:] = [_Worker(shared)]


def extract(paths: list[str]) -> list[FileProblem | None]:
    """Load or extract PATHS and keep them in this worker; the problem of
    each that could not be analysed, else None."""
    out: list[FileProblem | None] = []
    for p in paths:
        got = _WORKER[0].load(p)
        out.append(got if isinstance(got, FileProblem) else None)
    return out


def analyse_units(tasks: list[UnitTask]) -> list[UnitOutcome]:
    return [_WORKER[0].unit(t) for t in tasks]
