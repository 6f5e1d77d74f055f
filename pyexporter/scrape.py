"""Scrapes: run the enabled collectors against a deadline, time each, and isolate their failures.

The concurrency model, the only one in pyexporter (collectors hold no locks of their own):

- Each collector has a lane: at most one run of it at a time, because collectors keep state
  between scrapes and are not written to be re-entered.
- Runs execute on worker threads. A scrape is a Job: it asks for a run of each collector it
  needs, then waits for them until its deadline without running any collector code itself, so
  nothing a collector does can hold a scrape past its deadline. For each collector:
  - lane idle: a run is queued;
  - a run queued, not yet started: the job joins it;
  - a run going on that some job still waits for: the job waits for the next run, which starts
    when that one ends and is shared by every job that asked meanwhile, so no scrape is served
    data gathered before it arrived;
  - a run going on that no job waits for any more (it outlived the deadlines of the scrapes that
    wanted it): the lane is stuck. It is not run again while that run lasts; the job reports
    the collector failed and timed out at once.
- A job gives up on a run at its deadline, or when the run has lasted the collector timeout. The
  run goes on in its thread; when it returns, its lane is idle again, so a stuck collector
  recovers by itself.
- A run that hangs holds its worker. When runs are queued, no worker is idle and every busy one
  has been in its run for longer than STALL_SECONDS without computing (over the last
  STALL_SECONDS its thread used less than a tenth of a core, or less than half of the process's
  CPU time: it waits, in a read or a lock), a waiting job starts another worker. A worker that
  computes holds the GIL, so another would only contend for it and burn CPU in the hand-offs; the
  queued runs wait for it instead. A worker that runs out of work while another is idle leaves.
  Threads therefore number at most one per stuck or slow lane plus one, whatever the number of
  scrapes.
- One lock guards every lane, run and job; no collector code runs under it. A worker takes it
  once per run (to record the run's start and end and take the next), never per sample. A job's
  `on_done` is called once, by the worker that completes it, outside the lock. A thread waiting
  for work (an idle worker) or for a job (`wait`) sleeps on a `_Wakeup` of its own, signalled under
  the lock.
"""

from __future__ import annotations

import collections
import itertools
import logging
import operator
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from typing import Any, NamedTuple

from prometheus_client.core import Metric
from prometheus_client.samples import Sample

from pyexporter.collectors import CollectorSpec, collector_names, load
from pyexporter.flags import FlagValueError, NoOptions
from pyexporter.memory import cyclic_gc_paused
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily, VerbatimFamily, exposition_names

log = logging.getLogger("pyexporter.scrape")

# How long a worker may be in one run before a waiting job starts another worker for what is
# queued behind it. Far above what a collector takes on a healthy host.
STALL_SECONDS = 0.05

# Job states: waiting; complete (every run finished in time: the worker that finished the last one
# calls on_done); cut short (given up on some run, or nothing to run: the waiter finishes it).
_WAITING, _COMPLETE, _CUT = "waiting", "complete", "cut short"

_DURATION = "node_scrape_collector_duration_seconds"
_SUCCESS = "node_scrape_collector_success"
_TIMEOUT = "node_scrape_collector_timeout"


class FilterError(ValueError):
    """A collect[]/exclude[] request naming a collector that is unknown or not enabled."""


class Outcome(NamedTuple):
    """What one collector gave one scrape."""

    families: list[Metric]
    error: str | None  # None: it succeeded
    duration: float
    timed_out: bool = False


class _Unavailable(Collector[NoOptions]):
    """Stands in for a collector whose construction failed: every scrape reports it failed."""

    def __init__(self, err: Exception) -> None:
        self.err = err

    def collect(self) -> Iterable[Metric]:
        raise CollectorError(f"collector could not start: {_describe(self.err)}")


class _Wakeup:
    """Wakes one waiting thread: `signal` ends its `wait`, or its next one if it is not waiting
    yet. `signal` is called only under the scraper's lock, so its check and release cannot race
    another signal. The thread re-checks what it waits for once awake, so a signal is never lost and an
    extra one costs a look. A Condition does the same with a new lock and a waiter list each wait.
    """

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()  # held: wait blocks until signal releases it

    def signal(self) -> None:
        if self._lock.locked():
            self._lock.release()

    def wait(self, timeout: float = -1) -> None:
        self._lock.acquire(timeout=timeout)


class _Run:
    __slots__ = ("clock", "cpu_seen", "jobs", "lane", "process_seen", "seen_at", "started")

    def __init__(self, lane: _Lane) -> None:
        self.lane = lane
        self.jobs: list[Job] = []
        self.started = 0.0  # monotonic; 0 until a worker takes it
        self.clock: int | None = None  # the CPU-time clock of the worker's thread, where there is one
        # Its thread's and the process's CPU time when a stall check last looked, and when (monotonic).
        self.cpu_seen: float | None = None
        self.process_seen = 0.0
        self.seen_at = 0.0

    def computing(self, now: float) -> bool:
        """Whether the worker computed since the last look: it used a tenth of a core at least, and
        at least half of what the whole process used (so a host too busy to give it a core does not
        make it look blocked). The first look only takes a reading, and answers True so that the
        next one decides."""
        if self.clock is None:
            return False
        try:
            cpu = time.clock_gettime(self.clock)
        except OSError:
            return False
        process = time.process_time()
        seen, process_seen, seen_at = self.cpu_seen, self.process_seen, self.seen_at
        self.cpu_seen, self.process_seen, self.seen_at = cpu, process, now
        if seen is None:
            return True
        used = cpu - seen
        return used >= (now - seen_at) / 10 and used >= (process - process_seen) / 2


class _Lane:
    __slots__ = ("abandoned", "collector", "gives_way", "labels", "name", "queued", "running", "success", "timeout")

    def __init__(self, name: str, collector: Collector[Any]) -> None:
        self.name = name
        self.collector = collector
        self.gives_way = collector.gives_way
        self.running: _Run | None = None
        self.queued: _Run | None = None
        self.abandoned = False  # its running run was given up by every scrape that wanted it
        # Its success and timeout samples take one of two values: built once, indexed by the
        # outcome. A sample is a tuple, and nothing changes a sample's labels once it is built
        # (the encoders read them; a sanitised copy is a new sample), so every scrape serves the
        # same objects it would build.
        self.labels = {"collector": name}
        self.success = (Sample(_SUCCESS, self.labels, 0.0, None), Sample(_SUCCESS, self.labels, 1.0, None))
        self.timeout = (Sample(_TIMEOUT, self.labels, 0.0, None), Sample(_TIMEOUT, self.labels, 1.0, None))


class Job:
    """One scrape's wait for its collectors. Its fields are guarded by the Scraper's lock."""

    __slots__ = ("deadline", "names", "on_done", "outcomes", "remaining", "runs", "started", "state", "wakeup")

    def __init__(self, names: Sequence[str], deadline: float, on_done: Callable[[Job], None] | None) -> None:
        self.names = names
        self.started = time.monotonic()
        self.deadline = deadline
        self.on_done = on_done
        self.outcomes: dict[str, Outcome] = {}
        self.runs: dict[str, _Run] = {}
        self.remaining = 0
        self.state = _WAITING
        self.wakeup: _Wakeup | None = None  # set while a thread waits for it in Scraper.wait

    @property
    def done(self) -> bool:
        return self.state != _WAITING

    @property
    def complete(self) -> bool:
        return self.state == _COMPLETE


class Scraper:
    """The enabled collectors, built once; scrapes run any subset of them against a deadline."""

    def __init__(
        self,
        paths: Paths,
        enabled: Sequence[str],
        options: Mapping[str, object] | None = None,
        collector_timeout: float = 0.0,
    ) -> None:
        registry = load(enabled)
        self._known = frozenset(collector_names()) | frozenset(registry)
        self.collector_timeout = collector_timeout
        options = options or {}
        self.collectors: dict[str, Collector[Any]] = {}
        for name in sorted(enabled):
            spec: CollectorSpec[Any] = registry[name]
            logger = logging.getLogger(f"pyexporter.collector.{name}")
            try:
                self.collectors[name] = spec.build(paths, options.get(name), logger, frozenset(enabled))
            except FlagValueError:
                raise  # a bad flag combination stops start-up
            except Exception as err:  # noqa: BLE001 - bad input fails this collector, never start-up
                log.error("collector could not start", extra={"kv": {"name": name, "err": _describe(err)}})
                self.collectors[name] = _Unavailable(err)
        self._lanes = {name: _Lane(name, c) for name, c in self.collectors.items()}
        self._lock = threading.Lock()
        self._parked: list[_Wakeup] = []  # idle workers, each waiting for its signal
        self._queue: collections.deque[_Run] = collections.deque()
        self._running: set[_Run] = set()
        self._waiting: set[Job] = set()
        self._workers = 0
        # Parked workers, those signalled that have not taken the lock back, and those started
        # that have not taken it yet: none of them is stalled.
        self._idle = 0
        self._finishing = 0  # workers calling on_done: busy, but about to take queued runs
        self._closed = False

    @property
    def enabled(self) -> list[str]:
        return list(self.collectors)

    def select(self, collect: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
        """The collectors a request asks for, as node_exporter's collect[]/exclude[] filters them."""
        if collect and exclude:
            raise FilterError("Combined collect and exclude queries are not allowed.")
        for name in (*collect, *exclude):
            if name not in self._known:
                raise FilterError(f"missing collector: {name}")
            if name not in self.collectors:
                raise FilterError(f"disabled collector: {name}")
        if collect:
            return sorted(set(collect))
        return [name for name in self.collectors if name not in exclude]

    # -- scrapes ---------------------------------------------------------------------------------

    def start(
        self, names: Sequence[str] | None, deadline: float, on_done: Callable[[Job], None] | None = None
    ) -> Job:
        """Ask for a run of each named collector (all enabled ones by default) for a scrape that
        ends at DEADLINE (monotonic). ON_DONE is called once if every run finishes in time."""
        job = Job(list(self.collectors) if names is None else names, deadline, on_done)
        lanes, runs = self._lanes, job.runs
        with self._lock:
            for name in job.names:
                lane = lanes[name]
                running = lane.running
                run = lane.queued
                if self._closed:
                    job.outcomes[name] = Outcome([], "the exporter is shutting down", 0.0, timed_out=True)
                    continue
                if running is not None and not running.jobs:
                    job.outcomes[name] = self._stuck(lane)
                    continue
                if run is None:
                    run = lane.queued = _Run(lane)
                    if running is None:
                        self._queue.append(run)
                    # else running for another scrape: this one needs the next run, queued when
                    # that one ends.
                run.jobs.append(job)
                runs[name] = run
                job.remaining += 1
            if job.remaining:
                self._waiting.add(job)
                if self._queue:
                    self._wake_worker()
                    self._add_worker_if_stalled()
            else:
                job.state = _CUT
        return job

    def _stuck(self, lane: _Lane) -> Outcome:
        running = lane.running
        assert running is not None
        log.debug("collector is still running from an earlier scrape; not started again until it returns",
                  extra={"kv": {"name": lane.name, "running_seconds": round(time.monotonic() - running.started, 3)}})
        return Outcome([], "still running from an earlier scrape", 0.0, timed_out=True)

    def wait(self, job: Job) -> None:
        """Block until JOB is done or its deadline has passed (then it is expired)."""
        with self._lock:
            wakeup = job.wakeup = _Wakeup()
            while not job.done:
                left = job.deadline - time.monotonic()
                if left <= 0:
                    self._expire(job)
                    break
                self._lock.release()
                try:
                    wakeup.wait(min(left, STALL_SECONDS))
                finally:
                    self._lock.acquire()
                self._check(job)

    def check(self, job: Job) -> None:
        """For a waiter that waits elsewhere (the event loop): give up on what is overdue, start a
        worker if the queued runs are stalled, expire JOB at its deadline."""
        with self._lock:
            if not job.done and time.monotonic() >= job.deadline:
                self._expire(job)
            else:
                self._check(job)

    def cancel(self, job: Job) -> None:
        """JOB's waiter is gone (the request was cancelled): give up on its runs now, so that one
        that hangs counts as stuck for the next scrapes."""
        with self._lock:
            if not job.done:
                self._expire(job)

    def _check(self, job: Job) -> None:
        if job.done:
            return
        now = time.monotonic()
        if self.collector_timeout:
            for name, run in list(job.runs.items()):
                if name not in job.outcomes and run.started and now - run.started >= self.collector_timeout:
                    self._give_up(job, run, now)
            if not job.remaining:
                self._finish(job, _CUT)
                return
        self._add_worker_if_stalled()

    def _expire(self, job: Job) -> None:
        now = time.monotonic()
        for name, run in list(job.runs.items()):
            if name not in job.outcomes:
                self._give_up(job, run, now)
        self._finish(job, _CUT)

    def _give_up(self, job: Job, run: _Run, now: float) -> None:
        name = run.lane.name
        run.jobs.remove(job)
        job.remaining -= 1
        waited = now - (run.started or job.started)
        if not run.started:
            reason = "did not start before the scrape's deadline"
        elif now >= job.deadline:
            reason = "timed out at the scrape's deadline"
        else:
            reason = "timed out at the collector timeout"
        job.outcomes[name] = Outcome([], reason, waited, timed_out=True)
        if run.started and not run.jobs:
            run.lane.abandoned = True
            log.error("collector timed out; not started again until its run returns",
                      extra={"kv": {"name": name, "duration_seconds": round(waited, 6)}})
        if not run.started and not run.jobs and run.lane.queued is run:
            run.lane.queued = None  # nobody wants it any more; a worker that pops it skips it

    def _finish(self, job: Job, state: str) -> None:
        job.state = state
        # Jobs and runs refer to each other; left to the cyclic collector, which runs rarely, the
        # scrapes' families would stay in memory long after them.
        job.runs = {}
        self._waiting.discard(job)
        if job.wakeup is not None:
            job.wakeup.signal()

    def hasten(self, deadline: float) -> None:
        """Bring every waiting scrape's deadline forward to DEADLINE at the latest."""
        with self._lock:
            for job in self._waiting:
                job.deadline = min(job.deadline, deadline)
                if job.wakeup is not None:
                    job.wakeup.signal()

    def close(self) -> list[str]:
        """Stop starting runs, end every waiting scrape now; the collectors still running (their
        threads are abandoned: a thread in a hung read cannot be stopped)."""
        with self._lock:
            self._closed = True
            for job in list(self._waiting):
                self._expire(job)
            self._queue.clear()
            while self._parked:
                self._parked.pop().signal()
            return sorted(run.lane.name for run in self._running)

    # -- workers ---------------------------------------------------------------------------------

    def _add_worker_if_stalled(self) -> None:
        if not self._queue or self._idle or self._finishing or self._closed:
            return
        now = time.monotonic()
        running = self._running
        if all(now - run.started > STALL_SECONDS for run in running) and not any(
            [run.computing(now) for run in running]  # a reading of each, for the next check
        ):
            self._workers += 1
            self._idle += 1  # until it takes the lock: no other worker is started meanwhile
            threading.Thread(target=self._work, name="pyexporter-collect", daemon=True).start()

    def _wake_worker(self) -> None:
        if self._parked:
            self._parked.pop().signal()

    def _work(self) -> None:
        finished: list[Job] = []
        wakeup = _Wakeup()
        clock = _thread_cpu_clock()
        with self._lock:
            self._idle -= 1  # counted idle since it was started
            while True:
                while not self._queue:
                    if self._idle or self._closed:
                        self._workers -= 1
                        return
                    self._idle += 1
                    self._parked.append(wakeup)
                    self._lock.release()
                    try:
                        wakeup.wait()
                    finally:
                        self._lock.acquire()
                    self._idle -= 1
                run = self._queue.popleft()
                if not run.jobs:
                    continue  # every scrape that wanted it has given up
                self._run(run, clock, finished)
                if finished:
                    self._finishing += 1
                    self._lock.release()
                    try:
                        _call_back(finished)
                    finally:
                        finished.clear()
                        self._lock.acquire()
                        self._finishing -= 1

    def _run(self, run: _Run, clock: int | None, finished: list[Job]) -> None:
        """Run RUN for its jobs, called and returning with the lock held; the jobs it completes
        that want a callback are added to FINISHED. A frame of its own, so that nothing of the run
        (its families, its jobs) stays referenced from the worker's while the worker waits."""
        lane = run.lane
        lane.queued = None
        lane.running = run
        run.started = time.monotonic()
        run.clock = clock
        self._running.add(run)
        self._lock.release()
        try:
            outcome = _execute(lane)
        finally:
            self._lock.acquire()
        self._running.discard(run)
        lane.running = None
        if lane.abandoned:
            lane.abandoned = False
            log.warning("collector returned after timing out; it runs again from the next scrape",
                        extra={"kv": {"name": lane.name, "duration_seconds": round(outcome.duration, 6)}})
        for job in run.jobs:
            job.outcomes[lane.name] = outcome
            job.remaining -= 1
            if not job.remaining:
                self._finish(job, _COMPLETE)
                if job.on_done is not None:
                    finished.append(job)
        run.jobs = []  # see _finish
        if lane.queued is not None:
            self._queue.append(lane.queued)

    # -- results ---------------------------------------------------------------------------------

    def families(self, job: Job, others: Sequence[Metric] = ()) -> list[Metric]:
        """The families of a finished or expired JOB: its collectors' (those that give way after
        every other family, OTHERS included), then their duration, success and timeout gauges."""
        duration = GaugeMetricFamily(_DURATION, "node_exporter: Duration of a collector scrape.", labels=["collector"])
        success = GaugeMetricFamily(_SUCCESS, "node_exporter: Whether a collector succeeded.", labels=["collector"])
        timeout = GaugeMetricFamily(
            _TIMEOUT,
            "pyexporter: Whether a collector did not finish by the scrape's deadline or the collector timeout.",
            labels=["collector"],
        )
        families: list[Metric] = []
        yielding: list[tuple[str, list[Metric]]] = []
        # Samples built directly: add_metric's checks cost more than the rest of this loop.
        durations, successes, timeouts = duration.samples, success.samples, timeout.samples
        lanes, outcomes = self._lanes, job.outcomes
        for name in job.names:
            outcome = outcomes[name]
            lane = lanes[name]
            if outcome.families:
                if lane.gives_way:
                    yielding.append((name, outcome.families))
                else:
                    families.extend(outcome.families)
            durations.append(Sample(_DURATION, lane.labels, outcome.duration, None))
            successes.append(lane.success[outcome.error is None])
            timeouts.append(lane.timeout[outcome.timed_out])
        families.append(duration)
        families.append(success)
        families.append(timeout)
        if yielding:
            taken = TakenNames([*families, *others])
            for name, produced in yielding:
                try:
                    families.extend(self.collectors[name].give_way(produced, taken))
                except Exception as err:  # noqa: BLE001 - stays within its collector
                    log.error("collector failed", extra={"kv": {"name": name, "err": _describe(err)}})
        return families

    def gather(self, names: Iterable[str] | None = None, timeout: float | None = None) -> list[Metric]:
        """One scrape of the named collectors (all enabled ones by default), waited for here:
        their families plus duration, success and timeout gauges."""
        deadline = time.monotonic() + (timeout if timeout is not None else 3600.0)
        with cyclic_gc_paused():
            job = self.start(None if names is None else list(names), deadline)
            self.wait(job)
            return self.families(job)

    def stuck(self) -> list[str]:
        """The collectors whose runs no scrape waits for any more."""
        with self._lock:
            return sorted(run.lane.name for run in self._running if not run.jobs)

    def thread_count(self) -> int:
        with self._lock:
            return self._workers


def _call_back(jobs: list[Job]) -> None:
    """Each of JOBS' on_done, outside the lock; in a frame of its own, as Scraper._run."""
    for job in jobs:
        assert job.on_done is not None
        try:
            job.on_done(job)
        except Exception:  # the worker must outlive a bad callback
            log.exception("scrape callback failed")


def _thread_cpu_clock() -> int | None:
    """The clock of the calling thread's CPU time, or None where the platform has none."""
    try:
        return time.pthread_getcpuclockid(threading.get_ident())
    except (AttributeError, OSError):
        return None


def _execute(lane: _Lane) -> Outcome:
    started = time.perf_counter()
    produced: list[Metric] = []
    # What failed, described, rather than the exception: kept in a local, it would make a cycle
    # (exception, traceback, this frame) that only the cyclic collector frees, with the frame's
    # families, after every scrape.
    error: str | None = None
    no_data = False
    try:
        # Family by family: as in node_exporter, what a collector gave before it failed is served.
        # A family without samples is left out: node_exporter sends metrics, never bare HELP/TYPE.
        for family in lane.collector.collect():
            if family.samples:
                produced.append(family)
    except Exception as err:  # noqa: BLE001 - any failure stays within its collector
        error, no_data = _describe(err), isinstance(err, NoDataError)
    try:
        _check_values(produced)
    except CollectorError as err:
        produced, error, no_data = [], _describe(err), False
    elapsed = time.perf_counter() - started
    if error is None:
        return Outcome(produced, None, elapsed)
    # Most hosts leave a score of collectors without data on every scrape: their line is built only
    # when debug logging would write it.
    if not no_data or log.isEnabledFor(logging.DEBUG):
        fields = {"name": lane.name, "duration_seconds": round(elapsed, 6), "err": error}
        if no_data:
            log.debug("collector returned no data", extra={"kv": fields})
        else:
            log.error("collector failed", extra={"kv": fields})
    return Outcome(produced, error, elapsed)


class TakenNames(Set[str]):
    """Every exposition name of FAMILIES, answered without listing every sample: a built-in
    family's samples are its name plus one of the suffixes its type allows."""

    _SUFFIXES: Mapping[str, tuple[str, ...]] = {
        "counter": ("_total", "_created"),
        "summary": ("_sum", "_count", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
        "info": ("_info",),
    }

    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families
        self._indexed = False  # indexed on the first question: most scrapes ask none
        self._types: dict[str, str] = {}
        self._verbatim: set[str] = set()
        self._all: set[str] | None = None

    def _index(self) -> None:
        for family in self._families:
            if isinstance(family, VerbatimFamily):
                self._verbatim.update(exposition_names(family))
            else:
                self._types.setdefault(family.name, family.type)
        self._indexed = True

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if not self._indexed:
            self._index()
        if name in self._types or name in self._verbatim:
            return True
        for suffix in ("_total", "_created", "_sum", "_count", "_bucket", "_gsum", "_gcount", "_info"):
            if name.endswith(suffix):
                kind = self._types.get(name[: -len(suffix)])
                if kind is not None and suffix in self._SUFFIXES.get(kind, ()):
                    return True
        return False

    def _names(self) -> set[str]:
        if self._all is None:
            self._all = set()
            for family in self._families:
                self._all.update(exposition_names(family))
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


_SAMPLES = operator.attrgetter("samples")
_VALUE = operator.itemgetter(2)  # Sample's value field


def _check_values(families: list[Metric]) -> None:
    """A garbage counter parsed by int() can exceed any float; encoding it would fail the whole
    exposition, so it fails its collector instead."""
    try:
        # float() of every value, in C: a scrape has hundreds of samples, nearly all fine.
        sum(map(float, map(_VALUE, itertools.chain.from_iterable(map(_SAMPLES, families)))))
    except (OverflowError, TypeError, ValueError):
        pass
    else:
        return
    for family in families:
        for sample in family.samples:
            try:
                float(sample.value)
            except (OverflowError, TypeError, ValueError):
                raise CollectorError(f"{sample.name}: value {str(sample.value)[:40]} is not a float64") from None


def _describe(err: Exception) -> str:
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
