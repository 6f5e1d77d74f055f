"""What collectors share, each written once: the Collector base class and its errors
(`collector`), bounded non-blocking file readers (`files`), Go's strconv as node_exporter calls it
(`numbers`), node_exporter's device filter (`filters`), metric families (`families`), CPU lists and
directories (`cpus`), NFS statistics parsing (`nfs`), netlink framing (`netlink`) and the
Prometheus text format parser (`textformat`)."""
