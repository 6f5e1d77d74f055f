"""pyexporter: a pure-Python drop-in replacement for Prometheus's node_exporter on Linux."""

__version__ = "0.1.0"
