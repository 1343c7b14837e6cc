"""Reading a ledger file row by row: xlsx (openpyxl read-only, streamed) and CSV.

Rows are yielded as (sheet row number, tuple of cell values) and never held all at once, so
memory stays flat however long the file. Merged cells are expanded (the top-left value fills
the whole range): openpyxl's read-only mode does not report merges, so their ranges are read
from the sheet's XML first in a streaming pass of its own (`<mergeCells>` sits after the
data). CSV files are read as UTF-8 (with or without BOM) or, failing that, GB18030 (what
Excel and WPS write on a Chinese Windows).
"""

from __future__ import annotations

import csv
import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from ..errors import ValidationFailed

__all__ = ["SUFFIXES", "Sheet", "estimate_rows", "open_sheets", "read_rows", "sheet_names"]

SUFFIXES = (".xlsx", ".xlsm", ".csv")
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass(frozen=True)
class Sheet:
    """One table of a file: a worksheet of a workbook, or the whole CSV (`name` "")."""

    path: Path
    name: str
    epoch: dt.datetime | None = None  # the workbook's date system (Excel serials)

    @property
    def label(self) -> str:
        return f"工作表“{self.name}”" if self.name else ""


def _bad_file(path: Path, why: str) -> ValidationFailed:
    return ValidationFailed({"file": f"无法读取文件 {path.name}：{why}"})


def _kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _bad_file(path, "只支持 .xlsx 和 .csv 文件（.xls 请先在 Excel 或 WPS 中另存为 .xlsx）")
    if not path.is_file():
        raise _bad_file(path, "文件不存在")
    return "csv" if suffix == ".csv" else "xlsx"


def sheet_names(path: Path) -> list[str]:
    """The worksheet names of a workbook (["" ] for a CSV file)."""
    path = Path(path)
    if _kind_of(path) == "csv":
        return [""]
    return [name for name, _ in _workbook_sheets(path)]


def open_sheets(path: Path, only: str | None = None) -> list[Sheet]:
    """The sheets to read: `only` (a worksheet name) or all of them."""
    path = Path(path)
    if _kind_of(path) == "csv":
        return [Sheet(path, "")]
    names = sheet_names(path)
    epoch = _epoch(path)
    if only is not None:
        if only not in names:
            raise _bad_file(path, f"没有名为“{only}”的工作表（有：{'、'.join(names)}）")
        names = [only]
    return [Sheet(path, n, epoch) for n in names]


def read_rows(sheet: Sheet, engine: str = "lean") -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number as Excel shows it, cell values) for every row of the sheet, merged ranges
    filled in. Blank rows are yielded too (the caller skips them). A worksheet is read by the
    lean streaming reader below (`engine="lean"`, about 4x faster than openpyxl's read-only
    cells on the inline strings Excel exports and openpyxl write) or by openpyxl's read-only
    mode (`engine="openpyxl"`); the tests hold both to the same rows."""
    if not sheet.name:
        yield from _csv_rows(sheet.path)
    elif engine == "openpyxl":
        yield from _xlsx_rows(sheet)
    else:
        yield from _lean_rows(sheet)


def estimate_rows(sheet: Sheet) -> int:
    """About how many rows the sheet has, without reading it all (for a progress bar): lines
    of a CSV; for a worksheet, its XML size times the row density of its first 256 KB."""
    if not sheet.name:
        n = 0
        with sheet.path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                n += chunk.count(b"\n")
        return n
    members = dict(_workbook_sheets(sheet.path))
    member = members.get(sheet.name)
    if member is None:
        return 0
    with _zip(sheet.path) as z:
        size = z.getinfo(member).file_size
        with z.open(member) as fh:
            sample = fh.read(1 << 18)
    rows = len(re.findall(rb"<(?:\w+:)?row[ >]", sample))
    if len(sample) >= size or not sample:
        return rows
    return int(rows * size / len(sample))


# --- CSV ---------------------------------------------------------------------------------------

def _csv_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    encoding = _csv_encoding(path)
    try:
        with path.open(encoding=encoding, newline="") as fh:
            sample = fh.read(4096)
            fh.seek(0)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
            except csv.Error:
                dialect = csv.excel
            for n, row in enumerate(csv.reader(fh, dialect), start=1):
                yield n, tuple(row)
    except UnicodeDecodeError as exc:
        raise _bad_file(path, "文件编码无法识别（请另存为 UTF-8 或 Excel 工作簿）") from exc
    except csv.Error as exc:
        raise _bad_file(path, "CSV 格式不对") from exc


# --- xlsx --------------------------------------------------------------------------------------

def _zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _bad_file(path, "不是有效的 Excel 工作簿（.xlsx）") from exc


def _workbook_sheets(path: Path) -> list[tuple[str, str]]:
    """(sheet name, its XML member in the zip), in workbook order."""
    with _zip(path) as z:
        try:
            rels = {}
            with z.open("xl/_rels/workbook.xml.rels") as fh:
                for _, el in iterparse(fh):
                    if el.tag == f"{_NS_PKG}Relationship":
                        target = el.get("Target", "")
                        member = (target.lstrip("/") if target.startswith("/")
                                  else posixpath.normpath(posixpath.join("xl", target)))
                        rels[el.get("Id", "")] = member
            out: list[tuple[str, str]] = []
            with z.open("xl/workbook.xml") as fh:
                for _, el in iterparse(fh):
                    if el.tag == f"{_NS_MAIN}sheet":
                        rid = el.get(f"{_NS_REL}id", "")
                        if rid in rels:
                            out.append((el.get("name", ""), rels[rid]))
        except (KeyError, SyntaxError) as exc:
            raise _bad_file(path, "工作簿结构不完整") from exc
    return out


def _epoch(path: Path) -> dt.datetime:
    with _zip(path) as z:
        try:
            with z.open("xl/workbook.xml") as fh:
                for _, el in iterparse(fh):
                    if el.tag == f"{_NS_MAIN}workbookPr":
                        if el.get("date1904") in ("1", "true"):
                            return dt.datetime(1904, 1, 1)
                        break
        except (KeyError, SyntaxError):
            pass
    return dt.datetime(1899, 12, 30)


def _col(letters: str) -> int:
    n = 0
    for c in letters:
        n = n * 26 + ord(c) - 64
    return n


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=[\"']([A-Z]+)(\d+):([A-Z]+)(\d+)[\"']")


def _merged_ranges(path: Path, member: str) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of each merged range: a byte scan of the sheet's
    XML in chunks (no parsing; `<mergeCells>` follows the data)."""
    out: list[tuple[int, int, int, int]] = []
    tail = b""
    with _zip(path) as z, z.open(member) as fh:
        while chunk := fh.read(1 << 18):
            data = tail + chunk
            end = 0
            for m in _MERGE.finditer(data):
                c0, r0, c1, r1 = (g.decode() for g in m.groups())
                out.append((int(r0), _col(c0), int(r1), _col(c1)))
                end = m.end()
            tail = data[max(end, len(data) - 200):]
    return out


def _xlsx_rows(sheet: Sheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    from openpyxl import load_workbook

    members = dict(_workbook_sheets(sheet.path))
    merges = _merged_ranges(sheet.path, members[sheet.name]) if sheet.name in members else []
    # ranges by their first row; the open ones carry their value down to their last row
    starting: dict[int, list[tuple[int, int, int, int]]] = {}
    for m in merges:
        starting.setdefault(m[0], []).append(m)
    open_ranges: list[tuple[tuple[int, int, int, int], Any]] = []
    try:
        wb = load_workbook(sheet.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise _bad_file(sheet.path, "不是有效的 Excel 工作簿（.xlsx）") from exc
    try:
        ws = wb[sheet.name]
        ws.reset_dimensions()  # some writers store a wrong <dimension>
        # values_only rows come for every row number from 1 (a missing row as an empty one)
        for rno, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield rno, tuple(_fill(rno, list(row), starting, open_ranges))
    finally:
        wb.close()


# --- the lean worksheet reader ------------------------------------------------------------------

# number formats Excel treats as dates or times without defining them in styles.xml: the
# international ones and those of a Chinese Excel/WPS (27–36, 50–58)
_BUILTIN_DATES = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))


_LOCAL: dict[str, str] = {}


def _local(tag: str) -> str:
    """A tag without its namespace (cached: a sheet has a handful of distinct tags)."""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rsplit("}", 1)[-1]
    return name


def _text_of(el: Any) -> str:
    """The text of an <si>/<is> element: its <t> runs, not its phonetic guides (<rPh>)."""
    parts: list[str] = []
    for child in el:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _members(z: zipfile.ZipFile) -> dict[str, str]:
    """The workbook's part for shared strings and styles (by relationship type)."""
    out: dict[str, str] = {}
    try:
        with z.open("xl/_rels/workbook.xml.rels") as fh:
            for _, el in iterparse(fh):
                if _local(el.tag) == "Relationship":
                    kind = el.get("Type", "").rsplit("/", 1)[-1]
                    target = el.get("Target", "")
                    out[kind] = (target.lstrip("/") if target.startswith("/")
                                 else posixpath.normpath(posixpath.join("xl", target)))
    except KeyError:
        pass
    return out


def _shared_strings(z: zipfile.ZipFile, member: str | None) -> list[str]:
    if not member or member not in z.namelist():
        return []
    out: list[str] = []
    with z.open(member) as fh:
        for _, el in iterparse(fh):
            if _local(el.tag) == "si":
                out.append(_text_of(el))
                el.clear()
    return out


def _date_styles(z: zipfile.ZipFile, member: str | None) -> list[bool]:
    """Per cell style index (the `s` of a cell): does it show a date?"""
    from openpyxl.styles.numbers import is_date_format

    if not member or member not in z.namelist():
        return []
    custom: dict[int, str] = {}
    out: list[bool] = []
    with z.open(member) as fh:
        in_xfs = False
        for event, el in iterparse(fh, events=("start", "end")):
            name = _local(el.tag)
            if event == "start":
                in_xfs = in_xfs or name == "cellXfs"
                continue
            if name == "numFmt":
                custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
            elif name == "cellXfs":
                in_xfs = False
            elif name == "xf" and in_xfs:
                fid = int(el.get("numFmtId", "0"))
                out.append(fid in _BUILTIN_DATES if fid not in custom
                           else bool(is_date_format(custom[fid])))
    return out


def _cell_column(ref: str | None, previous: int) -> int:
    if not ref:
        return previous + 1
    n = 0
    for c in ref:
        if "A" <= c <= "Z":
            n = n * 26 + ord(c) - 64
        else:
            break
    return n or previous + 1


def _lean_rows(sheet: Sheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The worksheet's rows straight from its XML, streamed: expat's callbacks build each row
    (no element tree), rows are yielded after each chunk and dropped (memory stays flat).
    Values as openpyxl gives them: str, int, float, bool, and datetime for numbers in a date
    format."""
    from xml.parsers import expat

    members = dict(_workbook_sheets(sheet.path))
    member = members.get(sheet.name)
    if member is None:
        raise _bad_file(sheet.path, f"没有名为“{sheet.name}”的工作表")
    merges = _merged_ranges(sheet.path, member)
    starting: dict[int, list[tuple[int, int, int, int]]] = {}
    for m in merges:
        starting.setdefault(m[0], []).append(m)
    open_ranges: list[tuple[tuple[int, int, int, int], Any]] = []
    epoch = sheet.epoch or dt.datetime(1899, 12, 30)
    with _zip(sheet.path) as z:
        parts = _members(z)
        strings = _shared_strings(z, parts.get("sharedStrings"))
        dates = _date_styles(z, parts.get("styles"))
        reader = _SheetReader(strings, dates, epoch)
        parser = expat.ParserCreate(None, "}")  # names as "{namespace}local" → "ns}local"
        parser.buffer_text = True
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        expected = 1
        try:
            fh = z.open(member)
        except KeyError as exc:
            raise _bad_file(sheet.path, "工作簿结构不完整") from exc
        with fh:
            while True:
                chunk = fh.read(1 << 16)
                try:
                    parser.Parse(chunk, not chunk)
                except expat.ExpatError as exc:
                    raise _bad_file(sheet.path, "不是有效的 Excel 工作簿（.xlsx）") from exc
                for rno, values in reader.rows:
                    if rno == 0:
                        rno = expected  # a row without its number follows the one before
                    while expected < rno:  # rows the file leaves out are blank
                        yield expected, tuple(_fill(expected, [], starting, open_ranges))
                        expected += 1
                    yield rno, tuple(_fill(rno, values, starting, open_ranges))
                    expected = rno + 1
                reader.rows = []
                if not chunk:
                    break


class _SheetReader:
    """expat callbacks for a worksheet's <sheetData>: the rows finished so far, each as (its
    number or 0 when the file gives none, its values)."""

    def __init__(self, strings: list[str], dates: list[bool], epoch: dt.datetime) -> None:
        self.strings, self.dates, self.epoch = strings, dates, epoch
        self.rows: list[tuple[int, list[Any]]] = []
        self.rno = 0
        self.values: list[Any] = []
        self.ref: str | None = None  # the cell's r, t and s attributes
        self.type = "n"
        self.style: str | None = None
        self.v: list[str] | None = None  # the <v> text being read (None: no <v> yet)
        self.inline: list[str] | None = None  # the <is> text (None: not an inline string)
        self.buf: list[str] | None = None  # where character data goes now
        self.phonetic = 0  # inside <rPh> (phonetic guides are not the cell's text)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if name == "c":
            self.ref, self.type, self.style = attrs.get("r"), attrs.get("t", "n"), attrs.get("s")
            self.v = self.inline = None
        elif name == "v":
            self.v = self.buf = []
        elif name == "t":
            if self.inline is not None and not self.phonetic:
                self.buf = self.inline
        elif name == "is":
            self.inline = []
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            r = attrs.get("r")
            self.rno = int(r) if r else 0
            self.values = []

    def text(self, data: str) -> None:
        if self.buf is not None:
            self.buf.append(data)

    def end(self, tag: str) -> None:
        name = _local(tag)
        if name in ("v", "t"):
            self.buf = None
        elif name == "c":
            values = self.values
            col = _cell_column(self.ref, len(values))
            value = self._value()
            while len(values) < col - 1:
                values.append(None)
            values.append(value)
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "row":
            self.rows.append((self.rno, self.values))
            self.values = []

    def _value(self) -> Any:
        t = self.type
        if t == "inlineStr":
            return None if self.inline is None else "".join(self.inline)
        if self.v is None:
            return None
        v = "".join(self.v)
        if not v and not self.v:
            return None  # an empty <v/>
        if t == "s":
            i = int(v)
            return self.strings[i] if 0 <= i < len(self.strings) else None
        if t in ("str", "e"):
            return v
        if t == "b":
            return v.strip() in ("1", "true")
        if t == "d":
            try:
                return dt.datetime.fromisoformat(v)
            except ValueError:
                return v
        try:
            number: int | float = int(v) if v.lstrip("-").isdigit() else float(v)
        except ValueError:
            return v
        style, dates = self.style, self.dates
        if style is not None and style.isdigit() and int(style) < len(dates) and dates[int(style)]:
            serial = float(number)
            epoch = self.epoch
            if epoch == dt.datetime(1899, 12, 30) and serial < 60:
                serial += 1  # Excel's fictitious 1900-02-29
            moment = epoch + dt.timedelta(days=serial)
            return moment.replace(microsecond=round(moment.microsecond / 1000) * 1000 % 1_000_000)
        return number


def _fill(rno: int, values: list[Any], starting: dict[int, list[tuple[int, int, int, int]]],
          open_ranges: list[tuple[tuple[int, int, int, int], Any]]) -> list[Any]:
    for m in starting.pop(rno, ()):
        value = values[m[1] - 1] if m[1] - 1 < len(values) else None
        open_ranges.append((m, value))
    if not open_ranges:
        return values
    keep: list[tuple[tuple[int, int, int, int], Any]] = []
    for (r0, c0, r1, c1), value in open_ranges:
        if r0 <= rno <= r1:
            # the value goes down the range's first column; cells merged across columns stay
            # empty (a wide 备注 must not fill the next field)
            while len(values) < c0:
                values.append(None)
            values[c0 - 1] = value
        if rno < r1:
            keep.append(((r0, c0, r1, c1), value))
    open_ranges[:] = keep
    return values

