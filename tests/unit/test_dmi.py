from pyexporter.collectors.dmi import dmi_labels
from pyexporter.toolkit.files import decode
from pyexporter.toolkit.files import to_valid_utf8 as valid_text


def to_valid_utf8(raw: bytes) -> str:
    return valid_text(decode(raw))


def test_invalid_bytes_become_one_replacement_per_run() -> None:
    assert to_valid_utf8(b"\xff\xfeA\x80") == "\ufffdA\ufffd"
    assert to_valid_utf8("\ufffd\x1c[\ufffd".encode()) == "\ufffd\x1c[\ufffd"
    assert to_valid_utf8(b"") == ""


def test_labels_from_files() -> None:
    labels = dmi_labels(
        {
            "sys_vendor": b"Dell Inc.\n",
            "chassis_asset_tag": b"\n",
            "chassis_type": b"23\n",
            "modalias": b"dmi:x\n",
        }
    )
    assert labels == {"system_vendor": "Dell Inc.", "chassis_asset_tag": ""}


def test_no_files() -> None:
    assert dmi_labels({}) == {}
