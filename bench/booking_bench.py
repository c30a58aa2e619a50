"""Booking and catalog benchmark through the gateway, against a running platform.

    uv run astro dev                                  # shell 1: the platform with demo data
    uv run python bench/booking_bench.py              # shell 2
    uv run python bench/booking_bench.py --duration 20 --clients 100 500 --catalog-rate 200

What it measures (targets from issue 6: booking p99 < 100 ms at 500 concurrent clients, catalog
p99 < 20 ms at 200 req/s, on the 2-core machine):

* booking: ``--clients`` closed-loop clients, each sending ``bookSeats`` (one passenger) as a
  fresh customer (a token minted with the platform's ``ASTRO_JWT_SECRET``, so the per-customer cap
  never trips) on one launch scheduled for the run with seats for every request. Throughput is
  successful bookings per second; latency is the mutation's round trip through the gateway (the
  ledger sync runs behind it, asynchronously).
* catalog (first, on a quiet platform): an open-loop visitor load at a fixed ``--catalog-rate`` of ``catalog(first: 20)``
  queries (the visitors' Redis cache included), latency measured from each request's scheduled
  start, so a stall counts against the percentiles.

The demo supplier (``supplier@astrobookings.dev``) adds a rocket and schedules the launch; the
script reads ``ASTRO_*`` like every ``astro`` command (``--url`` overrides the gateway address).
Results are printed and written to ``bench/results/booking.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from astro.demo import DEMO_PASSWORD  # noqa: E402
from astro.identity import issue_access_token  # noqa: E402
from astro.settings import Settings, get_settings  # noqa: E402
from gateway.transport import SubgraphClient, TransportError  # noqa: E402

BOOK = """
mutation Book($input: BookSeatsInput!) { bookSeats(input: $input) { id status } }
"""
CATALOG = """
query Catalog { catalog(first: 20) {
  edges { node { id slug destination launchDate pricePerSeat seatsLeft } }
  pageInfo { hasNextPage endCursor } } }
"""
PASSENGER = {"name": "Bench Traveller", "dateOfBirth": "1985-06-15", "email": "b@example.com"}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (0..1) of ``values`` by nearest rank, in the values' unit."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def post(
    http: SubgraphClient, url: str, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """One GraphQL request over the gateway's own lean HTTP client (httpx's pool costs
    O(connections) per request, which dominates at hundreds of connections)."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    raw = await http.post(
        url, orjson.dumps({"query": query, "variables": variables}), headers, dedupe=False
    )
    body: dict[str, Any] = orjson.loads(raw)
    return body


async def schedule_launch(http: SubgraphClient, url: str, seats: int) -> str:
    """A launch with ``seats`` seats on a new rocket of the demo supplier; its id."""
    login = await post(
        http,
        url,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        {"e": "supplier@astrobookings.dev", "p": DEMO_PASSWORD},
        None,
    )
    token = login["data"]["login"]["accessToken"]
    rocket = await post(
        http,
        url,
        "mutation($input: AddRocketInput!) { addRocket(input: $input) { id } }",
        {"input": {"name": f"Bench {uuid.uuid4().hex[:6]}", "capacity": seats, "range": "LEO"}},
        token,
    )
    spaceports = await post(http, url, "{ spaceports { id } }", {}, None)
    when = (datetime.now(UTC) + timedelta(days=700)).replace(microsecond=0)
    scheduled = await post(
        http,
        url,
        "mutation($input: ScheduleLaunchInput!) { scheduleLaunch(input: $input) { id } }",
        {
            "input": {
                "rocketId": rocket["data"]["addRocket"]["id"],
                "spaceportId": spaceports["data"]["spaceports"][0]["id"],
                "destination": "Benchmark Orbit",
                "launchDate": when.isoformat(),
                "pricePerSeat": "1000.00",
                "seats": seats,
            }
        },
        token,
    )
    if "errors" in scheduled:
        raise SystemExit(f"could not schedule the bench launch: {scheduled['errors']}")
    launch_id: str = scheduled["data"]["scheduleLaunch"]["id"]
    # The catalog learns of it through the sync; bookings need it there.
    listed = (
        """query($f: LaunchFilter) { catalog(filter: $f, first: 100) { edges { node { id } } } }"""
    )
    for _ in range(100):
        body = await post(http, url, listed, {"f": {"destination": "Benchmark Orbit"}}, None)
        edges = ((body.get("data") or {}).get("catalog") or {}).get("edges", [])
        if any(edge["node"]["id"] == launch_id for edge in edges):
            return launch_id
        await asyncio.sleep(0.1)
    raise SystemExit("the bench launch did not reach the catalog within 10 s")


async def booking_run(
    url: str, settings: Settings, launch_id: str, clients: int, duration: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + duration

    async def client(http: SubgraphClient) -> None:
        while time.perf_counter() < stop_at:
            sub = str(uuid.uuid4())
            token = issue_access_token(
                settings, sub=sub, email=f"{sub[:8]}@bench.example", roles=["customer"]
            )
            variables = {"input": {"launchId": launch_id, "passengers": [PASSENGER]}}
            started = time.perf_counter()
            try:
                body = await post(http, url, BOOK, variables, token)
            except (TransportError, OSError, ValueError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            elapsed = time.perf_counter() - started
            if body.get("errors"):
                code = str(body["errors"][0].get("extensions", {}).get("code"))
                errors[code] = errors.get(code, 0) + 1
            else:
                latencies.append(elapsed)

    http = SubgraphClient(timeout=60)
    started = time.perf_counter()
    await asyncio.gather(*(client(http) for _ in range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "bookings": len(latencies),
        "bookings_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "errors": errors,
    }


async def booking_rate_run(
    url: str, settings: Settings, launch_id: str, rate: float, duration: float, users: int
) -> dict[str, Any]:
    """Open loop: ``bookSeats`` arrive at ``rate`` per second from ``users`` distinct customers
    (each at most ``ceil(rate * duration / users)`` bookings, so the cap never trips); latency
    counts from each request's scheduled start, so a stall counts against the percentiles."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    interval = 1.0 / rate
    total = int(rate * duration)
    tokens = []
    for _ in range(users):
        sub = str(uuid.uuid4())
        tokens.append(
            issue_access_token(
                settings, sub=sub, email=f"{sub[:8]}@bench.example", roles=["customer"]
            )
        )
    variables = {"input": {"launchId": launch_id, "passengers": [PASSENGER]}}
    in_flight = 0
    most_in_flight = 0
    http = SubgraphClient(timeout=60)
    start = time.perf_counter()

    async def one(index: int) -> None:
        nonlocal in_flight, most_in_flight
        scheduled = start + index * interval
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        try:
            body = await post(http, url, BOOK, variables, tokens[index % users])
        except (TransportError, OSError, ValueError) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return
        finally:
            in_flight -= 1
        if body.get("errors"):
            code = str(body["errors"][0].get("extensions", {}).get("code"))
            errors[code] = errors.get(code, 0) + 1
        else:
            latencies.append(time.perf_counter() - scheduled)

    await asyncio.gather(*(one(index) for index in range(total)))
    return {
        "rate": rate,
        "users": users,
        "bookings": len(latencies),
        "most_in_flight": most_in_flight,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "errors": errors,
    }


async def catalog_run(url: str, rate: float, duration: float) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    interval = 1.0 / rate
    total = int(rate * duration)

    http = SubgraphClient(timeout=30)
    start = time.perf_counter()

    async def one(index: int) -> None:
        nonlocal failures
        scheduled = start + index * interval
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            body = await post(http, url, CATALOG, {}, None)
        except (TransportError, OSError, ValueError):
            failures += 1
            return
        if body.get("errors"):
            failures += 1
        else:
            latencies.append(time.perf_counter() - scheduled)

    await asyncio.gather(*(one(index) for index in range(total)))
    return {
        "rate": rate,
        "requests": total,
        "failures": failures,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    settings = get_settings()
    url = args.url or f"http://{settings.host}:{settings.gateway_port}/graphql"
    launch_id = await schedule_launch(SubgraphClient(timeout=30), url, seats=1_000_000)
    results: dict[str, Any] = {
        "url": url,
        "launch_id": launch_id,
        "booking": [],
        "booking_rate": [],
        "catalog": None,
    }
    if args.catalog_rate > 0:
        catalog = await catalog_run(url, args.catalog_rate, args.duration)
        results["catalog"] = catalog
        print(
            f"catalog  {catalog['rate']:.0f} req/s: p50 {catalog['p50_ms']} ms  "
            f"p99 {catalog['p99_ms']} ms  failures {catalog['failures']}/{catalog['requests']}"
        )
    for clients in args.clients:
        run = await booking_run(url, settings, launch_id, clients, args.duration)
        results["booking"].append(run)
        print(
            f"booking  {clients:>4} clients: {run['bookings_per_s']:>7} bookings/s  "
            f"p50 {run['p50_ms']} ms  p99 {run['p99_ms']} ms  errors {run['errors']}"
        )
    for rate in args.booking_rates:
        run = await booking_rate_run(url, settings, launch_id, rate, args.duration, args.users)
        results["booking_rate"].append(run)
        print(
            f"booking  {rate:>6.0f}/s from {args.users} customers: p50 {run['p50_ms']} ms  "
            f"p99 {run['p99_ms']} ms  at most {run['most_in_flight']} in flight  "
            f"errors {run['errors']}"
        )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the gateway's /graphql URL (default from ASTRO_*)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per run")
    parser.add_argument("--clients", type=int, nargs="*", default=[100, 500])
    parser.add_argument(
        "--booking-rates",
        type=float,
        nargs="*",
        default=[],
        help="open-loop booking arrival rates (bookings/s) to measure after the closed loop",
    )
    parser.add_argument("--users", type=int, default=500, help="customers in the open loop")
    parser.add_argument("--catalog-rate", type=float, default=200.0, help="catalog req/s (0: skip)")
    parsed = parser.parse_args()
    outcome = asyncio.run(main(parsed))
    out = HERE / "results" / "booking.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(outcome, indent=2) + "\n")
    print(f"wrote {out.relative_to(HERE.parent)}")
