"""Every core on one machine, and a Dask cluster when a station outgrows it (issue 17).

A local pool and a real Dask cluster (a `dask scheduler` and two `dask
worker` processes on 127.0.0.1, each in its own folder) build the same bytes
as one episode at a time; the store can be a folder or a real S3 server
(moto, over HTTP); a worker killed mid-transcription, an unreachable
scheduler and a store that refuses writes are caused for real.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import threading
import time

import pytest

from station.build import runner as pipeline
from station.compute import work as work_mod
from station.errors import StoreError
from tests import dask_cluster
from tests.conftest import TEXT, TRANSCRIPTS_OFF, Station
from tests.s3 import CREDENTIALS, bucket_contents, free_port, make_bucket, moto_server

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
TEXTS = [
    TEXT,
    "The kettle is on and the radio is low. Tonight we talk about sleep, and the nights it will not come.",
    "I kept a notebook in my first year. Most pages just say: still here. That was enough.",
    "My sister drove two hours to sit with me in a waiting room. We did not talk much. She stayed.",
    "Meetings were hard at first. I sat by the door every week, and then one week I sat in the circle.",
    "Walking helps me. Round the park at six in the morning, before the shops open, before the thoughts.",
    "We are here until the morning. If you are awake and on your own, you are not the only one.",
    "A relapse is not the end of a story. It was a chapter for me, and the next one was better.",
]


def fill(station: Station, count: int = 8, **kw) -> None:
    """`count` episodes of different real speech; with transcripts on, the first hides a place name it says (so
    its audio is rendered twice, the second time with the name covered)."""
    transcribing = TRANSCRIPTS_OFF not in (station.root / "station.toml").read_text()
    for i in range(count):
        clip = station.clips.get(f"scale-{i}.mp3", text=TEXTS[i % len(TEXTS)], **kw)
        extra = {"redact": ["Crawley"]} if i == 0 and transcribing else {}
        station.episode(f"episode-{i}.mp3", source=clip, title=f"Night {i}", **extra)


def twin(station: Station, name: str, compute: str) -> Station:
    """A copy of the station with other [compute] settings: the same content, built apart."""
    other = Station.__new__(Station)
    other.root, other.clips = station.root.parent / name, station.clips
    shutil.copytree(station.root, other.root)
    toml = other.root / "station.toml"
    toml.write_text(toml.read_text() + f"\n[compute]\n{compute}\n")
    return other


def cache_files(station: Station) -> dict[str, str]:
    from tests.conftest import tree_hashes

    cache = station.root / ".station" / "cache"
    return {k: v for k, v in tree_hashes(cache).items() if k.startswith(("audio/", "transcripts/"))}


def same_bytes(a: Station, b: Station) -> None:
    assert a.site_files() == b.site_files()
    assert cache_files(a) == cache_files(b)


# ------------------------------------------------------------ this machine


def test_the_local_pool_builds_the_same_bytes_as_one_at_a_time(station):
    fill(station, 4)
    station.episode("again.mp3", source=station.clips.get("scale-1.mp3"), title="Night 1, again")  # shared work
    serial, pooled = twin(station, "serial", "workers = 1"), twin(station, "pooled", "workers = 2")
    one, two = serial.build(now=NOW), pooled.build(now=NOW)
    assert one.errors == two.errors
    assert [o.state for o in two.episodes] == [o.state for o in one.episodes]
    assert two.tasks == one.tasks == 4  # the recording published twice is one task
    assert two.work == one.work
    same_bytes(serial, pooled)
    assert list((pooled.root / ".station" / "cache" / "store").rglob("*")) == []  # the go-between is emptied


def test_a_build_with_nothing_new_starts_nothing(station):
    fill(station, 2)
    station.build(now=NOW)
    # A scheduler nobody listens at: reaching for it would stop the build; a no-change build never does.
    toml = station.root / "station.toml"
    toml.write_text(toml.read_text() + f'\n[compute]\nscheduler = "tcp://127.0.0.1:{free_port()}"\n')
    started = time.monotonic()
    again = station.build(now=NOW)
    assert again.errors == [] and again.tasks == 0 and again.work == {}
    assert {o.state for o in again.episodes} == {"unchanged"}
    assert time.monotonic() - started < 10


def test_dry_run_says_how_much_audio_work_a_build_would_do_and_writes_nothing(station):
    fill(station, 3, pad_s=2.0)
    run = station.cli("build", "--dry-run")
    assert run.returncode == 0, run.stderr
    # Each clip: speech plus 2 s of silence either end, trimmed to 0.3 s either end.
    said = run.stdout.strip().splitlines()[-2:]
    assert said[1] == "Checked 3 episodes: 3 checked."
    assert said[0].startswith("A build would work on the audio of 3 episodes: ")
    minutes = float(said[0].split(": ")[1].split(" ")[0])
    assert 0.1 < minutes < 1.0
    assert not (station.root / "site").exists()
    station.build(now=NOW)
    run = station.cli("check")
    assert run.stdout.strip().splitlines()[-2] == (
        "A build would do no audio work: every episode's audio and transcript is ready."
    )


# ------------------------------------------------------------ faults that need no cluster


@pytest.mark.slow
def test_an_unreachable_scheduler_is_said_plainly_and_the_local_pool_only_if_asked(station):
    fill(station, 2)
    port = free_port()
    compute = f'scheduler = "tcp://127.0.0.1:{port}"\nconnect_timeout_s = 1'
    stopped = twin(station, "stopped", compute)
    run = stopped.cli("build")
    assert run.returncode == 2
    assert " ".join(run.stderr.split()) == (
        f"Stopped: the Dask scheduler at tcp://127.0.0.1:{port} cannot be reached (OSError: Timed out trying to "
        f"connect to tcp://127.0.0.1:{port} after 1 s) — check that it is running (`dask scheduler`), that this "
        "machine can reach that address and port (a firewall?), and that `[compute] scheduler` or `--scheduler` "
        'names it; or set `[compute] fallback = "local"` to build here when it cannot be reached'
    )
    assert not (stopped.root / "site").exists()

    falling = twin(station, "falling", compute + '\nfallback = "local"')
    run = falling.cli("build")
    assert run.returncode == 0, run.stderr
    assert "Working on this machine instead, as `[compute] fallback` says." in " ".join(run.stderr.split())
    serial = twin(station, "serial", "workers = 1")
    serial.build(now=NOW)
    same_bytes(serial, falling)


def test_a_scheduler_given_on_the_command_line_is_checked_like_the_setting(station):
    fill(station, 1)
    run = station.cli("build", "--scheduler", "10.0.0.5:8786")
    assert run.returncode == 2
    assert " ".join(run.stderr.split()) == (
        "The station's settings need fixing before anything can be built: problem --scheduler: `scheduler`: "
        "'10.0.0.5:8786' is not a Dask scheduler's address → write it like `tcp://10.0.0.5:8786`, or leave it "
        "out to work on this machine"
    )


@pytest.fixture
def credentials(monkeypatch):
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)


def test_a_store_that_refuses_writes_stops_the_build_plainly(station, credentials):
    fill(station, 1)
    with moto_server() as url:  # a real S3 server with no such bucket
        refused = twin(station, "refused", f'store = "s3://no-such-bucket/work"\nendpoint_url = "{url}"')
        with pytest.raises(StoreError) as raised:
            refused.build(now=NOW)
        assert str(raised.value) == (
            "the artefact store s3://no-such-bucket/work refused to take a file (NoSuchBucket: The specified bucket "
            "does not exist) — check that it "
            "exists and that the station and every worker may read and write it (`[compute] store`, docs/scale.md)"
        )
    blocked = twin(station, "blocked", 'store = "station.toml/store"')  # a folder that cannot be made
    run = blocked.cli("build")
    assert run.returncode == 2
    assert " ".join(run.stderr.split()) == (
        f"Stopped: the artefact store {blocked.root}/station.toml/store refused to take a file (Not a directory) — "
        "check that it exists and that the station and every worker may read and write it (`[compute] store`, "
        "docs/scale.md)"
    )
    assert not (blocked.root / "site").exists()


# ------------------------------------------------------------ a real Dask cluster


@pytest.mark.slow
@pytest.mark.transcribe
def test_a_dask_cluster_builds_what_one_machine_builds_byte_for_byte(station, tmp_path):
    fill(station)
    serial = twin(station, "serial", "workers = 1")
    one = serial.build(now=NOW)
    assert one.problems == [], [str(p) for p in one.problems]
    assert one.work["transcribe"] == 8 and one.work["render"] == 9  # 8 + 1 with words hidden
    with dask_cluster.cluster(tmp_path / "cluster") as c:
        remote = twin(station, "remote", f'scheduler = "{c.address}"')
        notices: list[str] = []
        events = pipeline.Events()
        events.notice = notices.append  # type: ignore[method-assign]
        two = pipeline.build(remote.config, now=NOW, events=events)
        assert notices == [f"Working on the Dask cluster at {c.address}; its dashboard: " + notices[0].split(": ")[-1]]
        assert notices[0].split(": ")[-1].startswith("http://127.0.0.1:")
        with c.client() as client:
            reads = client.run(work_mod.model_reads)
    assert two.problems == [], [str(p) for p in two.problems]
    assert two.work == one.work
    same_bytes(serial, remote)
    # Both workers did some of it, and each read the model from disk once, whatever number of tasks it ran.
    assert len(two.workers) == 2 and sum(two.workers.values()) == 8
    assert sorted(reads.values()) == [["tiny.en"], ["tiny.en"]]
    # Nothing of the station's folder was read by a worker: each had only its own folder and the store.
    for folder in c.folders:
        assert not list(folder.rglob("*.mp3"))
    assert list((remote.root / ".station" / "cache" / "store").rglob("*")) == []
    again = remote.build(now=NOW)
    assert again.tasks == 0 and again.work == {}


@pytest.mark.slow
@pytest.mark.transcribe
def test_a_dask_cluster_with_its_store_in_an_s3_bucket(station, tmp_path, credentials):
    fill(station)
    serial = twin(station, "serial", "workers = 1")
    serial.build(now=NOW)
    with moto_server() as url:
        s3 = make_bucket(url, "peerwave-work")
        env = {**CREDENTIALS, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
        with dask_cluster.cluster(tmp_path / "cluster", env=env) as c:
            remote = twin(
                station,
                "remote",
                f'scheduler = "{c.address}"\nstore = "s3://peerwave-work/artefacts"\nendpoint_url = "{url}"',
            )
            result = remote.build(now=NOW)
        assert result.errors == [] and len(result.workers) == 2
        assert bucket_contents(s3, "peerwave-work") == {}  # a go-between: emptied after the build
    same_bytes(serial, remote)


@pytest.mark.slow
@pytest.mark.transcribe
def test_a_worker_killed_mid_transcription_leaves_the_build_whole(station, tmp_path):
    fill(station, 4, speed=110)
    serial = twin(station, "serial", "workers = 1")
    serial.build(now=NOW)
    with dask_cluster.cluster(tmp_path / "cluster") as c:
        remote = twin(station, "remote", f'scheduler = "{c.address}"')
        killed: list[int] = []
        pids = {p.pid for p in c.workers}

        def kill(event) -> None:
            message = event[1]
            if message.get("stage") == "transcribing" and not killed and message.get("pid") in pids:
                killed.append(message["pid"])
                os.kill(message["pid"], signal.SIGKILL)

        with c.client() as client:
            client.subscribe_topic("peerwave-progress", kill)
            done: list = []
            builder = threading.Thread(target=lambda: done.append(remote.build(now=NOW)))
            builder.start()
            builder.join(600)
            assert not builder.is_alive()
        result = done[0]
    assert killed, "no transcription was caught running"
    assert [p.poll() for p in c.workers if p.pid == killed[0]] == [-signal.SIGKILL]
    assert result.errors == [] and result.work["transcribe"] == 4
    assert all(not w.endswith(f":{killed[0]}") for w in result.workers)  # what it was doing ran elsewhere
    same_bytes(serial, remote)


@pytest.mark.slow  # the everyday tier keeps test_the_local_pool_builds_the_same_bytes_as_one_at_a_time
def test_a_small_dask_cluster_builds_the_same_bytes(station, tmp_path):
    """The fast tier's sibling of the tests above: two episodes, no model, a real scheduler and two workers."""
    fill(station, 2)
    serial = twin(station, "serial", "workers = 1")
    serial.build(now=NOW)
    with dask_cluster.cluster(tmp_path / "cluster") as c:
        remote = twin(station, "remote", f'scheduler = "{c.address}"')
        result = remote.build(now=NOW)
    assert result.errors == [] and result.tasks == 2
    same_bytes(serial, remote)


def test_a_task_that_fails_holds_back_its_episode_alone(station, monkeypatch):
    """A bug in one recording's work (caused here: it cannot be caused for real) is that episode's problem."""
    from station.build.stages import inspect

    fill(station, 3)
    real = inspect.analyse

    def broken(path, where, settings, on_progress=None):
        if where.endswith("episode-1.mp3"):
            raise RuntimeError("something inside broke")
        return real(path, where, settings, on_progress)

    monkeypatch.setattr(inspect, "analyse", broken)
    result = station.build(now=NOW)
    assert [o.state for o in result.episodes] == ["built", "held back", "built"]
    assert [str(p) for p in result.problems] == [
        "content/shows/night-talk/episode-1.mp3: the work on this recording failed (RuntimeError: something inside "
        "broke) — build again; if it keeps failing, run `station build -v` and send the output to whoever looks "
        "after the station"
    ]
    monkeypatch.setattr(inspect, "analyse", real)
    again = station.build(now=NOW)
    assert [o.state for o in again.episodes] == ["unchanged", "built", "unchanged"] and again.tasks == 1
