"""Flags: node_exporter's names and forms, and one clear line with exit 2 for bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from pyexporter.cli import main, parse_args
from pyexporter.collectors import OFF_BY_DEFAULT, load_all
from pyexporter.flags import parse_duration
from pyexporter.settings import ConfigError, ListenAddress, parse_listen_address


def test_defaults_match_node_exporter() -> None:
    settings = parse_args([])
    assert settings.listen_addresses == (ListenAddress(None, 9100),)
    assert settings.telemetry_path == "/metrics"
    assert settings.max_requests == 40
    assert settings.paths.procfs == "/proc"
    assert settings.paths.udev_data == "/run/udev/data"
    registry = load_all()
    assert set(settings.enabled_collectors) == {n for n, spec in registry.items() if spec.default_enabled}
    assert "loadavg" in settings.enabled_collectors


def test_equals_and_space_forms_and_repeats() -> None:
    settings = parse_args(["--web.listen-address=127.0.0.1:1", "--web.listen-address", "[::1]:2", "--port", "3"])
    assert settings.listen_addresses == (
        ListenAddress("127.0.0.1", 1),
        ListenAddress("::1", 2),
        ListenAddress(None, 3),
    )
    assert str(settings.listen_addresses[1]) == "[::1]:2"


def test_collector_toggles() -> None:
    settings = parse_args(["--collector.disable-defaults", "--collector.loadavg"])
    assert settings.enabled_collectors == ("loadavg",)
    settings = parse_args(["--no-collector.loadavg"])
    assert "loadavg" not in settings.enabled_collectors
    settings = parse_args(["--collector.loadavg=false"])
    assert "loadavg" not in settings.enabled_collectors


def test_collector_option_flags_are_converted() -> None:
    settings = parse_args(["--collector.stat.softirq", "--collector.vmstat.fields=^pg"])
    assert settings.collector_options["stat"].softirq is True
    assert settings.collector_options["vmstat"].fields == re.compile("^pg")
    assert parse_args([]).collector_options["stat"].softirq is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["--web.max-requests=many"], "--web.max-requests: invalid int value"),
        (["--log.level=loud"], "--log.level: invalid choice"),
        (["--path.procfs=/does/not/exist"], "--path.procfs: '/does/not/exist' is not a directory"),
        (["--collector.vmstat.fields=(unclosed"], "--collector.vmstat.fields: invalid regular expression"),
        (["--web.listen-address=nonsense"], "--web.listen-address: invalid address"),
        (["--web.listen-address=:99999"], "invalid port"),
        (["--web.telemetry-path=metrics"], "--web.telemetry-path must start with '/'"),
        (["--web.max-requests=-1"], "--web.max-requests must be 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("pyexporter: error: ")
    assert message in err


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert re.match(r"pyexporter, version \d+\.\d+\.\d+ \(python 3\.\d+", capsys.readouterr().out)


@pytest.mark.parametrize(
    ("text", "seconds"), [("5s", 5.0), ("1m30s", 90.0), ("500ms", 0.5), ("0", 0.0), ("1h", 3600.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_listen_address_forms() -> None:
    assert parse_listen_address(":9100") == ListenAddress(None, 9100)
    assert parse_listen_address("localhost:80") == ListenAddress("localhost", 80)
    with pytest.raises(ConfigError):
        parse_listen_address("::1:9100")


def test_mutually_exclusive_collector_flags_stop_start_up(capsys) -> None:
    code = main(["--once", "--collector.netdev.device-include=lo", "--collector.netdev.device-exclude=eth"])
    assert code == 2
    assert "mutually exclusive" in capsys.readouterr().err


def test_flag_named_outside_its_collector() -> None:
    settings = parse_args(["--collector.powersupply.ignored-supplies=^BAT"])
    assert settings.collector_options["powersupplyclass"].ignored_supplies == re.compile("^BAT")


def test_off_by_default_repeats_exactly_the_modules_declarations() -> None:
    from pyexporter.collectors import OFF_BY_DEFAULT, collector_names, load_all

    registry = load_all()
    assert sorted(registry) == collector_names()  # a collector's name is its module's
    assert {name for name, spec in registry.items() if not spec.default_enabled} == OFF_BY_DEFAULT


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        ([], []),
        (["--collector.wifi"], ["wifi"]),
        (["--no-collector.xfrm", "--collector.zoneinfo=false"], ["xfrm", "zoneinfo"]),
        (["--collector.processes.no-such-flag=2"], None),  # a flag processes does not have: exit 2
        (["--collector.qdisk.device-include=eth0"], "all"),  # qdisc's flag, under node_exporter's spelling
    ],
)
def test_only_the_off_by_default_collectors_named_are_imported(args, loaded) -> None:
    # A fresh interpreter: this one has imported every collector already.
    code = (
        "import sys, json\n"
        "from pyexporter.cli import parse_args\n"
        "from pyexporter.collectors import OFF_BY_DEFAULT\n"
        "try:\n"
        f"    settings = parse_args({args!r} + ['--path.procfs', '/proc'])\n"
        "except SystemExit as exit:\n"
        "    print(json.dumps('exit %s' % exit.code)); raise SystemExit(0)\n"
        "print(json.dumps(sorted(n for n in OFF_BY_DEFAULT if 'pyexporter.collectors.' + n in sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    if loaded is None:
        assert result == "exit 2"
    elif loaded == "all":
        assert result == sorted(OFF_BY_DEFAULT)
    else:
        assert result == loaded


def test_help_lists_the_flags_of_collectors_off_by_default() -> None:
    code = (
        "import contextlib, io\n"
        "from pyexporter.cli import parse_args\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        parse_args(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(out.getvalue())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "--collector.wifi.fixtures" in run.stdout
    assert "--collector.qdisk.device-include" in run.stdout
    assert re.search(r"--collector\.processes(?![.\w-])", run.stdout)
