import os

from pyexporter.collectors.uname import uname_labels


def test_uname_labels() -> None:
    u = os.uname_result(("Linux", "host", "6.1.0", "#1 SMP", "x86_64"))
    assert uname_labels(u, "dom") == ("Linux", "6.1.0", "#1 SMP", "x86_64", "host", "dom")
    assert uname_labels(u, None)[-1] == "(none)"
    # uname_linux.go reports utsname.Domainname as it is: one set to "" stays "".
    assert uname_labels(u, "")[-1] == ""
