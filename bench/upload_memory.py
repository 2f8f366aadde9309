"""Web-worker memory while uploading a recording whose header hides its length (issue #11, item 1).

    .venv/bin/python bench/upload_memory.py [--compare /work/main] [--hours 10] [--minutes 100]

For each code tree (this repository, and ``--compare`` another checkout such as main), the script
migrates a fresh instance, starts gunicorn with one sync worker on a free loopback port, and POSTs to
/api/calls:

* the hostile file: a ``--hours`` (10) FLAC of a faint tone (6.9 MB) whose STREAMINFO total-samples
  field is zeroed, so no header says how long it is;
* a genuine ``--minutes`` (100) FLAC, within QA_MAX_AUDIO_MINUTES (120), to show an accepted upload.

While each request runs, the worker's resident memory is sampled from /proc every 20 ms and its peak
(VmHWM) read at the end; ffmpeg runs as the worker's child and is reported separately (it is its own
process and exits with the request). Prints a table and writes bench/results/upload_memory.json.
Target: the worker's peak RSS stays below 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from hostile_audio import declare_samples, quiet_flac  # noqa: E402

TARGET_MB = 300
SETUP = """
from qa_app import create_app
from qa_app.db.session import transaction
from qa_app.services import authentication
from qa_app.services import organisation
from qa_app.services import users
from datetime import date
app = create_app()
with transaction(app.extensions["qa_sessionmaker"]) as db:
    user = users.create_user(db, username="bench", display_name="bench", password="Bench-pass-2026",
                                role="qa_reviewer", actor=None)
    team = organisation.create_team(db, name="bench", lead_user_id=None, actor=None)
    organisation.create_agent(db, employee_no="B0001", name="bench", team_id=team.id,
                          hire_date=date(2025, 1, 1), user_id=None, actor=None)
    print(authentication.issue_api_token(db, user, actor=user))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of a process in kB (empty when it is gone)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def _reset_peak(pid: int) -> None:
    """Reset VmHWM so each upload's peak is its own (the 20 ms sampler still runs if this is refused)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(x) for x in text.split()]


class Sampler(threading.Thread):
    """Peak RSS of a process and (separately) of its child processes, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.children_peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, _status(self.pid).get("VmRSS", 0))
            kids = sum(_status(c).get("VmRSS", 0) for c in _children(self.pid))
            self.children_peak_kb = max(self.children_peak_kb, kids)
            time.sleep(0.02)


def _multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def run_tree(tree: Path, files: dict[str, Path], workdir: Path) -> dict[str, object]:
    """Start one gunicorn worker on ``tree``'s code and upload each file; memory and outcome per file."""
    instance = workdir / f"instance-{tree.name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_INSTANCE_DIR=str(instance), QA_SECRET_KEY="bench-secret", PYTHONPATH=str(tree))
    py = sys.executable
    for cmd in ([py, "-m", "flask", "--app", "wsgi", "db-upgrade"], [py, "-c", SETUP]):
        done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{tree}: {' '.join(cmd[:5])} failed:\n{done.stderr[-2000:]}")
    token = done.stdout.split()[-1]
    port = _free_port()
    log = (workdir / f"gunicorn-{tree.name}.log").open("wb")
    server = subprocess.Popen(
        [py, "-m", "gunicorn", "-w", "1", "--timeout", "900", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    out: dict[str, object] = {"tree": str(tree)}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        (worker,) = _children(server.pid)
        for name, path in files.items():
            _reset_peak(worker)
            base = _status(worker).get("VmRSS", 0)
            body, ctype = _multipart(
                {"employee_no": "B0001", "started_at": "2026-11-29T10:00:00+08:00"},
                path.name,
                path.read_bytes(),
            )
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/calls",
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
            )
            sampler = Sampler(worker)
            sampler.start()
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(req, timeout=900) as resp:
                    status, reply = resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                status, reply = exc.code, json.loads(exc.read() or b"{}")
            elapsed = time.monotonic() - t0
            sampler.stop.set()
            sampler.join()
            hwm = _status(worker).get("VmHWM", 0)
            out[name] = {
                "status": status,
                "message": reply.get("message") or (reply.get("call") or {}).get("duration"),
                "stored_duration_s": (reply.get("call") or {}).get("duration"),
                "seconds": round(elapsed, 1),
                "worker_rss_before_mb": round(base / 1024, 1),
                "worker_peak_rss_mb": round(max(hwm, sampler.peak_kb) / 1024, 1),
                "ffmpeg_peak_rss_mb": round(sampler.children_peak_kb / 1024, 1),
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compare", type=Path, default=None, help="another checkout to measure the same way")
    ap.add_argument("--hours", type=float, default=10.0, help="length of the hostile FLAC")
    ap.add_argument("--minutes", type=float, default=100.0, help="length of the genuine FLAC")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="upload-memory-") as tmp:
        work = Path(tmp)
        print(f"building a {args.hours:g} h FLAC with a zeroed length and a {args.minutes:g} min one ...")
        files = {
            "genuine": quiet_flac(work / "genuine.flac", args.minutes * 60),
            "hostile": declare_samples(quiet_flac(work / "hidden-length.flac", args.hours * 3600), 0),
        }
        sizes = {k: round(p.stat().st_size / 1e6, 1) for k, p in files.items()}
        results = {"files_mb": sizes, "target_worker_peak_mb": TARGET_MB, "runs": []}
        for tree in [REPO, *([args.compare] if args.compare else [])]:
            print(f"measuring {tree} ...")
            results["runs"].append(run_tree(tree.resolve(), files, work))
    print(
        f"\nfiles: hostile {sizes['hostile']} MB ({args.hours:g} h, length zeroed), genuine {sizes['genuine']} MB"
    )
    print(
        f"{'tree':<28} {'file':<8} {'status':>6} {'time s':>7} {'worker peak MB':>15} {'ffmpeg MB':>10}  outcome"
    )
    for run in results["runs"]:
        for name in files:
            r = run[name]
            print(
                f"{Path(run['tree']).name:<28} {name:<8} {r['status']:>6} {r['seconds']:>7} "
                f"{r['worker_peak_rss_mb']:>15} {r['ffmpeg_peak_rss_mb']:>10}  {r['message']}"
            )
    out = REPO / "bench" / "results" / "upload_memory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwrote {out}")
    ours = results["runs"][0]
    return 0 if all(ours[n]["worker_peak_rss_mb"] < TARGET_MB for n in files) else 1


if __name__ == "__main__":
    raise SystemExit(main())
