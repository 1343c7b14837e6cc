"""Attachments on records: what a clerk attaches, sees, voids, backs up and gets back."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import attach_samples as samples
from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.desk import Desk
from xingan_desk.errors import NotFound, PermissionDenied, ValidationFailed

ROOT = Path(__file__).resolve().parents[2]


def _filing(desk: Desk) -> Any:
    cons, _ = desk.create("consultation", GOOD_CONSULTATION)
    pre = desk.handover(cons.id, "preexam_filing")
    filing, _ = desk.create("preexam_filing", {**pre, "field": "new_materials",
                                               "invention_patents": 1}, handover_from=cons.id)
    return filing


def test_attach_pdf_png_tiff_with_pages_size_hash_who_and_type(desk: Desk) -> None:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    data = samples.pdf(3)
    a, changes = desk.attach(rec.id, data, "C:\\扫描\\申请书.pdf", "调解申请书")
    assert rec.id in changes.records
    assert (a.no, a.name, a.material, a.pages, a.mime) == (1, "申请书.pdf", "调解申请书", 3,
                                                           "application/pdf")
    assert a.size == len(data) and a.sha256 == hashlib.sha256(data).hexdigest()
    assert a.created_by == "admin" and a.owner == "152223-02" and not a.synced
    b, _ = desk.attach(rec.id, samples.tiff(2), "证据.tif", "证据材料")
    c, _ = desk.attach(rec.id, samples.png(), "身份证.png")
    assert (b.pages, b.mime) == (2, "image/tiff")
    assert (c.pages, c.material) == (1, "其他材料")
    assert [x.no for x in desk.list_attachments(rec.id)] == [1, 2, 3]
    assert desk.attachment_content(a.id) == data
    _, audit = desk.history(rec.id)
    assert any(e.action == "attach" and "申请书.pdf" in e.detail for e in audit)


def test_refuses_other_types_unknown_material_and_files_over_the_limit(desk: Desk) -> None:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    with pytest.raises(ValidationFailed, match="不是 PDF、JPEG、PNG 或 TIFF"):
        desk.attach(rec.id, b"PK\x03\x04 a zip", "材料.docx")
    with pytest.raises(ValidationFailed, match="不是调解受理的材料类型"):
        desk.attach(rec.id, samples.png(), "a.png", "营业执照正本扫描")
    desk.set_setting("attachment_max_mb", 1)
    big = samples.pdf(1, pad_to=1_300_000)
    with pytest.raises(ValidationFailed) as err:
        desk.attach(rec.id, big, "证据.pdf", "证据材料")
    assert "超过单个附件 1 MB 的上限" in str(err.value) and "证据.pdf" in str(err.value)
    assert err.value.errors.keys() == {"file"}
    assert desk.list_attachments(rec.id) == []


def test_files_are_content_addressed_and_encrypted_beside_the_store(desk: Desk) -> None:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    data = samples.pdf(1, text="SECRET-EVIDENCE")
    a, _ = desk.attach(rec.id, data, "a.pdf", "证据材料")
    desk.attach(rec.id, data, "same-again.pdf", "证据材料")
    files = list((desk.directory / "attachments").rglob("*"))
    stored = [p for p in files if p.is_file()]
    assert len(stored) == 1  # one file for one content
    raw = stored[0].read_bytes()
    assert b"SECRET-EVIDENCE" not in raw and a.sha256 not in stored[0].name
    assert desk.attachments.files().is_encrypted_on_disk(a.sha256)
    if os.name == "posix":
        assert stored[0].stat().st_mode & 0o077 == 0


def test_voiding_keeps_the_file_and_needs_a_reason_and_the_owner(desk: Desk) -> None:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    a, _ = desk.attach(rec.id, samples.png(), "错传.png", "证据材料")
    with pytest.raises(ValidationFailed):
        desk.void_attachment(a.id, "  ")
    desk.void_attachment(a.id, "传错了当事人")
    (v,) = desk.list_attachments(rec.id)
    assert v.voided and v.void_reason == "传错了当事人" and v.voided_by == "admin"
    assert desk.attachment_content(a.id)  # never deleted
    _, audit = desk.history(rec.id)
    assert any(e.action == "attach_void" and "传错了当事人" in e.detail for e in audit)


def test_voiding_another_windows_attachment_is_refused(desk: Desk) -> None:
    from sqlalchemy import update

    from xingan_desk.storage.schema import attachment_table

    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    a, _ = desk.attach(rec.id, samples.png(), "x.png")
    with desk.writing() as w:
        w.session.execute(update(attachment_table).values(owner="152223-03"))
    with pytest.raises(PermissionDenied, match="152223-03"):
        desk.void_attachment(a.id, "不要了")


def test_attaching_under_a_checklist_row_ticks_it_and_the_notice_drops_it(desk: Desk) -> None:
    filing = _filing(desk)
    item = "营业执照或事业单位法人证书"
    assert item in desk.material_types(filing.id)[:7]
    assert item in desk.missing_materials(filing.id)
    desk.attach(filing.id, samples.pdf(1), "营业执照.pdf", item)
    rows = {r["item"]: r["status"] for r in desk.get(filing.id).values["materials"]}
    assert rows[item] == "received"
    assert item not in desk.missing_materials(filing.id)
    assert len(desk.missing_materials(filing.id)) == len(rows) - 1


def test_check_finds_a_missing_or_altered_file(desk: Desk) -> None:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    a, _ = desk.attach(rec.id, samples.png(), "证据.png", "证据材料")
    assert desk.check() == []
    (path,) = [p for p in (desk.directory / "attachments").rglob("*") if p.is_file()]
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    problems = desk.check()
    assert problems and rec.receipt_no in problems[0] and "证据.png" in problems[0]
    with pytest.raises(NotFound, match="缺失或已损坏"):
        desk.attachment_content(a.id)


def test_backup_and_restore_bring_the_files_back(tmp_path: Path) -> None:
    from xingan_desk.maintenance import restore

    d = tmp_path / "store"
    desk = Desk.initialise(d, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    data = samples.pdf(2)
    a, _ = desk.attach(rec.id, data, "协议.pdf", "调解协议书")
    target = desk.backup(tmp_path / "b.sqlite3")
    desk.close()
    assert list((tmp_path / "b.sqlite3.attachments").rglob("*"))
    for p in sorted((d / "attachments").rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    restore(d, target, password=ADMIN_PASSWORD)
    desk = Desk.open(d, password=ADMIN_PASSWORD)
    try:
        assert desk.attachment_content(a.id) == data
        assert desk.check() == []
    finally:
        desk.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINGAN_DESK_PASSWORD": ADMIN_PASSWORD}
    return subprocess.run([sys.executable, "-m", "xingan_desk", *args], cwd=ROOT, text=True,
                          capture_output=True, env=env, timeout=300)


def test_cli_attach_list_and_get_back(tmp_path: Path) -> None:
    d = tmp_path / "store"
    desk = Desk.initialise(d, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    desk.close()
    scan = tmp_path / "证据.pdf"
    scan.write_bytes(samples.pdf(4))
    out = _cli("attach", rec.receipt_no, str(scan), "--type", "证据材料", "--data-dir", str(d))
    assert out.returncode == 0, out.stderr
    assert "4页" in out.stdout
    bad = _cli("attach", rec.receipt_no, str(tmp_path), "--data-dir", str(d))
    assert bad.returncode == 1 and bad.stderr.startswith("错误：")
    listing = _cli("attachments", rec.receipt_no, "--data-dir", str(d))
    assert listing.returncode == 0, listing.stderr
    (line,) = listing.stdout.strip().splitlines()
    no, name, material, pages, size, sha = line.split("\t")
    assert (no, name, material, pages) == ("1", "证据.pdf", "证据材料", "4页")
    assert int(size) == scan.stat().st_size
    assert sha == hashlib.sha256(scan.read_bytes()).hexdigest()
    got = tmp_path / "out.pdf"
    back = _cli("attachment", rec.receipt_no, "1", "--out", str(got), "--data-dir", str(d))
    assert back.returncode == 0, back.stderr
    assert got.read_bytes() == scan.read_bytes()
    missing = _cli("attachment", rec.receipt_no, "2", "--out", str(got), "--data-dir", str(d))
    assert missing.returncode == 1 and "第2个附件" in missing.stderr


def _pdf_text(path: Path) -> str:
    import shutil

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-raw", str(path), "-"],
                         capture_output=True, text=True, check=True)
    return "".join(out.stdout.split())


def test_notice_lists_exactly_the_missing_and_the_receipt_what_was_received(
        desk: Desk, tmp_path: Path) -> None:
    from xingan_desk.printing import render

    filing = _filing(desk)
    items = [r["item"] for r in filing.values["materials"]]
    licence, insurance = items[1], items[3]
    desk.attach(filing.id, samples.pdf(2), "营业执照.pdf", licence)
    att, _ = desk.attach(filing.id, samples.tiff(3), "社保.tif", insurance)
    # the clerk sets the social-insurance row back to 缺失: its live scan still counts …
    rec = desk.get(filing.id)
    rows = [{**r, "status": "missing"} if r["item"] == insurance else r
            for r in rec.values["materials"]]
    desk.update(filing.id, {"materials": rows}, rec.version)
    notice = _pdf_text(render(desk, filing.receipt_no, tmp_path / "n.pdf",
                              document="onetime_notice", log=False))
    still = [i for i in items if i not in (licence, insurance)]
    assert f"以下{len(still)}项材料" in notice
    for item in still:
        assert "".join(item.split()) in notice
    assert "".join(licence.split()) not in notice and "".join(insurance.split()) not in notice
    # … until it is voided: then it is missing again
    desk.void_attachment(att.id, "扫描件模糊")
    notice = _pdf_text(render(desk, filing.receipt_no, tmp_path / "n2.pdf",
                              document="onetime_notice", log=False))
    assert f"以下{len(still) + 1}项材料" in notice and "".join(insurance.split()) in notice

    receipt = _pdf_text(render(desk, filing.receipt_no, tmp_path / "r.pdf", log=False))
    assert "已收材料" in receipt and "共收材料1种、2页" in receipt
    med, _ = desk.create("mediation", GOOD_MEDIATION)
    desk.attach(med.id, samples.pdf(3), "申请书.pdf", "调解申请书")
    desk.attach(med.id, samples.png(), "身份证正面.png", "申请人身份证明")
    desk.attach(med.id, samples.png(30, 30), "身份证反面.png", "申请人身份证明")
    receipt = _pdf_text(render(desk, med.receipt_no, tmp_path / "m.pdf", log=False))
    assert "调解申请书" in receipt and "申请人身份证明" in receipt
    assert "共收材料2种、5页" in receipt
