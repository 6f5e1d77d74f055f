"""What collectors share, each written once: the Collector base class and its errors
(`collector`), bounded non-blocking file readers (`files`), Go-compatible number parsing
(`numbers`), node_exporter's device filter (`filters`), metric families (`families`), netlink
framing (`netlink`) and the Prometheus text format parser (`textformat`)."""
