"""Side-by-side gateway benchmark: the AstroBookings gateway vs Apollo Gateway 2.14.1.

Both gateways serve the same supergraph over the same four subgraphs
(``bench/federation/subgraphs.py``), one after the other in one run. Each gateway is pinned to
core 0; the subgraphs and the load generator (wrk, closed loop, 50 connections) share core 1.

    uv run python bench/gateway_bench.py [--duration 20] [--connections 50] [--only astro]

Needs ``wrk`` (Debian package) and ``npm install --no-package-lock`` in ``bench/apollo``; the
script installs both when they are missing. Prints req/s, p50 and p99 latency, peak RSS and the
ratio, and writes them to ``bench/results/gateway.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))

QUERY = """
query TopProducts {
  topProducts(first: 40) {
    upc name price weight inStock shippingEstimate
    reviews { id body author { id username name } }
  }
}
"""

GATEWAY_PORTS = {"astro": 4100, "apollo": 4110}


def _compose_supergraph() -> str:
    sys.path.insert(0, str(HERE / "federation"))
    from gateway.compose import Subgraph, compose
    from subgraphs import PORTS, SCHEMAS  # type: ignore[import-not-found]

    return compose(
        [
            Subgraph(name, f"http://127.0.0.1:{PORTS[name]}/graphql", schema.as_str())
            for name, schema in SCHEMAS.items()
        ]
    )


def _wait_ready(url: str, timeout: float = 60) -> None:
    body = json.dumps({"query": "{ __typename }"}).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                url, body, {"content-type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def _post(url: str, query: str) -> dict[str, object]:
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


def _rss_mb(pid: int) -> float:
    total = 0
    for child in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            total += int(match.group(1))
    return total / 1024


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    kids = [int(p) for p in out.split()]
    return kids + [d for k in kids for d in _descendants(k)]


def _wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    script = RESULTS / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps({'query': QUERY}))}\n"
    )
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)

    def pct(label: str) -> float:
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": rps,
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if socket_errors else 0.0,
    }


def _ensure_tools() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    if not (HERE / "apollo" / "node_modules" / "@apollo" / "gateway").exists():
        subprocess.run(
            ["npm", "install", "--no-package-lock", "--no-audit", "--no-fund"],
            cwd=HERE / "apollo",
            check=True,
        )


def _start(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--only", choices=sorted(GATEWAY_PORTS))
    args = parser.parse_args()

    RESULTS.mkdir(exist_ok=True)
    _ensure_tools()
    supergraph = RESULTS / "supergraph.graphql"
    supergraph.write_text(_compose_supergraph())
    commands = {
        "astro": [
            sys.executable,
            "-m",
            "astroctl.cli",
            "gateway",
            "--supergraph",
            str(supergraph),
            "--port",
            str(GATEWAY_PORTS["astro"]),
        ],
        "apollo": [
            "node",
            str(HERE / "apollo" / "gateway.mjs"),
            str(supergraph),
            str(GATEWAY_PORTS["apollo"]),
        ],
    }
    subgraphs = _start(
        ["taskset", "-c", "1", sys.executable, str(HERE / "federation" / "subgraphs.py")],
        RESULTS / "subgraphs.log",
    )
    figures: dict[str, dict[str, float]] = {}
    reference: object = None
    try:
        time.sleep(2)
        for name, command in commands.items():
            if args.only and name != args.only:
                continue
            url = f"http://127.0.0.1:{GATEWAY_PORTS[name]}/graphql"
            proc = _start(["taskset", "-c", "0", *command], RESULTS / f"{name}.log")
            try:
                _wait_ready(url)
                answer = _post(url, QUERY)
                assert "errors" not in answer, answer
                if reference is None:
                    reference = answer
                elif answer != reference:
                    raise SystemExit(f"{name} answered differently from the first gateway")
                size = len(json.dumps(answer))
                _wrk(url, args.warmup, args.connections)
                result = _wrk(url, args.duration, args.connections)
                result["rss_mb"] = _rss_mb(proc.pid)
                result["response_kb"] = size / 1024
                figures[name] = result
                print(
                    f"{name:>7}: {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
                    f"p99 {result['p99_ms']:7.2f} ms  RSS {result['rss_mb']:6.1f} MB  "
                    f"({size / 1024:.1f} KB answers, non-2xx {result['non_2xx']:.0f})"
                )
            finally:
                _stop(proc)
    finally:
        _stop(subgraphs)
    if "astro" in figures and "apollo" in figures:
        ratio = figures["astro"]["rps"] / figures["apollo"]["rps"]
        p99 = figures["astro"]["p99_ms"] / figures["apollo"]["p99_ms"]
        print(f"  ratio: {ratio:.2f}x Apollo's req/s; p99 at {p99:.2f} of Apollo's")
        figures["ratio"] = {"rps": ratio, "p99": p99}
    (RESULTS / "gateway.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
