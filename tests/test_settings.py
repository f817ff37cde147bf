"""Reading YAML safely: aliases refused, nesting and size limited, every failure a clear error."""

from __future__ import annotations

import re

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
    import yaml

    from audit_lib import settings

    path = tmp_path / "q.yaml"
    path.write_text(ALIAS_BOMB)
    yaml_limits()  # the limits' own file is read (once) before the user's
    events = []  # events of the file read before the refusal: a few, not 387 million
    parse, loader = yaml.parse, settings._Loader

    def counted(text, Loader):  # noqa: N803 (PyYAML's name)
        for event in parse(text, Loader=loader):
            events.append(event)
            yield event

    def never(text):
        raise AssertionError("the file was composed after all")

    monkeypatch.setattr(yaml, "parse", counted)
    monkeypatch.setattr(settings, "_Loader", never)
    with pytest.raises(ConfigError) as err:
        read_yaml(path, "period config")
    assert len(events) < 30  # the time it takes: benchmarks/bench_limits.py
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


def _composer_refusal(text: str, max_depth: int):
    """The refusal as PyYAML's pure-Python composer makes it (how case-audit made it before it
    read the events in C): node by node, an alias refused, a node deeper than the limit
    refused, each where it is composed."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise LookupError(("alias", self.peek_event().start_mark.line + 1))
            self.depth += 1
            try:
                if self.depth > max_depth:
                    raise LookupError(("depth", self.peek_event().start_mark.line + 1))
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    try:
        return Loader(text).get_single_data()
    except LookupError as exc:
        return exc.args[0]
    except yaml.YAMLError as exc:
        return ("invalid", exc.problem_mark.line + 1)


@pytest.mark.parametrize("text", [
    "a: 1\n", "", "- a\n- b\n", "x",
    "a:\n  b:\n    c:\n      d: 1\n",  # four deep: at the limit of 4 in this test
    "a:\n  b:\n    c:\n      d: [1]\n",  # five deep, in flow style
    "a:\n  b:\n    c:\n      d:\n        e: 1\n",  # five deep, in block style
    "? [[[[k]]]]\n: v\n",  # a key too deep
    "? [[[k]]]\n: v\n",  # a key at the limit
    "a: &x 1\nb: 2\n",  # an anchor alone
    "a: &x 1\nb:\n  - *x\n",  # an alias on line 3
    "a: [[[[*x]]]]\n",  # an alias deeper than the limit
    "a: 1\n---\nb: *x\n",  # a second document: invalid, whatever it holds
    "a: [1, 2\nb: 3\n",  # not YAML
    "- - - - - 1\n",  # sequences in block style
    "{a: {b: {c: {}}}}\n", "{a: {b: {c: {d: 1}}}}\n",
])
def test_aliases_and_depth_are_refused_where_the_composer_would_refuse_them(
        tmp_path, monkeypatch, text):
    from audit_lib import settings

    monkeypatch.setattr(settings, "yaml_limits", lambda: {"max_bytes": 10_000, "max_depth": 4})
    path = tmp_path / "f.yaml"
    path.write_text(text)
    expected = _composer_refusal(text, 4)
    try:
        found = read_yaml(path, "period config")
    except ConfigError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        line = int(re.search(r" at line (\d+)", message).group(1))
        kind = ("alias" if "alias" in message else "depth" if "nested" in message
                else "invalid")
        found = (kind, line)
    assert found == expected


def test_files_are_read_by_libyaml_where_pyyaml_has_it(tmp_path, monkeypatch):
    """The C parser reads every file (six to eight times as fast: issue 25); the pure-Python one only
    says what is wrong with a file libyaml refused."""
    import yaml

    from audit_lib import settings

    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml here")
    assert settings._Loader is yaml.CSafeLoader
    used = []
    monkeypatch.setattr(settings, "_load", lambda text, depth, loader: used.append(loader) or {})
    path = tmp_path / "q.yaml"
    path.write_text("period: 2026-Q3\n")
    read_yaml(path, "period config")
    assert used == [yaml.CSafeLoader]


@pytest.mark.parametrize("value, words", [
    ("!!int notanint", "marked as a number (!!int or !!float) that is not a number"),
    ("!!float nine", "marked as a number (!!int or !!float) that is not a number"),
    ("2026-02-30", "holds a date that does not exist (such as 30 February)"),
])
def test_a_value_that_cannot_be_what_it_says_is_named_for_what_it_is(tmp_path, value, words):
    path = tmp_path / "q.yaml"
    path.write_text(f"period: 2026-Q3\nseed: {value}\n")
    with pytest.raises(ConfigError, match=re.escape(words)):
        read_yaml(path, "period config")
