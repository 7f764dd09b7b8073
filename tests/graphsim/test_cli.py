"""`python -m graphsim`: announces its URL, serves, stops on SIGTERM; refuses a bad snapshot."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphsim", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serves_the_snapshot_with_cli_faults_until_sigterm(snapshot_dir: Path) -> None:
    process = run_cli(
        "--snapshot", str(snapshot_dir), "--port", "0", "--fault", "kind=503,path=/v1.0/users,times=1"
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        headers = {"Authorization": "Bearer t"}
        assert httpx.get(f"{url}/v1.0/users", headers=headers).status_code == 503
        assert httpx.get(f"{url}/v1.0/users", headers=headers).json()["value"][0]["id"] == "u1"
        assert httpx.get(f"{url}/_simulator/requests").json()["count"] == 2
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_bad_snapshot_directory_exits_2_with_one_line(tmp_path: Path) -> None:
    process = run_cli("--snapshot", str(tmp_path / "nowhere"), "--port", "0")
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 2
    assert stderr.strip() == f"error: snapshot directory {tmp_path / 'nowhere'} does not exist"
    assert len(stderr.strip().splitlines()) == 1


def test_bad_fault_spec_exits_2(snapshot_dir: Path) -> None:
    process = run_cli("--snapshot", str(snapshot_dir), "--fault", "kind=teapot")
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 2
    assert stderr.startswith("error: bad --fault: fault kind must be one of")
