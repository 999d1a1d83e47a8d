"""Reading and writing files safely: bounded reads, only regular files, modes and symlinks kept."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from engine import files, weights
from engine.data import DataError, lecture, read_csv, write_csv
from engine.files import FileProblem, atomic_write_bytes, read_bytes_limited, read_text_limited
from engine.nn import MLP
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import ModelWeights, WeightsError

POSIX = os.name == "posix"
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")


def _lecture_weights() -> ModelWeights:
    return ModelWeights.from_model(MLP(3, [4, 4, 1], seed=1))


def _session() -> Session:
    return Session(lecture(), ModelSpec(), TrainSettings(), _lecture_weights())


# Each loader, with the error class it must raise for any file it cannot use.
LOADERS = {
    "weights json": (weights.load_json, WeightsError),
    "weights npz": (weights.load_npz, WeightsError),
    "session": (load_session, SessionError),
    "csv": (read_csv, DataError),
}


# ---------------------------------------------------------------- devices, pipes and lying sizes


@needs_dev_zero
@pytest.mark.parametrize("loader", LOADERS)
def test_a_device_is_refused_by_every_loader_without_reading_it(loader):
    load, error = LOADERS[loader]
    with pytest.raises(error, match="device or a pipe"):
        load("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("loader", LOADERS)
def test_a_fifo_is_refused_by_every_loader_without_blocking(tmp_path, loader):
    load, error = LOADERS[loader]
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: _record_error(load, fifo, outcome), daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        worker.join(5)
        pytest.fail("the loader blocked on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], error), outcome
    assert "device or a pipe" in str(outcome[0])


def _record_error(load, path, outcome: list) -> None:
    try:
        load(path)
    except BaseException as exc:
        outcome.append(exc)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_a_file_that_reports_size_zero_is_still_read_only_up_to_the_limit():
    # /proc files report st_size 0 whatever they hold: the limit must hold regardless
    assert os.stat("/proc/self/maps").st_size == 0
    with pytest.raises(FileProblem, match="larger than 10 bytes"):
        read_bytes_limited("/proc/self/maps", 10, "weights file")
    assert read_bytes_limited("/proc/self/maps", 10_000_000, "file")  # and read whole below it


def test_reads_stop_one_byte_past_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 5000)
    sizes: list[int] = []
    real_read = files.os.fdopen

    def spy_fdopen(*args, **kwargs):
        f = real_read(*args, **kwargs)
        read = f.read

        class Spy:
            def __getattr__(self, name):
                return getattr(f, name)

            def read(self, n=-1):
                data = read(n)
                sizes.append(len(data))
                return data

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

        return Spy()

    monkeypatch.setattr(files.os, "fdopen", spy_fdopen)
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat_result((stat.S_IFREG | 0o644,) + (0,) * 9))
    with pytest.raises(FileProblem, match="larger than 1,000 bytes"):
        read_bytes_limited(path, 1000)
    assert sum(sizes) == 1001


# ---------------------------------------------------------------- missing files, folders, permissions


@pytest.mark.parametrize("loader", LOADERS)
def test_a_missing_file_a_folder_and_a_forbidden_file_get_the_loaders_error(tmp_path, loader, monkeypatch):
    load, error = LOADERS[loader]
    with pytest.raises(error, match="cannot read nothing.here: there is no such file"):
        load(tmp_path / "nothing.here")
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(error, match="cannot read folder.json: it is a folder, not a file"):
        load(folder)
    path = tmp_path / "secret.json"
    path.write_text("{}")

    def forbidden(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.os, "open", forbidden)
    with pytest.raises(error, match="cannot read secret.json: permission denied"):
        load(path)


# ---------------------------------------------------------------- text and JSON


def test_text_in_utf8_with_a_byte_order_mark_reads_without_it(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"\xef\xbb\xbfhello")
    assert read_text_limited(path, 100) == "hello"


def test_a_byte_order_mark_is_accepted_in_weights_and_session_files(tmp_path):
    w = _lecture_weights()
    weights.save_json(w, tmp_path / "w.json")
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "w.json").read_bytes())
    assert weights.load_json(tmp_path / "bom.json").to_dict() == w.to_dict()
    save_session(_session(), tmp_path / "s.json")
    (tmp_path / "bom-s.json").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "s.json").read_bytes())
    assert load_session(tmp_path / "bom-s.json").model == ModelSpec()


def test_not_utf8_says_so_in_plain_words(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(WeightsError, match=r"latin1.json is not UTF-8 text: byte 14 cannot be read") as info:
        weights.load_json(path)
    assert "utf-8-sig" not in str(info.value) and "codec" not in str(info.value)


def test_duplicate_keys_are_refused_in_weights_files(tmp_path):
    text = weights.to_json_text(_lecture_weights())
    doubled = text.replace('"inputs": 3,', '"inputs": 3, "inputs": 3,')
    assert doubled != text
    (tmp_path / "w.json").write_text(doubled)
    with pytest.raises(WeightsError, match="the key 'inputs' appears twice"):
        weights.load_json(tmp_path / "w.json")


def test_duplicate_keys_are_refused_in_session_files(tmp_path):
    save_session(_session(), tmp_path / "s.json")
    text = (tmp_path / "s.json").read_text()
    (tmp_path / "s.json").write_text(
        text.replace('"learning_rate": 0.05', '"learning_rate": 0.05, "learning_rate": 1')
    )
    with pytest.raises(SessionError, match="the key 'learning_rate' appears twice"):
        load_session(tmp_path / "s.json")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("{", r"is not valid JSON \(line 1, column 2\): a key must be text in double quotes"),
        ("nul", r"is not valid JSON \(line 1, column 1\): a value is missing"),
        ('{"a": 1} x', r"is not valid JSON \(line 1, column 10\): there is more text after the end"),
        ("[" * 100_000, "nested far too deeply"),
    ],
)
def test_json_problems_are_described_as_problems_of_the_file(tmp_path, text, message):
    (tmp_path / "s.json").write_text(text)
    with pytest.raises(SessionError, match=message):
        load_session(tmp_path / "s.json")


# ---------------------------------------------------------------- writing: modes, symlinks, failures


@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_a_new_file_gets_the_umask_and_an_existing_file_keeps_its_mode(tmp_path):
    old_umask = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "new.bin", b"1")
        assert stat.S_IMODE(os.stat(tmp_path / "new.bin").st_mode) == 0o644
        os.umask(0o027)
        atomic_write_bytes(tmp_path / "new2.bin", b"1")
        assert stat.S_IMODE(os.stat(tmp_path / "new2.bin").st_mode) == 0o640
    finally:
        os.umask(old_umask)
    existing = tmp_path / "shared.json"
    existing.write_text("old")
    os.chmod(existing, 0o664)
    save_session(_session(), existing)
    assert stat.S_IMODE(os.stat(existing).st_mode) == 0o664
    assert load_session(existing).model == ModelSpec()


@pytest.mark.skipif(not POSIX, reason="symlinks")
def test_saving_onto_a_symlink_writes_through_it(tmp_path):
    real = tmp_path / "real" / "weights.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    w = _lecture_weights()
    weights.save_json(w, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert weights.load_json(real).to_dict() == w.to_dict()
    assert [p.name for p in real.parent.iterdir()] == ["weights.json"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    write_csv(lecture(), path)
    before = path.read_bytes()

    def broken_replace(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


# ---------------------------------------------------------------- every writer refuses what its reader would


@pytest.mark.parametrize("saver", [weights.save_json, weights.save_npz])
def test_weights_the_loader_would_refuse_are_not_written(tmp_path, saver):
    wide = ModelWeights(5000, [weights.LayerWeights("tanh", [[0.0] * 5000], [0.0])])
    path = tmp_path / "wide.out"
    with pytest.raises(
        WeightsError, match="could not be loaded back.*'inputs' must be a whole number, 1 to 4096"
    ):
        saver(wide, path)
    assert not path.exists()


def test_torch_weights_the_loader_would_refuse_are_not_written(tmp_path):
    pytest.importorskip("torch")
    wide = ModelWeights(5000, [weights.LayerWeights("tanh", [[0.0] * 5000], [0.0])])
    with pytest.raises(WeightsError, match="could not be loaded back"):
        weights.save_torch(wide, tmp_path / "wide.pt")
    assert not (tmp_path / "wide.pt").exists()


def test_weights_too_large_for_a_file_are_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "MAX_FILE_BYTES", 300)
    with pytest.raises(WeightsError, match="more than 300 bytes"):
        weights.save_json(_lecture_weights(), tmp_path / "w.json")
    assert not (tmp_path / "w.json").exists()


def test_a_session_the_loader_would_refuse_is_not_written(tmp_path):
    session = _session()
    session.training.steps = 200_000
    with pytest.raises(SessionError, match="could not be opened again.*number of steps"):
        save_session(session, tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def test_a_dataset_the_reader_would_refuse_is_not_written(tmp_path):
    from engine import data

    big = data.Dataset([[0.0]] * (data.MAX_SAMPLES + 1), [1.0] * (data.MAX_SAMPLES + 1))
    with pytest.raises(DataError, match="at most 100,000"):
        write_csv(big, tmp_path / "big.csv")
    assert not (tmp_path / "big.csv").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_saving_onto_a_pipe_or_a_folder_is_refused_and_leaves_it_as_it_is(tmp_path):
    """The rename would put a regular file in its place (as root, /dev/null's too)."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="a device or a pipe, not a file"):
        atomic_write_bytes(pipe, b"1")
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="a folder, not a file"):
        atomic_write_bytes(folder, b"1")
    assert folder.is_dir() and sorted(tmp_path.iterdir()) == sorted([pipe, folder])  # no temporary file left


@pytest.mark.parametrize(
    "text, expected",
    [
        # 30 digits: an int; 31: a float (which fields refuse); a long run in a string: ints stay ints
        ('{"seed": 123456789012345678901234567890}', 123456789012345678901234567890),
        ('{"seed": 1234567890123456789012345678901}', 1.2345678901234568e30),
        ('{"name": "1234567890123456789012345678901", "seed": 7}', 7),
        ('{"seed": 7, "w": 1.2345678901234567e-05}', 7),
    ],
)
def test_integers_longer_than_30_digits_become_floats_and_shorter_ones_stay_exact(text, expected):
    """Integers are read by JSON's own parser unless the text has a run of over 30 digits; then each
    integer goes through the check that turns a too-long one into a float (a field then refuses it)."""
    seed = files.parse_json(text, "f.json")["seed"]
    assert seed == expected and type(seed) is type(expected)
