"""Sensitivity labels from headers, Office metadata lines and labels.yaml mappings."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
import yaml

from gateway.detect import labels
from gateway.model import Finding, Location, TextChunk
from gateway.scan import ScanSettings, detect_chunks, scan_bytes

GUID = "3a5d2f0e-1b2c-4d5e-8f90-123456789abc"
SITE = "0f1e2d3c-4b5a-6978-8a9b-cdef01234567"
OTHER_SITE = "99999999-4b5a-6978-8a9b-cdef01234567"
MSIP = Location(("header[msip_labels]",))


def _msip(name: str = "Konfidentiell", bits: int = 0, enabled: str = "true", site: str = SITE) -> str:
    p = f"MSIP_Label_{GUID}_"
    return (
        f"{p}Enabled={enabled}; {p}SetDate=2026-05-02T08:00:00Z; {p}Method=Privileged; {p}Name={name}; "
        f"{p}SiteId={site}; {p}ActionId=5e6f7a8b-0000-4000-8000-000000000001; {p}ContentBits={bits}"
    )


def _run(
    text: str,
    location: Location = MSIP,
    origin: str = "header",
    settings: ScanSettings | None = None,
) -> tuple[list[Finding], list[Finding]]:
    found, below = detect_chunks([TextChunk(location, origin, text)], settings)  # type: ignore[arg-type]
    return [f for f in found if f.detector == "labels"], [f for f in below if f.detector == "labels"]


def _operator_file(tmp_path: Path, data: dict[str, object]) -> ScanSettings:
    path = tmp_path / "labels.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return ScanSettings(detectors={"labels": {"file": str(path)}})


# --- msip_labels header -------------------------------------------------------------------------------------


def test_sensitive_label_name_is_a_finding() -> None:
    found, _ = _run(_msip("Konfidentiell"))
    assert [f.sample for f in found] == ["label:Konfidentiell"]
    assert found[0].confidence == pytest.approx(0.9) and found[0].location == "header[msip_labels]"


@pytest.mark.parametrize(
    "name",
    [
        "Sekretess",
        "Confidential\\All Employees",
        "Highly Confidential",
        "Begränsad",
        "Intern sekretess",
        "Strengt fortrolig",
        "Känslig - personuppgifter",
    ],
)
def test_default_rule_names(name: str) -> None:
    found, _ = _run(_msip(name))
    assert found and found[0].sample.startswith("label:")


@pytest.mark.parametrize("name", ["Public", "Offentlig", "Öppen", "General", "Allmän", "Intern", "Internal"])
def test_public_labels_are_not_findings(name: str) -> None:
    assert _run(_msip(name)) == ([], [])


def test_encrypted_content_bit_makes_any_label_a_finding() -> None:
    found, _ = _run(_msip("General", bits=8))
    assert found and "label:encrypted" in found[0].evidence
    found, _ = _run(_msip("General", bits=0xC))  # watermark + encryption
    assert found


def test_disabled_label_is_ignored() -> None:
    assert _run(_msip("Konfidentiell", enabled="false")) == ([], [])


def test_unknown_label_is_shown_below_threshold_with_guid_prefix() -> None:
    found, below = _run(_msip("Projekt Älgen"))
    assert found == [] and below[0].sample == "label:Projekt Älgen"
    assert "label:3a5d2f0e" in below[0].evidence


def test_sublabel_name_shown_with_slash() -> None:
    found, _ = _run(_msip("Konfidentiell\\Personuppgifter"))
    assert found[0].sample == "label:Konfidentiell/Personuppgifter"


def test_folded_header_value_and_name_sanitised() -> None:
    value = _msip("Konfidentiell<script>\x07").replace("; ", ";\n ")
    found, _ = _run(value)
    assert found[0].sample == "label:Konfidentiellscript"


# --- Office metadata lines ----------------------------------------------------------------------------------


def test_custom_xml_property_lines() -> None:
    text = (
        f"ContentTypeId=0x0101\nMSIP_Label_{GUID}_Enabled=true\nMSIP_Label_{GUID}_Name=Sekretess\n"
        f"MSIP_Label_{GUID}_SiteId={SITE}\nMSIP_Label_{GUID}_ContentBits=0"
    )
    found, _ = _run(text, Location(("attachment[1] utredning.docx", "custom.xml")), "metadata")
    assert [f.sample for f in found] == ["label:Sekretess"]


def test_labelinfo_lines_without_name() -> None:
    loc = Location(("attachment[1] a.docx", "LabelInfo.xml"))
    plain = f"label id={GUID} enabled=true siteId={SITE} method=Privileged contentBits=0"
    found, below = _run(plain, loc, "metadata")
    assert found == [] and below[0].sample == f"label:{GUID[:8]}…"
    found, _ = _run(plain.replace("contentBits=0", "contentBits=8"), loc, "metadata")
    assert found and found[0].confidence == pytest.approx(0.9)
    assert _run(plain.replace("enabled=true", "enabled=false"), loc, "metadata") == ([], [])


def test_body_text_mentioning_labels_is_ignored() -> None:
    found, below = _run(_msip("Konfidentiell"), Location(("body[text/plain]",)), "body")
    assert found == [] and below == []


# --- labels.yaml mapping ------------------------------------------------------------------------------------


def test_mapping_by_guid_and_site(tmp_path: Path) -> None:
    settings = _operator_file(
        tmp_path,
        {
            "labels": [
                {"id": GUID, "site_id": SITE, "name": "K3 Personuppgifter", "confidence": 0.97},
            ]
        },
    )
    found, _ = _run(_msip("renamed by admin"), settings=settings)
    assert found[0].sample == "label:K3 Personuppgifter" and found[0].confidence == pytest.approx(0.97)
    assert "label:mapped" in found[0].evidence
    # the same GUID in another tenant is not this mapping: default rule on its name
    found, below = _run(_msip("renamed by admin", site=OTHER_SITE), settings=settings)
    assert found == [] and below


def test_mapping_marks_known_label_as_not_sensitive(tmp_path: Path) -> None:
    settings = _operator_file(tmp_path, {"labels": [{"id": "{" + GUID.upper() + "}", "finding": False}]})
    assert _run(_msip("Konfidentiell"), settings=settings) == ([], [])


def test_mapping_applies_to_labelinfo(tmp_path: Path) -> None:
    settings = _operator_file(tmp_path, {"labels": [{"id": GUID, "name": "Sekretess K2", "confidence": 0.9}]})
    text = f"label id={GUID} enabled=true siteId={SITE} method=Standard contentBits=0"
    found, _ = _run(text, Location(("attachment[1] a.xlsx", "LabelInfo.xml")), "metadata", settings)
    assert found[0].sample == "label:Sekretess K2"


def test_operator_file_keeps_bundled_keys_it_does_not_set(tmp_path: Path) -> None:
    settings = _operator_file(tmp_path, {"labels": []})
    found, _ = _run("Company-Confidential", Location(("header[sensitivity]",)), settings=settings)
    assert found  # sensitivity map still from the bundled file


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"labels": [{"id": "not-a-guid"}]}, "GUID"),
        ({"labels": [{"id": GUID, "confidence": 1.5}]}, "confidence"),
        ({"headers": [{"header": "X-Class", "pattern": "("}]}, "compile"),
        ({"headers": [{"header": "X-Class"}]}, "pattern"),
        ({"colour": "red"}, "unknown"),
        ({"labels": [{"id": GUID, "category": "nonsense"}]}, "nonsense"),
    ],
)
def test_invalid_config_is_rejected(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        labels.parse_config(data)


def test_bundled_file_is_valid() -> None:
    cfg = labels.load_config(labels.bundled_labels_file())
    assert "x-titus-metadata-40" in {h.header for h in cfg.headers}
    assert cfg.sensitivity["company-confidential"] >= 0.7
    assert labels.configured_headers() >= {"msip_labels", "sensitivity", "x-titus-metadata-40"}


def test_broken_operator_file_falls_back_to_bundled(tmp_path: Path) -> None:
    path = tmp_path / "labels.yaml"
    path.write_text("labels: [{id: nope}]\n", encoding="utf-8")
    found, _ = _run(_msip("Konfidentiell"), settings=ScanSettings(detectors={"labels": {"file": str(path)}}))
    assert found  # default rules still apply


# --- Sensitivity and classification headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reported"),
    [
        ("Company-Confidential", True),
        ("company-confidential", True),
        ("Private", False),
        ("Personal", False),
        ("Normal", False),
    ],
)
def test_sensitivity_header(value: str, reported: bool) -> None:
    found, _ = _run(value, Location(("header[sensitivity]",)))
    assert bool(found) is reported
    if reported:
        assert found[0].sample == "sensitivity:company-confidential"


def test_titus_header_pattern() -> None:
    loc = Location(("header[x-titus-metadata-40]",))
    found, _ = _run("<TitusGUID>1</TitusGUID><Classification>KONFIDENTIELL</Classification>", loc)
    assert [f.sample for f in found] == ["header:titus"]
    assert _run("<Classification>Public</Classification>", loc) == ([], [])


def test_titus_header_base64_json() -> None:
    import base64
    import json

    value = {
        "CategoryLabels": "",
        "Metadata": {
            "ns": "http://www.titus.com/ns/Company",
            "props": [{"n": "Classification", "vals": [{"value": "CONFIDENTIAL"}]}],
        },
        "TMCVersion": "16.5",
    }
    encoded = base64.b64encode(json.dumps(value).encode()).decode()
    found, _ = _run(encoded, Location(("header[x-titus-metadata-40]",)))
    assert [f.sample for f in found] == ["header:titus"]
    value["Metadata"]["props"][0]["vals"][0]["value"] = "PUBLIC"  # type: ignore[index]
    public = base64.b64encode(json.dumps(value).encode()).decode()
    assert _run(public, Location(("header[x-titus-metadata-40]",))) == ([], [])


def test_header_regex_timeout_fails_closed(tmp_path: Path) -> None:
    settings = _operator_file(
        tmp_path,
        {
            "headers": [
                {"header": "X-Slow", "name": "slow", "pattern": "(a|aa)+$", "confidence": 0.8},
            ]
        },
    )
    found, _ = _run("a" * 5000 + "b", Location(("header[x-slow]",)), settings=settings)
    assert found and "regex:timeout" in found[0].evidence


# --- end to end through the MIME parser and the OOXML extractor ---------------------------------------------


def _mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "anna@kommun.example.se"
    msg["To"] = "extern@example.com"
    msg["Subject"] = "Protokoll"
    msg.set_content("Hej, här kommer protokollet från mötet.\n")
    return msg


def test_msip_labels_header_end_to_end() -> None:
    # as Outlook writes it: one long header folded after each ';'
    folded = _msip("Konfidentiell").replace("; ", ";\r\n ")
    raw = b"msip_labels: " + folded.encode("ascii") + b"\r\n" + _mail().as_bytes(policy=SMTP)
    result = scan_bytes(raw)
    found = [f for f in result.findings if f.detector == "labels"]
    assert [(f.sample, f.location) for f in found] == [("label:Konfidentiell", "header[msip_labels]")]
    assert not [f for f in result.findings if f.detector == "markers"]  # not counted twice


def _docx_with_labels(custom: str, labelinfo: str | None) -> bytes:
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    doc.add_paragraph("Mötesanteckningar från arbetsplatsträffen.")
    buf = io.BytesIO()
    doc.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("docProps/custom.xml", custom)
        if labelinfo is not None:
            dst.writestr("docMetadata/LabelInfo.xml", labelinfo)
    return out.getvalue()


def _custom_xml(name: str) -> str:
    ns = (
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"'
    )
    props = [("Enabled", "true"), ("Name", name), ("SiteId", SITE), ("ContentBits", "0")]
    body = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i + 2}" name="MSIP_Label_{GUID}_{k}">'
        f"<vt:lpwstr>{v}</vt:lpwstr></property>"
        for i, (k, v) in enumerate(props)
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties {ns}>{body}</Properties>'


def test_docx_custom_properties_end_to_end() -> None:
    data = _docx_with_labels(_custom_xml("Konfidentiell"), None)
    msg = _mail()
    msg.add_attachment(
        data,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="apt.docx",
    )
    result = scan_bytes(msg.as_bytes())
    found = [f for f in result.findings if f.detector == "labels"]
    assert found and found[0].sample == "label:Konfidentiell"
    assert found[0].location.endswith("custom.xml")


def test_docx_labelinfo_encrypted_bit_end_to_end() -> None:
    info = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata">'
        f'<clbl:label id="{{{GUID}}}" enabled="1" method="Privileged" siteId="{{{SITE}}}" contentBits="8" '
        'removed="0"/></clbl:labelList>'
    )
    data = _docx_with_labels(_custom_xml("General"), info)
    msg = _mail()
    msg.add_attachment(
        data,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="apt.docx",
    )
    result = scan_bytes(msg.as_bytes())
    found = [f for f in result.findings if f.detector == "labels"]
    assert any(f.location.endswith("LabelInfo.xml") and "label:encrypted" in f.evidence for f in found), found
