"""Reading YAML safely: aliases refused, nesting and size limited, every failure a clear error."""

from __future__ import annotations

import pytest

from audit_lib.cli import main
from audit_lib.errors import ConfigError, FrameworkError
from audit_lib.frameworks import load_framework_file
from audit_lib.quarter.config import load_config
from audit_lib.settings import read_yaml, yaml_limits
from audit_lib.triangulation.registers import load_register

# 342 bytes that expand to 9**9 (387 million) strings: the "billion laughs" (issue 15, no. 11).
ALIAS_BOMB = "a: &a [" + ",".join(['"lol"'] * 9) + "]\n" + "".join(
    f"{b}: &{b} [" + ",".join([f"*{a}"] * 9) + "]\n" for a, b in zip("abcdefgh", "bcdefghi"))


def test_an_alias_bomb_is_refused_at_once(tmp_path, monkeypatch):
    from audit_lib.settings import _StrictLoader

    path = tmp_path / "q.yaml"
    path.write_text(ALIAS_BOMB)
    yaml_limits()  # the limits' own file is read (once) before the user's
    composed = []  # nodes of the file built before the refusal: a few, not 387 million
    compose_node = _StrictLoader.compose_node

    def counted(self, parent, index):
        composed.append(index)
        return compose_node(self, parent, index)

    monkeypatch.setattr(_StrictLoader, "compose_node", counted)
    with pytest.raises(ConfigError) as err:
        read_yaml(path, "period config")
    assert len(composed) < 20  # the time it takes: benchmarks/bench_limits.py
    assert str(err.value) == (f"{path}: the period config uses a YAML alias (*name) at line 2, "
                              "which case-audit does not accept; write the value out in full.")


def test_deep_nesting_is_refused_before_the_stack_runs_out(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("period: " + "[" * 50_000 + "]" * 50_000 + "\n")
    limit = yaml_limits()["max_depth"]
    with pytest.raises(ConfigError, match=f"nested more than {limit} levels deep at line 1"):
        read_yaml(path, "period config")
    ok = tmp_path / "ok.yaml"
    ok.write_text("a: " + "[" * (limit - 1) + "]" * (limit - 1) + "\n")
    assert read_yaml(ok, "period config") == {"a": eval("[" * (limit - 1) + "]" * (limit - 1))}


def test_a_yaml_file_larger_than_the_limit_is_not_read(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("# " + "x" * yaml_limits()["max_bytes"] + "\nperiod: a\n")
    with pytest.raises(ConfigError, match="larger than 5,000,000 bytes"):
        read_yaml(path, "period config")


@pytest.mark.parametrize("loader, error, what", [
    (load_config, ConfigError, "period config"),
    (load_register, ConfigError, "recommendations register"),
    (load_framework_file, FrameworkError, "framework file"),
])
def test_every_users_yaml_file_goes_through_the_strict_reader(tmp_path, loader, error, what):
    path = tmp_path / "file.yaml"
    path.write_text(ALIAS_BOMB)
    with pytest.raises(error, match=f"the {what} uses a YAML alias"):
        loader(path)


@pytest.mark.parametrize("text", [ALIAS_BOMB, "a: " + "[" * 5000 + "]" * 5000])
def test_the_cli_exits_2_without_a_traceback(tmp_path, capsys, text):
    path = tmp_path / "q.yaml"
    path.write_text(text)
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"case-audit run: {path}: the period config") and "Traceback" not in err


def test_anchors_alone_and_ordinary_files_still_read(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("a: &x 1\nb: [1, {c: d}]\n")
    assert read_yaml(path, "period config") == {"a": 1, "b": [1, {"c": "d"}]}
