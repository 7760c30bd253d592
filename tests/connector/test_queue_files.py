"""Queue files: listing and structural validation, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector.queue import (
    BadQueueFile,
    Change,
    Kind,
    QueueError,
    QueueFileVanished,
    pending_files,
    read_change,
)

TS = "2024-05-02-10-11-12-123456"
NAME = f"{TS}.json"
UUID = "4d1c2b3a-0000-4000-8000-000000000001"


def doc(**overrides):
    base = {
        "id": UUID,
        "udm_object_type": "users/user",
        "dn": "uid=anna,cn=users,dc=example,dc=org",
        "object": {"username": "anna", "firstname": "Anna", "oxContext": 10},
        "options": ["default"],
    }
    base.update(overrides)
    return base


def write(dir_: Path, content, name: str = NAME) -> Path:
    path = dir_ / name
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    path.write_bytes(data)
    return path


def bad(path: Path) -> BadQueueFile:
    with pytest.raises(BadQueueFile) as info:
        read_change(path)
    assert isinstance(info.value, QueueError)
    assert NAME in str(info.value)
    return info.value


# -- reading good files -----------------------------------------------------------------


def test_reads_a_user(tmp_path):
    change = read_change(write(tmp_path, doc()))
    assert change == Change(
        id=UUID,
        udm_object_type="users/user",
        dn="uid=anna,cn=users,dc=example,dc=org",
        object={"username": "anna", "firstname": "Anna", "oxContext": 10},
        options=("default",),
        path=tmp_path / NAME,
        timestamp=TS,
    )
    assert change.kind is Kind.USER
    assert not change.is_delete
    assert change.name == NAME


def test_reads_a_delete(tmp_path):
    change = read_change(write(tmp_path, doc(object=None, udm_object_type="oxmail/oxcontext")))
    assert change.is_delete and change.object is None
    assert change.kind is Kind.CONTEXT


def test_delete_may_have_null_options(tmp_path):
    assert read_change(write(tmp_path, doc(object=None, options=None))).options == ()


@pytest.mark.parametrize("kind", list(Kind))
def test_every_known_type(tmp_path, kind):
    assert read_change(write(tmp_path, doc(udm_object_type=kind.value))).kind is kind


def test_extra_keys_are_ignored(tmp_path):
    assert read_change(write(tmp_path, doc(future="x"))).id == UUID


def test_utf8_bom_and_non_ascii(tmp_path):
    data = json.dumps(doc(object={"firstname": "Jürgen"}), ensure_ascii=False).encode()
    change = read_change(write(tmp_path, b"\xef\xbb\xbf" + data))
    assert change.object == {"firstname": "Jürgen"}


def test_change_is_immutable_and_hashable(tmp_path):
    change = read_change(write(tmp_path, doc()))
    with pytest.raises(AttributeError):
        change.dn = "x"  # type: ignore[misc]
    assert len({change, change}) == 1


# -- bad input: each message names the file and the field -------------------------------


def test_not_utf8_names_the_field(tmp_path):
    raw = json.dumps(doc(object={"firstname": "JXrgen"})).encode().replace(b"JXrgen", b"J\xfcrgen")
    err = bad(write(tmp_path, raw))
    assert err.field == "object.firstname"
    assert 'field "object.firstname"' in str(err)
    assert "not valid UTF-8" in str(err) and "0xfc" in str(err)


def test_not_utf8_outside_strings(tmp_path):
    err = bad(write(tmp_path, b'{"id": \xff}'))
    assert err.field is None
    assert "not valid UTF-8 (byte 0xff at offset 7)" in str(err)


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b'{"id": "x",\n "dn": }', "line 2, column 8"),
        (json.dumps(doc(), indent=2).encode()[:-20], "line "),  # truncated
        (b"not json at all", "line 1, column 1"),
        (b'{"id": "x"} trailing', "line 1, column 13"),
    ],
)
def test_not_json_gives_line_and_column(tmp_path, raw, where):
    err = bad(write(tmp_path, raw))
    assert f"queue file {NAME}: not valid JSON: " in str(err)
    assert where in str(err)


def test_empty_file(tmp_path):
    assert str(bad(write(tmp_path, b" \n"))) == f"queue file {NAME}: empty file"


@pytest.mark.parametrize(
    ("value", "desc"), [([doc()], "an array"), ("x", 'string "x"'), (5, "number 5")]
)
def test_top_level_not_an_object(tmp_path, value, desc):
    err = bad(write(tmp_path, value))
    assert str(err) == f"queue file {NAME}: top level is {desc}, expected an object"


@pytest.mark.parametrize("key", ["id", "udm_object_type", "dn", "object", "options"])
def test_missing_key(tmp_path, key):
    content = doc()
    del content[key]
    err = bad(write(tmp_path, content))
    assert err.field == key
    assert str(err) == f'queue file {NAME}: field "{key}": missing'


@pytest.mark.parametrize(
    ("override", "field", "reason"),
    [
        ({"id": 42}, "id", "expected a non-empty string, got number 42"),
        ({"id": ""}, "id", "must not be empty"),
        ({"id": None}, "id", "expected a non-empty string, got null"),
        ({"dn": "  "}, "dn", "must not be empty"),
        ({"dn": ["uid=a"]}, "dn", "expected a non-empty string, got an array"),
        ({"udm_object_type": True}, "udm_object_type", "expected a string, got boolean true"),
        ({"udm_object_type": "users/ldap"}, "udm_object_type", 'unknown object type "users/ldap"'),
        ({"object": "gone"}, "object", 'expected an object or null, got string "gone"'),
        ({"object": []}, "object", "expected an object or null, got an array"),
        ({"options": "default"}, "options", 'expected a list of strings, got string "default"'),
        ({"options": None}, "options", "expected a list of strings, got null"),
        ({"options": ["default", 3]}, "options[1]", "expected a string, got number 3"),
    ],
)
def test_wrong_types(tmp_path, override, field, reason):
    err = bad(write(tmp_path, doc(**override)))
    assert err.field == field
    assert str(err) == f'queue file {NAME}: field "{field}": {reason}'


def test_the_example_message_from_the_issue(tmp_path):
    err = bad(write(tmp_path, doc(udm_object_type="users/ldap")))
    assert (
        str(err) == f'queue file {NAME}: field "udm_object_type": unknown object type "users/ldap"'
    )


def test_long_values_are_shortened_in_messages(tmp_path):
    err = bad(write(tmp_path, doc(object="x" * 500)))
    assert len(str(err)) < 150


def test_vanished_file(tmp_path):
    path = write(tmp_path, doc())
    path.unlink()
    with pytest.raises(QueueFileVanished) as info:
        read_change(path)
    assert not isinstance(info.value, BadQueueFile)  # the runner skips it, it is not bad input
    assert isinstance(info.value, QueueError)
    assert NAME in str(info.value) and "vanished" in str(info.value)


def test_directory_named_like_a_queue_file(tmp_path):
    (tmp_path / NAME).mkdir()
    assert "not a regular file" in str(bad(tmp_path / NAME))


def test_unreadable_file(tmp_path):
    # any OSError other than "gone" or "a directory": here ENOTDIR, which root gets too
    (tmp_path / "plain").write_text("x")
    assert "cannot read" in str(bad(tmp_path / "plain" / NAME))


# -- listing ----------------------------------------------------------------------------


def test_pending_files_order_and_filter(tmp_path):
    names = [
        "2024-05-02-10-11-12-000002.json",
        "2024-05-02-10-11-12-000001.json",
        "2024-01-01-00-00-00-000000.json",
    ]
    for name in names:
        write(tmp_path, doc(), name)
    write(tmp_path, doc(), ".2024-05-02-10-11-13-000000.json")  # hidden
    write(tmp_path, doc(), "2024-05-02-10-11-14-000000.json.tmp")  # temp
    write(tmp_path, doc(), "2024-05-02-10-11-15-000000.txt")
    write(tmp_path, doc(), ".json")
    (tmp_path / "2024-05-02-10-11-16-000000.json").mkdir()  # directory
    (tmp_path / "dead-letter").mkdir()
    write(tmp_path / "dead-letter", doc(), "2023-01-01-00-00-00-000000.json")  # not recursive
    (tmp_path / "2024-05-02-10-11-17-000000.json").symlink_to(tmp_path / names[0])
    assert pending_files(tmp_path) == [tmp_path / n for n in sorted(names)]


def test_pending_files_empty(tmp_path):
    assert pending_files(tmp_path) == []


def test_pending_files_missing_dir(tmp_path):
    with pytest.raises(QueueError, match="does not exist"):
        pending_files(tmp_path / "nope")


def test_listed_files_read_back(tmp_path):
    write(tmp_path, doc(id="b"), "2024-05-02-10-11-12-000002.json")
    write(tmp_path, doc(id="a"), "2024-05-02-10-11-12-000001.json")
    changes = [read_change(p) for p in pending_files(tmp_path)]
    assert [(c.id, c.timestamp) for c in changes] == [
        ("a", "2024-05-02-10-11-12-000001"),
        ("b", "2024-05-02-10-11-12-000002"),
    ]


# -- size limit (OX_CONNECTOR_MAX_FILE_BYTES) --------------------------------------------------


def test_a_file_over_the_limit_is_refused_by_its_size_unread(tmp_path, monkeypatch):
    path = write(tmp_path, b"")
    with open(path, "wb") as fh:  # sparse: 40 MB on paper, nothing on disk
        fh.truncate(40 * 1024 * 1024)
    reads = []
    real_open = open

    def spy(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if Path(file) == path:
            reads.append(handle)
            handle.read = lambda *a: pytest.fail("the oversized file was read")
        return handle

    monkeypatch.setattr("builtins.open", spy)
    error = bad(path)
    assert reads  # opened (to stat the handle), never read
    assert error.field is None
    assert f"{40 * 1024 * 1024} bytes" in error.reason
    assert "OX_CONNECTOR_MAX_FILE_BYTES (8388608 bytes)" in error.reason


def test_the_limit_is_a_parameter_and_a_file_at_the_limit_is_read(tmp_path):
    data = json.dumps(doc()).encode()
    path = write(tmp_path, data)
    assert read_change(path, max_bytes=len(data)).id == UUID
    with pytest.raises(BadQueueFile, match=f"{len(data)} bytes, more than"):
        read_change(path, max_bytes=len(data) - 1)
