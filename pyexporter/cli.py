"""Command line: node_exporter's flag names -> a validated, frozen Settings."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from pyexporter import __version__
from pyexporter.collectors import OFF_BY_DEFAULT, CollectorSpec, collector_names, load
from pyexporter.flags import FlagValueError, parse_duration
from pyexporter.logs import LEVELS
from pyexporter.paths import Paths
from pyexporter.settings import ConfigError, ListenAddress, Settings, check_directory, parse_listen_address

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class _BoolFlag(argparse.Action):
    """kingpin's boolean flags: `--x`, `--no-x`, and `--x=true|false`."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        positive = option_strings[0]
        negative = "--no-" + positive[2:]
        kwargs.setdefault("default", None)
        kwargs.setdefault("metavar", "true|false")
        super().__init__([positive, negative], dest, nargs="?", **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        negated = bool(option_string and option_string.startswith("--no-"))
        if values is None:
            value = not negated
        elif str(values).lower() in _TRUE + _FALSE and not negated:
            value = str(values).lower() in _TRUE
        else:
            parser.error(f"argument {option_string}: expected no value or true/false, got {values!r}")
        setattr(namespace, self.dest, value)

    def format_usage(self) -> str:
        return f"--[no-]{self.option_strings[0][2:]}"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One readable line with exit code 2; argparse would add the whole usage block.
        self.exit(2, f"pyexporter: error: {message} (see --help)\n")


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except FlagValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _option_dest(spec: CollectorSpec[Any], flag_name: str) -> str:
    return f"option:{spec.name}:{flag_name}"


def build_parser(registry: dict[str, CollectorSpec[Any]]) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pyexporter",
        usage="pyexporter [flags]",
        description="Prometheus exporter for machine metrics, node_exporter compatible.",
        allow_abbrev=False,
    )
    web = parser.add_argument_group("web")
    web.add_argument("--web.listen-address", dest="listen", action="append", metavar="ADDR",
                     help="Address on which to expose metrics and web interface; repeatable (default :9100).")
    web.add_argument("--web.systemd-socket", dest="systemd_socket", action=_BoolFlag,
                     help="Use systemd socket activation listeners instead of port listeners (Linux only).")
    web.add_argument("--port", type=int, metavar="N", help="Short for --web.listen-address=:N.")
    web.add_argument("--web.telemetry-path", dest="telemetry_path", default="/metrics",
                     help="Path under which to expose metrics (default /metrics).")
    web.add_argument("--web.disable-exporter-metrics", dest="disable_exporter_metrics", action=_BoolFlag,
                     help="Exclude metrics about the exporter itself (process_*, python_*, promhttp_*).")
    web.add_argument("--web.max-requests", dest="max_requests", type=int, default=40, metavar="N",
                     help="Maximum number of parallel scrape requests; 0 disables the limit (default 40).")
    web.add_argument("--web.config.file", dest="web_config_file", default="", metavar="FILE",
                     help="Path to a web configuration file (exporter-toolkit format) enabling TLS, basic "
                          "auth, response headers and rate limiting; re-read when it changes.")
    web.add_argument("--web.read-header-timeout", dest="read_header_timeout", type=_duration, default=20.0,
                     metavar="DURATION",
                     help="Close a new connection that has not sent a whole request head by then (default 20s).")
    web.add_argument("--web.idle-timeout", dest="idle_timeout", type=_duration, default=150.0, metavar="DURATION",
                     help="Close a keep-alive connection idle this long between requests (default 150s).")
    web.add_argument("--web.max-connections", dest="max_connections", type=int, default=512, metavar="N",
                     help="Maximum number of open connections; more are closed as soon as they are accepted. "
                          "0 disables the limit (default 512).")

    scrape = parser.add_argument_group("scrape deadlines")
    scrape.add_argument("--scrape.timeout", dest="scrape_timeout", type=_duration, default=10.0,
                        metavar="DURATION",
                        help="Deadline of a scrape whose client sends no X-Prometheus-Scrape-Timeout-Seconds "
                             "header; by then it answers with the collectors that finished (default 10s).")
    scrape.add_argument("--scrape.timeout-margin", dest="scrape_timeout_margin", type=_duration, default=0.5,
                        metavar="DURATION",
                        help="Subtracted from the client's X-Prometheus-Scrape-Timeout-Seconds to leave time "
                             "for the answer to travel (default 0.5s; never more than half the timeout).")
    scrape.add_argument("--scrape.collector-timeout", dest="collector_timeout", type=_duration, default=0.0,
                        metavar="DURATION",
                        help="How long one collector may run in a scrape before it reports failure and "
                             "node_scrape_collector_timeout 1; 0 means until the scrape's deadline (default 0).")

    paths = parser.add_argument_group("paths")
    for root, default in (("procfs", "/proc"), ("sysfs", "/sys"), ("rootfs", "/"),
                          ("udev.data", "/run/udev/data"), ("cgroupfs", "/sys/fs/cgroup")):
        paths.add_argument(f"--path.{root}", dest=f"path_{root.replace('.', '_')}", metavar="PATH",
                           help=f"{root} mountpoint (default {default}).")

    collectors = parser.add_argument_group("collectors")
    collectors.add_argument("--collector.disable-defaults", dest="disable_defaults", action=_BoolFlag,
                            help="Set all collectors to disabled by default.")
    for spec in registry.values():
        state = "enabled" if spec.default_enabled else "disabled"
        collectors.add_argument(f"--collector.{spec.name}", dest=f"enable:{spec.name}", action=_BoolFlag,
                                help=f"Enable the {spec.name} collector (default: {state}).")
        for flag in spec.flags:
            option = f"--{spec.flag_name(flag)}"
            dest = _option_dest(spec, flag.name)
            shown = f" (default: {flag.default})" if flag.default not in ("", None, ()) else ""
            if flag.kind == "bool":
                collectors.add_argument(option, dest=dest, action=_BoolFlag, help=flag.help + shown)
            elif flag.kind == "list":
                collectors.add_argument(option, dest=dest, action="append", metavar="VALUE",
                                        help=flag.help + " Repeatable." + shown)
            else:
                collectors.add_argument(option, dest=dest, metavar="VALUE", help=flag.help + shown)

    logs = parser.add_argument_group("logging and misc")
    logs.add_argument("--log.level", dest="log_level", default="info", choices=list(LEVELS),
                      help="Only log messages with the given severity or above (default info).")
    logs.add_argument("--log.format", dest="log_format", default="logfmt", choices=["logfmt", "json"],
                      help="Output format of log messages (default logfmt).")
    logs.add_argument("--once", action="store_true",
                      help="Gather one scrape, print the text exposition to stdout and exit.")
    logs.add_argument("--version", action="version",
                      version=f"pyexporter, version {__version__} (python {platform.python_version()})")
    return parser


def _collectors_to_load(argv: Sequence[str]) -> list[str] | None:
    """The collectors whose modules the command line needs: those on by default and those it
    names; None (all of them) for --help, or for a flag outside any collector's own prefix."""
    names = set(collector_names())
    wanted = names - OFF_BY_DEFAULT
    for arg in argv:
        if arg in ("-h", "--help"):
            return None
        flag = arg.split("=", 1)[0]
        for prefix in ("--collector.", "--no-collector."):
            if flag.startswith(prefix):
                name = flag[len(prefix):].split(".", 1)[0]
                if name == "disable-defaults":
                    continue
                if name not in names:
                    return None  # e.g. qdisc's --collector.qdisk.*: let every module declare its flags
                wanted.add(name)
    return sorted(wanted)


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    """Parse and validate; argparse problems exit 2 themselves, others raise ConfigError."""
    registry = load(_collectors_to_load(sys.argv[1:] if argv is None else argv))
    args = vars(build_parser(registry).parse_args(argv))

    listen: list[ListenAddress] = [parse_listen_address(a) for a in args["listen"] or ()]
    if args["port"] is not None:
        if not 0 <= args["port"] <= 65535:
            raise ConfigError(f"--port: invalid port {args['port']}")
        listen.append(ListenAddress(None, args["port"]))

    given_paths = {key: args[f"path_{key}"] for key in ("procfs", "sysfs", "rootfs", "udev_data", "cgroupfs")}
    for key, value in given_paths.items():
        if value is not None and key != "udev_data":
            check_directory(f"path.{key}", value)
    paths = Paths(**{key: value for key, value in given_paths.items() if value is not None})

    disable_defaults = bool(args["disable_defaults"])
    enabled: list[str] = []
    options: dict[str, object] = {}
    for spec in registry.values():
        explicit = args[f"enable:{spec.name}"]
        if explicit if explicit is not None else (spec.default_enabled and not disable_defaults):
            enabled.append(spec.name)
        given = {
            flag.name: args[_option_dest(spec, flag.name)]
            for flag in spec.flags
            if args[_option_dest(spec, flag.name)] is not None
        }
        try:
            options[spec.name] = spec.options(given)
        except FlagValueError as err:
            raise ConfigError(str(err)) from None

    return Settings(
        listen_addresses=tuple(listen) or (ListenAddress(None, 9100),),
        systemd_socket=bool(args["systemd_socket"]),
        telemetry_path=args["telemetry_path"],
        disable_exporter_metrics=bool(args["disable_exporter_metrics"]),
        max_requests=args["max_requests"],
        web_config_file=args["web_config_file"],
        read_header_timeout=args["read_header_timeout"],
        idle_timeout=args["idle_timeout"],
        max_connections=args["max_connections"],
        scrape_timeout=args["scrape_timeout"],
        scrape_timeout_margin=args["scrape_timeout_margin"],
        collector_timeout=args["collector_timeout"],
        paths=paths,
        enabled_collectors=tuple(enabled),
        collector_options=options,
        log_level=args["log_level"],
        log_format=args["log_format"],
        once=args["once"],
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = parse_args(argv)
    except ConfigError as err:
        print(f"pyexporter: error: {err}", file=sys.stderr)
        return 2

    from pyexporter.server import run

    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
