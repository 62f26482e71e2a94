"""The job store and queue on SQLite and on the real PostgreSQL server: claims are exclusive,
leases expire and are taken over, state changes follow the rules users rely on."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from automl.jobs import MAX_ATTEMPTS, JobConflict, JobNotFound, JobSpec, JobStore

SPEC = JobSpec(target="y", n_trials=1)


def submit(store: JobStore, n: int = 1, owner: int | None = None) -> list[str]:
    if owner is None:
        owner = store.user_for_token(store.create_token("alice")).id  # type: ignore[union-attr]
    return [store.submit(owner, "dataset", SPEC).id for _ in range(n)]


def test_tokens_identify_their_user_and_nothing_else(store: JobStore) -> None:
    token = store.create_token("alice")
    again = store.create_token("alice")
    user = store.user_for_token(token)
    assert user is not None and user.name == "alice"
    assert store.user_for_token(again).id == user.id  # type: ignore[union-attr]
    assert store.user_for_token("not-a-token") is None


def test_claims_take_the_oldest_job_once(store: JobStore) -> None:
    first, second = submit(store, 2)
    claimed = store.claim("w1", lease_seconds=30)
    assert claimed is not None and claimed.id == first and claimed.state == "running"
    assert claimed.worker_id == "w1" and claimed.attempts == 1
    assert store.claim("w2", lease_seconds=30).id == second  # type: ignore[union-attr]
    assert store.claim("w3", lease_seconds=30) is None


def test_concurrent_claims_never_share_a_job(store: JobStore) -> None:
    jobs = submit(store, 30)
    claims: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (job := store.claim(name, lease_seconds=30)) is not None:
            with lock:
                claims.append((job.id, name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(job_id for job_id, _ in claims)
    assert sorted(counts) == sorted(jobs)
    assert set(counts.values()) == {1}


def test_an_expired_lease_is_taken_over_and_the_old_worker_is_told(store: JobStore) -> None:
    (job_id,) = submit(store)
    store.claim("dead", lease_seconds=0.5)
    assert store.claim("w2", lease_seconds=30) is None  # lease still held
    time.sleep(0.7)
    taken = store.claim("w2", lease_seconds=30)
    assert taken is not None and taken.id == job_id and taken.attempts == 2
    assert store.heartbeat(job_id, "dead", 30, 1.0).lease_lost
    assert not store.heartbeat(job_id, "w2", 30, 1.0).lease_lost
    assert not store.finish(job_id, "dead", "succeeded")  # the old worker cannot finish it
    events = store.events(job_id)
    assert [e.kind for e in events] == ["submitted", "claimed", "claimed"]
    assert "taken over from dead" in (events[-1].detail or "")


def test_a_job_that_keeps_losing_its_worker_fails(store: JobStore) -> None:
    (job_id,) = submit(store)
    for attempt in range(MAX_ATTEMPTS):
        assert store.claim(f"w{attempt}", lease_seconds=0.01) is not None
        time.sleep(0.05)
    assert store.claim("last", lease_seconds=30) is None
    job = store.get(job_id)
    assert job.state == "failed" and "stopped 3 times" in (job.error or "")


def test_cancel_resume_and_delete_follow_the_job_state(store: JobStore) -> None:
    queued, running = submit(store, 2)
    store.claim("w1", lease_seconds=30)  # takes `queued` (the oldest)
    store.claim("w2", lease_seconds=30)
    store.finish(queued, "w1", "succeeded")
    with pytest.raises(JobConflict, match="succeeded; nothing to cancel"):
        store.request_cancel(queued)
    with pytest.raises(JobConflict, match="only a cancelled or failed job can resume"):
        store.resume(queued)
    assert store.request_cancel(running).cancel_requested
    assert store.heartbeat(running, "w2", 30, 2.0).cancel_requested
    with pytest.raises(JobConflict, match="cancel it first"):
        store.delete(running)
    store.finish(running, "w2", "cancelled")
    resumed = store.resume(running)
    assert resumed.state == "queued" and not resumed.cancel_requested and resumed.attempts == 0
    store.delete(running)
    with pytest.raises(JobNotFound):
        store.get(running)


def test_users_only_reach_their_own_jobs(store: JobStore) -> None:
    alice = store.user_for_token(store.create_token("alice"))
    bob = store.user_for_token(store.create_token("bob"))
    assert alice is not None and bob is not None
    (job_id,) = submit(store, owner=alice.id)
    with pytest.raises(JobNotFound):
        store.get(job_id, owner_id=bob.id)
    with pytest.raises(JobNotFound):
        store.request_cancel(job_id, owner_id=bob.id)
    assert store.list_jobs(bob.id) == ([], 0)
    page, total = store.list_jobs(alice.id, state="queued", limit=10)
    assert total == 1 and page[0].id == job_id


def test_release_hands_a_running_job_back_to_the_queue(store: JobStore) -> None:
    (job_id,) = submit(store)
    store.claim("w1", lease_seconds=30)
    assert store.release(job_id, "w1", elapsed_seconds=12.5)
    job = store.get(job_id)
    assert job.state == "queued" and job.worker_id is None and job.elapsed_seconds == 12.5
    assert store.claim("w2", lease_seconds=30).id == job_id  # type: ignore[union-attr]
