"""A private Docker engine for the compose tests, and the base images no registry can give us here.

No container registry is reachable from these machines, but Debian's docker.io engine runs as
root, and debootstrap builds a bookworm root filesystem from the Debian mirror apt already uses.
So the harness:

- starts its own `dockerd` (own data root, exec root, socket and pidfile; no default bridge, so
  it never touches the docker0 of an engine the machine may already run);
- debootstraps a minimal bookworm with python3, python3-venv, python3-pip and python-is-python3,
  adds the machine's CA bundle, and tags it as the image docker/Dockerfile's `FROM` names;
- builds stand-ins for `prom/prometheus` (Debian's prometheus package) and the Go builder
  (Debian's golang-go) the same way.

The project's Dockerfiles and compose.yml are used as users build them; only a test override sets
`build.network: host`. Everything is cached under CACHE_DIR (the debootstrap tarball and the
engine's data root with its images and build cache), stamped with what it was made from, so a
rerun rebuilds nothing that has not changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE_DIR = Path(os.environ.get("PYEXPORTER_TEST_CACHE", "/var/cache/pyexporter-tests"))
# Sockets live here: a unix socket path must stay under 108 bytes, which a cache path may not.
RUN_DIR = Path(os.environ.get("PYEXPORTER_TEST_RUNDIR", "/run/pyexporter-tests"))

SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "python-is-python3")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
STAMP_LABEL = "org.pyexporter.test.stamp"
DEFAULT_MIRROR = "http://deb.debian.org/debian"

# Debian services must not start while their package installs inside an image build.
_NO_SERVICES = "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d"

PROMETHEUS_STANDIN = f"""\
FROM {{base}}
RUN {_NO_SERVICES} \\
    && apt-get update -qq \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \\
    && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \\
    && mkdir -p /prometheus && chown nobody:nogroup /prometheus
# As prom/prometheus: runs as nobody in /prometheus, the binary is the entrypoint.
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
"""

GO_STANDIN = f"""\
FROM {{base}}
RUN {_NO_SERVICES} \\
    && apt-get update -qq \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go >/dev/null \\
    && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
ENV GOPATH=/go GOTOOLCHAIN=local
WORKDIR /go
"""

# Turns the debootstrapped root filesystem into what a python:3.11-slim-bookworm user expects.
BASE_FINISH = """\
FROM {rootfs}
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV LANG=C.UTF-8
CMD ["python3"]
"""


class EngineUnavailable(Exception):
    """No Docker engine could be started here: the one reason the compose tests may skip."""


def dockerfile_arg(dockerfile: Path, name: str) -> str:
    """The default of `ARG NAME=...` in DOCKERFILE, so the stand-ins follow whatever FROM names."""
    match = re.search(rf"^ARG {re.escape(name)}=(\S+)", dockerfile.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"{dockerfile} has no default for ARG {name}")
    return match.group(1)


def debian_mirror() -> str:
    """The Debian mirror apt uses for SUITE on this machine (deb822 or one-line sources)."""
    if override := os.environ.get("PYEXPORTER_DEBIAN_MIRROR"):
        return override
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        for stanza in sources.read_text().split("\n\n"):
            fields = dict(
                line.split(":", 1) for line in stanza.splitlines() if ":" in line and not line.startswith("#")
            )
            suites = fields.get("Suites", "").split()
            if SUITE in suites and "/debian-security" not in fields.get("URIs", ""):
                return fields["URIs"].split()[0]
    sources_list = Path("/etc/apt/sources.list")
    if sources_list.exists():
        for line in sources_list.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
                return parts[1]
    return DEFAULT_MIRROR


def _stamp(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Engine:
    """A dockerd of our own, and the docker / docker-compose clients pointed at it."""

    def __init__(self, cache_dir: Path = CACHE_DIR, run_dir: Path = RUN_DIR) -> None:
        self.cache_dir = cache_dir
        self.run_dir = run_dir
        self.socket = run_dir / "docker.sock"
        self.pidfile = run_dir / "docker.pid"
        self.log_path = cache_dir / "dockerd.log"
        self.proc: subprocess.Popen | None = None
        self._lock_file = None
        self._config_dir = tempfile.mkdtemp(prefix="pyexporter-docker-config-")
        # The engine's own client where there is one: newer clients default to BuildKit/buildx.
        self.docker_bin = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker") or "docker"
        self.timings: dict[str, float] = {}
        self.base_image: str | None = None
        self.base_stamp: str | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DOCKER_HOST": f"unix://{self.socket}",
            "DOCKER_CONFIG": self._config_dir,
            # The classic builder through the engine's API: needs no buildx plugin, same on 1.29 and v2.
            "DOCKER_BUILDKIT": "0",
            "COMPOSE_DOCKER_CLI_BUILD": "0",
        })
        return env

    # -- engine life cycle -------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        dockerd = shutil.which("dockerd")
        if os.geteuid() != 0:
            raise EngineUnavailable(f"a Docker engine needs root; running as uid {os.geteuid()}")
        if dockerd is None:
            raise EngineUnavailable("dockerd is not installed (apt-get install docker.io)")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        self._stop_stale()
        self.socket.unlink(missing_ok=True)
        started = time.monotonic()
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [dockerd, f"--data-root={self.cache_dir / 'docker'}", f"--exec-root={self.run_dir / 'exec'}",
             f"--host=unix://{self.socket}", f"--pidfile={self.pidfile}", "--bridge=none",
             "--log-level=warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                reason = f"dockerd exited with status {self.proc.returncode}:\n{_tail(self.log_path)}"
                self.proc = None
                self._unlock()
                raise EngineUnavailable(reason)
            probe = self.docker("version", "--format", "{{.Server.Version}}", check=False, timeout=10)
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise EngineUnavailable(f"dockerd did not answer within {timeout:.0f} s:\n{_tail(self.log_path)}")
            time.sleep(0.3)
        self.timings["engine start"] = time.monotonic() - started

    def stop(self) -> None:
        if self.proc is not None:
            # Build stages of old sources pile up as dangling images; recent ones are the build cache.
            self.docker("image", "prune", "--force", "--filter", "until=72h", check=False, timeout=120)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None
        self._unlock()
        shutil.rmtree(self._config_dir, ignore_errors=True)

    def _lock(self, timeout: float = 600.0) -> None:
        """One engine per data root: a second run of these tests waits for the first."""
        self._lock_file = open(self.cache_dir / "lock", "w")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EngineUnavailable(f"another test run holds {self.cache_dir / 'lock'}") from None
                time.sleep(1)

    def _unlock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _stop_stale(self) -> None:
        """A dockerd left by a killed earlier run (we hold the lock, so it is not a live run's)."""
        try:
            pid = int(self.pidfile.read_text().strip())
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except (OSError, ValueError):
            return
        if comm != "dockerd":
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    # -- clients -------------------------------------------------------------------------------

    def docker(self, *args: str, check: bool = True, timeout: float = 600.0,
               input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return self._run([self.docker_bin, *args], check=check, timeout=timeout, input=input, cwd=cwd)

    def compose(self, *args: str, env: Mapping[str, str] | None = None, check: bool = True,
                timeout: float = 600.0) -> subprocess.CompletedProcess:
        return self._run(["docker-compose", *args], check=check, timeout=timeout, env=env, cwd=REPO)

    def _run(self, argv: Sequence[str], *, check: bool, timeout: float, input: bytes | None = None,
             cwd: Path | None = None, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
        full_env = self.env
        full_env.update(env or {})
        result = subprocess.run(argv, capture_output=True, timeout=timeout, input=input, cwd=cwd, env=full_env)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout.decode(errors='replace')[-4000:]}\n"
                f"--- stderr\n{result.stderr.decode(errors='replace')[-4000:]}"
            )
        return result

    def image_stamp(self, tag: str) -> str | None:
        result = self.docker("image", "inspect", "--format", "{{json .Config.Labels}}", tag, check=False)
        if result.returncode != 0:
            return None
        labels = json.loads(result.stdout or b"null") or {}
        return labels.get(STAMP_LABEL)

    def build(self, tag: str, dockerfile: str, context: Mapping[str, bytes] | None = None,
              stamp: str | None = None) -> None:
        """Build TAG from DOCKERFILE text and a context of {name: content}, on the host network."""
        with tempfile.TemporaryDirectory(prefix="pyexporter-standin-") as tmp:
            for name, content in (context or {}).items():
                Path(tmp, name).write_bytes(content)
            if stamp:
                dockerfile += f'LABEL {STAMP_LABEL}="{stamp}"\n'
            Path(tmp, "Dockerfile").write_text(dockerfile)
            self.docker("build", "--network=host", "--quiet", "-t", tag, tmp)

    # -- images -------------------------------------------------------------------------------

    def ensure_base_image(self, tag: str) -> str:
        """TAG as a debootstrapped bookworm with python3 and the machine's CA bundle; its stamp."""
        rootfs_stamp = _stamp(SUITE, *BASE_PACKAGES)
        stamp = _stamp(rootfs_stamp, CA_BUNDLE.read_bytes(), BASE_FINISH)
        self.base_image, self.base_stamp = tag, stamp
        if self.image_stamp(tag) == stamp:
            return stamp
        started = time.monotonic()
        rootfs_tag = f"pyexporter-test/{SUITE}-rootfs:{rootfs_stamp}"
        if self.docker("image", "inspect", rootfs_tag, check=False).returncode != 0:
            tarball = self.cache_dir / f"{SUITE}-rootfs-{rootfs_stamp}.tar"
            if not tarball.exists():
                self._debootstrap(tarball)
            imported = time.monotonic()
            self.docker("import", str(tarball), rootfs_tag)
            self.timings["docker import"] = time.monotonic() - imported
        self.build(tag, BASE_FINISH.format(rootfs=rootfs_tag), {"ca-certificates.crt": CA_BUNDLE.read_bytes()},
                   stamp)
        self.timings[f"base image {tag}"] = time.monotonic() - started
        return stamp

    def _debootstrap(self, tarball: Path) -> None:
        debootstrap = shutil.which("debootstrap")
        if debootstrap is None:
            raise RuntimeError("debootstrap is not installed (apt-get install debootstrap)")
        started = time.monotonic()
        target = self.cache_dir / f"{SUITE}-rootfs.tmp"
        shutil.rmtree(target, ignore_errors=True)
        result = subprocess.run(
            [debootstrap, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE, str(target),
             debian_mirror()],
            capture_output=True, timeout=900,
        )
        if result.returncode != 0:
            log = _tail(target / "debootstrap" / "debootstrap.log", 30)
            raise RuntimeError(f"debootstrap failed ({result.returncode}):\n{result.stderr.decode()[-3000:]}\n{log}")
        # As Debian's official images: no package caches or lists in the image.
        for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*"):
            for path in target.glob(pattern):
                if path.is_file():
                    path.unlink()
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "--numeric-owner", "-C", str(target), "-cf", str(partial), "."], check=True,
                       timeout=300)
        partial.rename(tarball)
        shutil.rmtree(target, ignore_errors=True)
        self.timings["debootstrap"] = time.monotonic() - started

    def ensure_standin(self, tag: str, dockerfile_template: str) -> None:
        """TAG built from DOCKERFILE_TEMPLATE on our base image, unless an identical one exists."""
        assert self.base_image and self.base_stamp, "ensure_base_image first"
        dockerfile = dockerfile_template.format(base=self.base_image)
        stamp = _stamp(self.base_stamp, dockerfile)
        if self.image_stamp(tag) == stamp:
            return
        started = time.monotonic()
        self.build(tag, dockerfile, stamp=stamp)
        self.timings[f"stand-in {tag}"] = time.monotonic() - started


# -- compose ------------------------------------------------------------------------------------

# The one thing a test adds to compose.yml: builds reach PyPI/Debian through the host's network
# (the engine here has no default bridge and the sandbox no NAT).
OVERRIDE = """\
services:
  server:
    build:
      network: host
  pyexporter:
    build:
      network: host
"""


class Stack:
    """compose.yml (plus the test override) brought up under its own project name."""

    def __init__(self, engine: Engine, project: str, override_dir: Path, env: Mapping[str, str]) -> None:
        self.engine = engine
        self.project = project
        self.override = override_dir / "compose.override.test.yml"
        self.override.write_text(OVERRIDE)
        self.env = dict(env)

    def compose(self, *args: str, check: bool = True, timeout: float = 600.0) -> subprocess.CompletedProcess:
        return self.engine.compose("-p", self.project, "-f", str(REPO / "compose.yml"), "-f", str(self.override),
                                   *args, env=self.env, check=check, timeout=timeout)

    def up(self, *services: str) -> None:
        self.compose("up", "-d", "--build", *services)

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", check=False, timeout=120)

    def logs(self) -> str:
        result = self.compose("logs", "--no-color", "--tail=40", check=False, timeout=60)
        return result.stdout.decode(errors="replace")

    def container(self, service: str) -> str:
        return self.compose("ps", "-q", service).stdout.decode().strip()

    def host_pid(self, service: str) -> int:
        """The host pid of SERVICE's main process."""
        result = self.engine.docker("inspect", "--format", "{{.State.Pid}}", self.container(service))
        return int(result.stdout.decode().strip())


@contextlib.contextmanager
def running_stack(engine: Engine, project: str, override_dir: Path, env: Mapping[str, str],
                  *services: str) -> Iterator[Stack]:
    stack = Stack(engine, project, override_dir, env)
    started = time.monotonic()
    try:
        stack.up(*services)
        engine.timings[f"compose up {project}"] = time.monotonic() - started
        yield stack
    finally:
        stopped = time.monotonic()
        stack.down()
        engine.timings[f"compose down {project}"] = time.monotonic() - stopped


# -- HTTP ---------------------------------------------------------------------------------------

def http_get(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


def wait_http(url: str, timeout: float = 60.0) -> bytes:
    """The body of the first 200 from URL; a container's port answers only once its server is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return http_get(url, timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def prom_query(base: str, promql: str) -> list[dict]:
    payload = json.loads(http_get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})))
    assert payload["status"] == "success", payload
    return payload["data"]["result"]


def prom_query_range(base: str, promql: str, start: float, end: float, step: float = 1.0) -> list[dict]:
    params = urllib.parse.urlencode({"query": promql, "start": start, "end": end, "step": step})
    payload = json.loads(http_get(f"{base}/api/v1/query_range?{params}"))
    assert payload["status"] == "success", payload
    return payload["data"]["result"]


def prom_wait(base: str, promql: str, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        result = prom_query(base, promql)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)
