"""Hostile .xlsx workbooks within the container limits (issue 26, item 4), for the tests and
`benchmarks/bench_limits.py`: small files that make a reader load millions of shared strings
or cell styles. Each is a genuine workbook (one sheet, two cells) with one part swapped."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def _base() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["case_id", "note"])
    book.active.append(["00123", "fine"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_part(path: Path, name: str, data: bytes, content_type: str | None = None) -> Path:
    """The base workbook with part ``name`` replaced (or added) by ``data``."""
    with zipfile.ZipFile(io.BytesIO(_base())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == name:
                continue
            if info.filename == "[Content_Types].xml" and content_type and \
                    name.encode() not in body:
                body = body.replace(b"</Types>", f'<Override PartName="/{name}" ContentType='
                                    f'"{content_type}"/></Types>'.encode())
            if info.filename == "xl/_rels/workbook.xml.rels" and "sharedStrings" in name and \
                    b"sharedStrings" not in body:
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type='
                                    b'"http://schemas.openxmlformats.org/officeDocument/2006/'
                                    b'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            dst.writestr(info, body)
        dst.writestr(name, data)
    return path


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _records(template: bytes, holes: list[int], count: int, seed: int) -> bytes:
    """``count`` copies of ``template`` with a random letter or digit at each of ``holes``:
    random enough that the part compresses far less than 100 to 1 (the compression-ratio
    limit), as an attacker would make it; built with numpy, so that millions take a second."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = np.frombuffer(template, dtype=np.uint8)[None, :].repeat(count, axis=0)
    for hole in holes:
        rows[:, hole] = rng.integers(ord("0"), ord("9") + 1, size=count, dtype=np.uint8)
    return rows.tobytes()


def shared_strings_bomb(path: Path, count: int) -> Path:
    """A workbook whose shared-string table holds ``count`` strings no cell uses."""
    body = _records(b"<si><t>00</t></si>", [7, 8], count, 1)
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{count}" '
           f'uniqueCount="{count}">').encode() + body + b"</sst>"
    return _with_part(path, "xl/sharedStrings.xml", xml,
                      "application/vnd.openxmlformats-officedocument.spreadsheetml."
                      "sharedStrings+xml")


def styles_bomb(path: Path, count: int) -> Path:
    """A workbook whose style table holds ``count`` cell formats."""
    xfs = _records(b'<xf numFmtId="00"/>', [14, 15], count, 2)
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_MAIN}">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
           '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
           f'borderId="0"/></cellStyleXfs><cellXfs count="{count}">').encode() + xfs + \
        b"</cellXfs></styleSheet>"
    return _with_part(path, "xl/styles.xml", xml)
