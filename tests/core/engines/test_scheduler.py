"""The model scheduler: priority order, yield points, errors, idle callback, preemptible stops."""

from __future__ import annotations

import threading

from assistant.core.engines import scheduler as sched
from assistant.core.engines.scheduler import IDLE, ModelScheduler, Priority


def _start(scheduler: ModelScheduler) -> threading.Thread:
    thread = threading.Thread(target=scheduler.run_forever, daemon=True)
    thread.start()
    return thread


def _stop(scheduler: ModelScheduler, thread: threading.Thread) -> None:
    scheduler.close()
    thread.join(60)
    assert not thread.is_alive()


def test_interactive_jobs_run_before_queued_background_jobs_and_each_priority_keeps_its_order():
    scheduler = ModelScheduler()
    ran: list[str] = []
    done = threading.Event()
    for name in ("bg1", "bg2"):
        scheduler.submit(lambda name=name: ran.append(name), Priority.BACKGROUND, name)
    for name in ("chat1", "chat2"):
        scheduler.submit(lambda name=name: ran.append(name), Priority.INTERACTIVE, name)
    scheduler.submit(done.set, Priority.BACKGROUND, "end")
    thread = _start(scheduler)
    assert done.wait(60)
    assert ran == ["chat1", "chat2", "bg1", "bg2"]
    _stop(scheduler, thread)


def test_a_background_job_lets_queued_interactive_work_run_at_its_next_yield_point():
    scheduler = ModelScheduler()
    order: list[str] = []
    step_started = threading.Event()
    chat_queued = threading.Event()
    finished = threading.Event()

    def live_session() -> None:
        with sched.background("Updating live notes"):
            for step in range(3):
                sched.yield_point()
                order.append(f"step {step}")
                step_started.set()
                if step == 0:
                    assert chat_queued.wait(60)
                    assert sched.urgent_work_waiting()  # the step can give way at its next token
        finished.set()

    scheduler.submit(live_session, Priority.INTERACTIVE, "Live")
    thread = _start(scheduler)
    assert step_started.wait(60)
    scheduler.submit(lambda: order.append("chat"), Priority.INTERACTIVE, "Writing a reply")
    chat_queued.set()
    assert finished.wait(60)
    assert order == ["step 0", "chat", "step 1", "step 2"]  # the chat waited for one step only
    _stop(scheduler, thread)


def test_yield_points_do_not_run_work_of_the_same_or_lower_priority():
    scheduler = ModelScheduler()
    order: list[str] = []
    finished = threading.Event()

    def interactive_job() -> None:
        scheduler.submit(lambda: order.append("other chat"), Priority.INTERACTIVE, "chat")
        scheduler.submit(lambda: order.append("background"), Priority.BACKGROUND, "bg")
        sched.yield_point()
        order.append("first chat ends")

    scheduler.submit(interactive_job)
    scheduler.submit(finished.set, Priority.BACKGROUND)
    thread = _start(scheduler)
    assert finished.wait(60)
    assert order == ["first chat ends", "other chat", "background"]
    _stop(scheduler, thread)


def test_a_job_that_raises_reports_through_on_error_and_the_loop_lives_on():
    scheduler = ModelScheduler()
    errors: list[str] = []
    after = threading.Event()

    def broken() -> None:
        raise ZeroDivisionError("boom")

    scheduler.submit(broken, on_error=errors.append)
    scheduler.submit(after.set)
    thread = _start(scheduler)
    assert after.wait(60)
    assert errors == ["Unexpected error: boom"]
    _stop(scheduler, thread)


def test_activity_names_the_running_job_and_returns_to_idle():
    seen: list[str] = []
    scheduler = ModelScheduler(seen.append)
    done = threading.Event()

    def live() -> None:
        with sched.background("Updating live notes"), sched.doing("Writing the final notes"):
            pass

    scheduler.submit(lambda: None, label="Writing a reply")
    scheduler.submit(live, label="Working")
    scheduler.submit(done.set, label="Last")
    thread = _start(scheduler)
    assert done.wait(60)
    _stop(scheduler, thread)
    assert seen[:6] == ["Writing a reply", IDLE, "Working", "Updating live notes", "Writing the final notes", "Updating live notes"]
    assert "Last" in seen


def test_idle_callback_runs_once_after_the_idle_time_and_again_only_after_more_work():
    idle_calls: list[int] = []
    became_idle = threading.Event()

    def on_idle() -> None:
        idle_calls.append(1)
        became_idle.set()

    scheduler = ModelScheduler(idle_seconds=lambda: 0.05, on_idle=on_idle)
    thread = _start(scheduler)
    ran = threading.Event()
    scheduler.submit(ran.set)
    assert ran.wait(60) and became_idle.wait(60)
    became_idle.clear()
    again = threading.Event()
    scheduler.submit(again.set)
    assert again.wait(60) and became_idle.wait(60)
    _stop(scheduler, thread)
    assert len(idle_calls) == 2


def test_without_a_scheduler_the_helpers_do_nothing():
    stop = threading.Event()
    assert sched.preemptible(stop) is stop
    assert not sched.urgent_work_waiting()
    sched.yield_point()
    with sched.background("x"), sched.doing("y"):
        pass
    assert sched.pause(stop, 0.01) is False


def test_a_preemptible_stop_reads_set_while_urgent_work_waits_but_is_not_a_real_stop():
    scheduler = ModelScheduler()
    seen: dict[str, bool] = {}
    finished = threading.Event()

    def background_job() -> None:
        with sched.background("bg"):
            stop = threading.Event()
            preemptible = sched.preemptible(stop)
            seen["before"] = preemptible.is_set()
            scheduler.submit(lambda: None, Priority.INTERACTIVE, "chat")
            seen["while waiting"] = preemptible.is_set()
            seen["real stop"] = stop.is_set()
            sched.yield_point()
            seen["after"] = preemptible.is_set()
        finished.set()

    scheduler.submit(background_job)
    thread = _start(scheduler)
    assert finished.wait(60)
    _stop(scheduler, thread)
    assert seen == {"before": False, "while waiting": True, "real stop": False, "after": False}


def test_giving_way_copies_the_engines_cache_before_urgent_work_and_puts_it_back_after():
    from assistant.core.engines.fake import FakeEngine

    events: list[str] = []

    class CachingEngine(FakeEngine):
        def save_cache(self):
            events.append("saved")
            return "cache"

        def restore_cache(self, saved):
            events.append(f"restored {saved}")
            return True

    engine = CachingEngine()
    scheduler = ModelScheduler()
    finished = threading.Event()

    def background_job() -> None:
        with sched.background("bg"):
            sched.give_way(engine)  # nothing waits: no copy is made
            scheduler.submit(lambda: events.append("chat"), Priority.INTERACTIVE, "chat")
            sched.give_way(engine)
        finished.set()

    scheduler.submit(background_job)
    thread = _start(scheduler)
    assert finished.wait(60)
    _stop(scheduler, thread)
    assert events == ["saved", "chat", "restored cache"]
