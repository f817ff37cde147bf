"""Pseudonymised linkage: stable keyed pseudonyms, keys kept safe, and no raw reference in logs."""

from __future__ import annotations

import logging
import os

import openpyxl
import pandas as pd
import pytest
from conftest import write_csv

from audit_lib.errors import ConfigError, InputError
from audit_lib.inputs.identifiers import scan_frame
from audit_lib.inputs.pseudonyms import (
    key_id,
    load_key,
    normalise_references,
    pseudonymise,
    pseudonymise_file,
)

KEY = bytes(range(32))  # 00 01 02 ... 1f
KEY_HEX = KEY.hex()
# Known answers, so that a change that would break linkage with earlier quarters is caught:
# "P-" + first 16 hex of HMAC-SHA256(KEY, normalised reference).
P_123 = "P-e7c5538a4b15664e"
P_AB123 = "P-ee25cb1efa513892"
P_0 = "P-3a8b171143bc3fe5"


def test_references_are_normalised():
    refs = pd.Series([" ab 0123 ", "AB0123", "00123", "123", "000", "0", "", None, 417])
    assert normalise_references(refs).tolist() == [
        "AB0123", "AB0123", "123", "123", "0", "0", "", "", "417"]


def test_pseudonyms_are_keyed_hashes_of_the_normalised_reference():
    refs = pd.Series(["00123", " 123", "ab 123", "AB123", "000", "", "124"], name="case_id",
                     index=[5, 6, 7, 8, 9, 10, 11])
    out = pseudonymise(refs, KEY)
    assert out.name == "case_id" and out.index.tolist() == [5, 6, 7, 8, 9, 10, 11]
    assert out.tolist()[:6] == [P_123, P_123, P_AB123, P_AB123, P_0, ""]
    assert out[11] not in (P_123, P_AB123, P_0) and len(out[11]) == 18


def test_pseudonyms_pass_the_identifier_gate():
    pseudonyms = pseudonymise(pd.Series([str(i) for i in range(20_000)]), KEY)
    assert pseudonyms.str.fullmatch(r"P-[0-9a-f]{16}").all()
    assert scan_frame(pd.DataFrame({"case_id": pseudonyms}), "p.csv") == []


def test_another_key_gives_other_pseudonyms():
    other = pseudonymise(pd.Series(["123"]), bytes(range(1, 33)))
    assert other[0] != P_123 and other[0].startswith("P-")


def test_short_keys_are_refused():
    with pytest.raises(ConfigError, match="the key is 31 bytes long; at least 32"):
        pseudonymise(pd.Series(["1"]), bytes(31))


def test_key_id_is_the_start_of_the_keys_sha256():
    assert key_id(KEY) == "630dcd2966c4"


# --- Key files

def test_load_key_accepts_hex_text_and_raw_bytes(tmp_path):
    (tmp_path / "hex.txt").write_text(KEY_HEX + "\n")
    assert load_key(tmp_path / "hex.txt") == KEY
    # Windows PowerShell 5 redirects output as UTF-16 with a byte-order mark.
    (tmp_path / "ps.txt").write_bytes((KEY_HEX + "\r\n").encode("utf-16"))
    assert load_key(tmp_path / "ps.txt") == KEY
    raw = bytes(range(200, 256)) + b"\n"  # not text: used exactly, line end included
    (tmp_path / "raw.key").write_bytes(raw)
    assert load_key(tmp_path / "raw.key") == raw


@pytest.mark.parametrize("content, text", [
    (b"", "the key file is empty"),
    (b"ab" * 31 + b"\n", "the key is 31 bytes long; at least 32 are needed"),
    (b"abc" * 31, "odd number of hex digits"),
    (b"correct horse battery staple and more words\n", "holds text that is not a hex key"),
    (bytes(range(200, 231)), "the key is 31 bytes long"),
])
def test_bad_key_files_say_how_to_make_a_key(tmp_path, content, text):
    path = tmp_path / "key.txt"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_key(path)
    assert text in str(err.value)
    assert 'python -c "import secrets; print(secrets.token_hex(32))" > key.txt' in str(err.value)


def test_missing_and_folder_key_files(tmp_path):
    with pytest.raises(ConfigError, match="key file not found. Make one outside the repository"):
        load_key(tmp_path / "nope.txt")
    with pytest.raises(ConfigError, match="is a folder, not a key file"):
        load_key(tmp_path)


def test_keys_inside_the_repository_or_outputs_are_refused(tmp_path):
    repo, outputs, safe = tmp_path / "repo", tmp_path / "outputs", tmp_path / "keys"
    for folder in (repo, outputs, safe):
        folder.mkdir()
        (folder / "key.txt").write_text(KEY_HEX)
    forbidden = [repo, outputs]
    for folder in (repo, outputs):
        with pytest.raises(ConfigError, match="keep it outside the repository and the outputs"):
            load_key(folder / "key.txt", forbidden)
    assert load_key(safe / "key.txt", forbidden) == KEY
    # A link from outside pointing into the repository is refused as well.
    (safe / "link.txt").symlink_to(repo / "key.txt")
    with pytest.raises(ConfigError, match="inside"):
        load_key(safe / "link.txt", forbidden)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_others_can_read_is_warned_about(tmp_path, caplog):
    path = tmp_path / "key.txt"
    path.write_text(KEY_HEX)
    path.chmod(0o600)
    load_key(path)
    assert "other users can read" not in caplog.text
    path.chmod(0o644)
    load_key(path)
    assert "other users can read the key file" in caplog.text


# --- Files

def test_pseudonymise_file_replaces_the_column_and_logs_no_reference(tmp_path, caplog):
    key = tmp_path / "key.txt"
    key.write_text(KEY_HEX)
    source = write_csv(tmp_path / "answers.csv", ["Case ID", "question_id", "answer"],
                       [["00123", "2.1.1", "Yes"], ["AB123", "2.1.1", "No"], ["", "2.1.2", "N/A"]])
    caplog.set_level(logging.DEBUG)
    result = pseudonymise_file(source, tmp_path / "out.csv", key)
    assert (result.rows, result.blank, result.key_id) == (3, 1, "630dcd2966c4")
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out.to_dict("list") == {"case_id": [P_123, P_AB123, ""],
                                   "question_id": ["2.1.1", "2.1.1", "2.1.2"],
                                   "answer": ["Yes", "No", "N/A"]}
    assert "00123" not in caplog.text and "AB123" not in caplog.text
    assert "630dcd2966c4" in caplog.text


def test_pseudonymise_file_reads_workbooks_and_other_columns(tmp_path):
    key = tmp_path / "key.txt"
    key.write_text(KEY_HEX)
    book = openpyxl.Workbook()
    book.active.append(["local_ref", "note"])
    book.active.append([123, "fine"])  # Excel stored the reference as a number
    book.save(tmp_path / "in.xlsx")
    pseudonymise_file(tmp_path / "in.xlsx", tmp_path / "out.csv", key, column="Local Ref")
    out = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert out["local_ref"].tolist() == [P_123]


def test_pseudonymise_file_refuses_double_pseudonymising_and_bad_paths(tmp_path):
    key = tmp_path / "key.txt"
    key.write_text(KEY_HEX)
    done = write_csv(tmp_path / "done.csv", ["case_id"], [[P_123], [""]])
    with pytest.raises(InputError, match="already holds pseudonyms"):
        pseudonymise_file(done, tmp_path / "out.csv", key)
    with pytest.raises(ConfigError, match="give a .csv name"):
        pseudonymise_file(done, tmp_path / "out.xlsx", key)
    with pytest.raises(InputError, match="required column is missing"):
        pseudonymise_file(done, tmp_path / "out.csv", key, column="ref")
    utf16 = tmp_path / "u.csv"
    utf16.write_bytes("case_id\n1\n".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        pseudonymise_file(utf16, tmp_path / "out.csv", key)
    assert not (tmp_path / "out.csv").exists()


def test_pseudonymise_file_checks_the_key_before_reading(tmp_path):
    source = write_csv(tmp_path / "a.csv", ["case_id"], [["1"]])
    with pytest.raises(ConfigError, match="inside"):
        pseudonymise_file(source, tmp_path / "out.csv", tmp_path / "key.txt",
                          forbidden_dirs=[tmp_path])
