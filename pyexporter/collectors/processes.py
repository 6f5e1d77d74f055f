"""processes: process and thread counts by state from /proc/[pid]/stat and /proc/[pid]/task,
as node_exporter's processes collector (collector/processes_linux.go, off by default) over
procfs's proc_stat.go (toolkit.procpid)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_bytes
from pyexporter.toolkit.numbers import read_uint_file
from pyexporter.toolkit.procpid import parse_state_and_threads


def numeric_entries(path: str) -> list[int]:
    """The pid (or tid) directories of a proc listing."""
    return sorted(int(name) for name in os.listdir(path) if name.isascii() and name.isdigit())


# A pid or thread that exits between listing and reading shows as ENOENT or ESRCH.
_VANISHED = (FileNotFoundError, ProcessLookupError, NotADirectoryError)


@collector("processes", default=False)
class ProcessesCollector(Collector[NoOptions]):
    # psutil reads one process-global PROCFS_PATH and so cannot honour this collector's procfs
    # root; the stat files are parsed directly instead.

    def collect(self) -> Iterable[Metric]:
        pids = 0
        threads = 0
        proc_states: Counter[str] = Counter()
        thread_states: Counter[str] = Counter()
        # Paths of processes and threads by f-string: thousands a scrape, each new to Paths' memo.
        root = self.paths.proc()
        for pid in numeric_entries(root):
            try:
                state, num_threads = parse_state_and_threads(read_bytes(f"{root}/{pid}/stat"))
            except _VANISHED:
                continue
            pids += 1
            proc_states[state] += 1
            threads += num_threads
            self._count_threads(root, pid, state, thread_states)

        yield GaugeMetricFamily("node_processes_threads", "Allocated threads in system", value=threads)
        max_threads = read_uint_file(self.paths.proc("sys", "kernel", "threads-max"))
        yield GaugeMetricFamily(
            "node_processes_max_threads", "Limit of threads in the system", value=max_threads
        )
        if proc_states:
            family = GaugeMetricFamily(
                "node_processes_state", "Number of processes in each state.", labels=["state"]
            )
            for state, count in sorted(proc_states.items()):
                family.add_metric([state], count)
            yield family
        if thread_states:
            family = GaugeMetricFamily(
                "node_processes_threads_state", "Number of threads in each state.", labels=["thread_state"]
            )
            for state, count in sorted(thread_states.items()):
                family.add_metric([state], count)
            yield family
        pid_max = read_uint_file(self.paths.proc("sys", "kernel", "pid_max"))
        yield GaugeMetricFamily("node_processes_pids", "Number of PIDs", value=pids)
        yield GaugeMetricFamily("node_processes_max_processes", "Number of max PIDs limit", value=pid_max)

    def _count_threads(self, root: str, pid: int, state: str, thread_states: Counter[str]) -> None:
        try:
            tids = numeric_entries(f"{root}/{pid}/task")
        except _VANISHED:
            return
        for tid in tids:
            if tid == pid:
                # The main thread's state is the process's, already read.
                thread_states[state] += 1
                continue
            try:
                thread_state, _ = parse_state_and_threads(read_bytes(f"{root}/{pid}/task/{tid}/stat"))
            except _VANISHED:
                continue
            thread_states[thread_state] += 1
