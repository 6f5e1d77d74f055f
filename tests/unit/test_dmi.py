from pyexporter.collectors.dmi import dmi_labels, read_dmi
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


def test_dmi_values_are_sys_read_file(tmp_path) -> None:
    # DMIClass reads each file with util.SysReadFile: one 128-byte read, strings.TrimSpace.
    (tmp_path / "product_name").write_text("P" * 150 + "\n")
    (tmp_path / "bios_vendor").write_text("\u00a0Vendor \n")
    labels = dmi_labels(read_dmi(str(tmp_path)))
    assert labels == {"product_name": "P" * 128, "bios_vendor": "Vendor"}
