"""The shared zip/XML helpers: entry counting, bounded member reads, entity rejection, text layout."""

from __future__ import annotations

import io
import zipfile

import pytest

from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.extract.xmlsafe import (
    MemberEncryptedError,
    Spec,
    XmlRejectedError,
    collect_text,
    entry_count,
    iterparse,
    read_member,
)

SPEC = Spec(text=frozenset({"t"}), paragraph=frozenset({"p"}), cell=frozenset({"c"}), row=frozenset({"r"}))


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return out.getvalue()


def test_entry_count_comes_from_the_end_record() -> None:
    assert entry_count(make_zip({f"m{i}": b"x" for i in range(7)})) == 7
    assert entry_count(b"not a zip") == -1


def test_read_member_counts_and_limits() -> None:
    data = make_zip({"small": b"abc", "zeros": bytes(3 << 20)})
    budget = Budget()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert read_member(zf, zf.getinfo("small"), budget) == b"abc"
        assert budget.total_bytes == 3
        with pytest.raises(LimitExceeded, match="max_ratio"):
            read_member(zf, zf.getinfo("zeros"), Budget(Limits(ratio_floor=1 << 20)))
        with pytest.raises(LimitExceeded, match="max_entry_bytes"):
            read_member(zf, zf.getinfo("zeros"), Budget(Limits(max_entry_bytes=1 << 20)))
        with pytest.raises(LimitExceeded, match="max_total_bytes"):
            read_member(zf, zf.getinfo("zeros"), Budget(Limits(max_total_bytes=1 << 20)))
        info = zf.getinfo("small")
        info.flag_bits |= 1
        with pytest.raises(MemberEncryptedError):
            read_member(zf, info, budget)


LAUGHS = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;">]><p><t>&b;</t></p>'


def test_entity_declarations_are_rejected() -> None:
    with pytest.raises(XmlRejectedError):
        collect_text(LAUGHS, SPEC)
    with pytest.raises(XmlRejectedError):
        list(iterparse(LAUGHS))


def test_external_entities_are_never_fetched() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><p><t>&x;</t></p>'
    with pytest.raises(XmlRejectedError):
        collect_text(xxe, SPEC)


def test_layout_joins_runs_and_separates_cells_rows_and_paragraphs() -> None:
    xml = (
        b"<d><p><t>19121212-</t><t>1212</t></p>"
        b"<tbl><r><c><p><t>Namn</t></p></c><c><p><t>Pnr</t></p></c></r>"
        b"<r><c><p><t>Tolvan</t></p><p><t>T.</t></p></c><c><p><t>191212121212</t></p></c></r></tbl>"
        b"<p><t>host </t><box><p><t>inner</t></p></box><t>rest</t></p><x>ignored</x></d>"
    )
    assert collect_text(xml, SPEC) == "19121212-1212\nNamn\tPnr\nTolvan T.\t191212121212\nhost rest\ninner\n"


def test_text_is_bounded() -> None:
    with pytest.raises(LimitExceeded, match="max_chars"):
        collect_text(b"<p><t>" + b"x" * 1000 + b"</t></p>", SPEC, max_chars=100)
