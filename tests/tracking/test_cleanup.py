"""Runs whose process died are closed as KILLED and tagged; live and foreign runs are left alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.cleanup import cleanup_interrupted_runs
from resume_ner.tracking.stage_runs import start_stage_run

ORPHAN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from resume_ner.config.mlflow import load_mlflow_config
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.config.project import ProjectConfig
    from resume_ner.naming.context import NamingContext
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.stage_runs import start_stage_run

    paths = ProjectPaths.at(sys.argv[1])
    with TrackingContext.open(paths, ProjectConfig.load(), tracking_uri=sys.argv[2], environ={}) as tracking:
        context = NamingContext("hpo_sweep", "tiny", study_key_hash="9" * 64)
        print(start_stage_run(tracking, context).run_id)
    # exits without ending the run, as a killed process would
    """
)


def _orphan_run(project) -> str:
    result = subprocess.run(
        [sys.executable, "-c", ORPHAN, str(project.paths.root), project.tracking_uri],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.split()[-1]


def _experiments(tracking) -> list[str]:
    return [e.experiment_id for e in tracking.client.search_experiments()]


def test_a_run_whose_process_is_gone_is_killed_and_tagged_interrupted(tracking, project):
    orphan = _orphan_run(project)
    found = cleanup_interrupted_runs(
        tracking.client,
        _experiments(tracking),
        registry=tracking.registry,
        project=tracking.policy.project,
        host=tracking.host,
    )
    assert [run.run_id for run in found] == [orphan]
    run = tracking.client.get_run(orphan)
    assert run.info.status == "KILLED"
    assert run.data.tags["code.interrupted"] == "true"
    assert "is gone" in run.data.tags["code.interrupted_reason"]


def test_dry_run_lists_interrupted_runs_without_closing_them(tracking, project):
    orphan = _orphan_run(project)
    found = cleanup_interrupted_runs(
        tracking.client,
        _experiments(tracking),
        registry=tracking.registry,
        project=tracking.policy.project,
        host=tracking.host,
        dry_run=True,
    )
    assert [run.run_id for run in found] == [orphan]
    assert tracking.client.get_run(orphan).info.status == "RUNNING"


def test_runs_of_a_live_process_or_another_host_are_left_running(tracking):
    mine = start_stage_run(
        tracking, NamingContext("hpo_sweep", "tiny", study_key_hash="1" * 64)
    ).run_id
    foreign = start_stage_run(
        tracking, NamingContext("hpo_sweep", "tiny", study_key_hash="2" * 64)
    ).run_id
    tracking.client.set_tag(foreign, "code.host", "another-machine")
    tracking.client.set_tag(foreign, "code.pid", "1")
    found = cleanup_interrupted_runs(
        tracking.client,
        _experiments(tracking),
        registry=tracking.registry,
        project=tracking.policy.project,
        host=tracking.host,
    )
    assert found == []
    assert tracking.client.get_run(mine).info.status == "RUNNING"
    assert tracking.client.get_run(foreign).info.status == "RUNNING"


def test_a_pid_reused_by_a_later_process_does_not_keep_a_dead_run_alive(tracking):
    import time

    run_id = start_stage_run(
        tracking, NamingContext("hpo_sweep", "tiny", study_key_hash="3" * 64)
    ).run_id
    time.sleep(1.5)  # the next process starts clearly after the run did
    later = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        tracking.client.set_tag(run_id, "code.pid", str(later.pid))
        found = cleanup_interrupted_runs(
            tracking.client,
            _experiments(tracking),
            registry=tracking.registry,
            project=tracking.policy.project,
            host=tracking.host,
        )
    finally:
        later.kill()
        later.wait()
    assert [run.run_id for run in found] == [run_id]


def test_a_live_process_that_started_before_the_run_keeps_it_running(tracking):
    run_id = start_stage_run(
        tracking, NamingContext("hpo_sweep", "tiny", study_key_hash="4" * 64)
    ).run_id
    tracking.client.set_tag(run_id, "code.pid", "1")  # pid 1 started long before this run
    found = cleanup_interrupted_runs(
        tracking.client,
        _experiments(tracking),
        registry=tracking.registry,
        project=tracking.policy.project,
        host=tracking.host,
    )
    assert found == []
    assert tracking.client.get_run(run_id).info.status == "RUNNING"


def test_a_run_of_another_machine_is_closed_only_once_its_heartbeat_is_older_than_the_grace(
    tracking,
):
    from datetime import UTC, datetime, timedelta

    from resume_ner.tracking.index.base import ProcessId

    context = NamingContext("hpo_sweep", "tiny", study_key_hash="8" * 64)
    run_id = start_stage_run(tracking, context).run_id
    tracking.client.set_tag(run_id, tracking.registry.key("process", "host"), "elsewhere")
    tracking.client.set_tag(run_id, tracking.registry.key("process", "pid"), "42")
    elsewhere = ProcessId("elsewhere", 42)
    silent = (datetime.now(UTC) - timedelta(seconds=120)).isoformat()

    def cleanup(beats):
        return cleanup_interrupted_runs(
            tracking.client,
            _experiments(tracking),
            registry=tracking.registry,
            project=tracking.policy.project,
            host=tracking.host,
            beats=beats,
            grace_s=60,
        )

    assert cleanup({}) == []  # never beat: cannot be judged from here
    assert cleanup({elsewhere: datetime.now(UTC).isoformat()}) == []
    [closed] = cleanup({elsewhere: silent})
    assert closed.run_id == run_id
    run = tracking.client.get_run(run_id)
    assert run.info.status == "KILLED"
    assert "no heartbeat" in run.data.tags["code.interrupted_reason"]
