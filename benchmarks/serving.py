"""Benchmark the model service: dynamic micro-batching vs a naive endpoint, and a soak test.

Both services run the same model in child processes on 127.0.0.1; this process is the load
generator (closed loop: each of N clients sends its next request when the previous one is answered).
Naive and batching runs alternate per concurrency level (naive-batching, then batching-naive, …, for
``--rounds`` rounds; medians are reported) so that both see the same machine load. The services get
``OMP_WAIT_POLICY=PASSIVE`` unless it is set already (as ``make`` does): on a shared 2-core machine
PyTorch's spinning threads otherwise measure oversubscription rather than batching.

    python benchmarks/serving.py --model PATH|ROLE                  # throughput, p50/p95 at 1, 8, 32 clients
    python benchmarks/serving.py --model PATH --soak 60 --skip-compare  # 60 s of mixed good/bad requests

Exit status 1 when the soak test sees a 5xx answer or a lost response (no answer / transport error).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psutil
import urllib3
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from utils.serving import DEFAULT_ROLE, start_background  # noqa: E402
from utils.serving.app import MAX_BODY_BYTES, MAX_TEXT_CHARS, MAX_TEXTS  # noqa: E402

JSON = {"content-type": "application/json"}
FRAGMENTS = [
    "The acting is superb", "the plot drags in the middle", "I laughed more than I expected",
    "a tired script with no surprises", "the soundtrack carries every scene", "it never finds its tone",
    "one of the best films of the year", "the ending felt rushed and cheap", "a warm, generous story",
    "two hours I will not get back", "the cast has real chemistry", "the dialogue is clumsy",
    "beautifully shot and carefully paced", "predictable from the first minute", "a small gem",
    "the jokes land about half the time", "it is too long by a good forty minutes", "a brave, odd film",
]


def review(rng: random.Random) -> str:
    """A synthetic movie-review sentence of 1–4 fragments (~30–160 characters)."""
    return ", and ".join(rng.sample(FRAGMENTS, rng.randint(1, 4))) + "."


def closed_loop(url: str, clients: int, seconds: float, make_request, seed: int = 0) -> dict:
    """Run ``clients`` concurrent loops for ``seconds``; return answers by status, latencies, losses.

    Clients are threads sharing a keep-alive ``urllib3`` pool without retries (a failed request is
    counted as lost, not hidden); urllib3 costs ~0.5 ms of client CPU per request, so on a 2-core
    machine the load generator leaves the cores to the service.
    """
    pool = urllib3.PoolManager(maxsize=clients, block=True, retries=False,
                               timeout=urllib3.Timeout(connect=10, read=120))
    statuses: Tally = Tally()
    latencies: list[float] = []
    lost: list[str] = []
    sent = [0]
    deadline = time.perf_counter() + seconds

    def one_client(index: int):
        rng = random.Random(seed * 1000 + index)
        while time.perf_counter() < deadline:
            method, path, body = make_request(rng)
            started = time.perf_counter()
            sent[0] += 1
            try:
                answer = pool.request(method, url + path, body=body, headers=JSON if body else None)
            except urllib3.exceptions.HTTPError as err:
                lost.append(f"{type(err).__name__}: {err}")
                continue
            latencies.append(time.perf_counter() - started)
            statuses[answer.status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as threads:
        list(threads.map(one_client, range(clients)))
    elapsed = time.perf_counter() - started
    pool.clear()
    return {"sent": sent[0], "statuses": dict(statuses), "latencies": latencies, "lost": lost, "elapsed": elapsed}


def predict_one(rng: random.Random):
    return "POST", "/predict", json.dumps({"text": review(rng)}).encode()


def summarise(run: dict) -> dict:
    ok = run["statuses"].get(200, 0)
    lat = np.asarray(run["latencies"]) * 1000
    return {"requests": run["sent"], "ok": ok, "rps": ok / run["elapsed"],
            "p50_ms": float(np.percentile(lat, 50)) if lat.size else None,
            "p95_ms": float(np.percentile(lat, 95)) if lat.size else None,
            "non_200": {str(k): v for k, v in run["statuses"].items() if k != 200}, "lost": len(run["lost"])}


def compare(model: str, levels: list[int], seconds: float, warmup: float, rounds: int, **options) -> list[dict]:
    """Throughput and latency of both services at each concurrency level, alternating runs."""
    rows = []
    with start_background(model, batching=True, log_level="warning", **options) as batched, \
            start_background(model, batching=False, log_level="warning", **options) as naive:
        services = {"naive": naive, "batching": batched}
        for service in services.values():
            closed_loop(service.url, 4, warmup, predict_one)
        order = list(services)  # reversed every other round, so neither mode always goes first
        runs = [(c, r, mode) for c in levels for r in range(rounds) for mode in (order if r % 2 == 0 else order[::-1])]
        for clients, rnd, mode in tqdm(runs, desc="benchmark", unit="run"):
            server = psutil.Process(services[mode].process.pid)
            cpu_before, batches_before = sum(server.cpu_times()[:2]), _batches(services[mode].url)
            result = summarise(closed_loop(services[mode].url, clients, seconds, predict_one, rnd))
            # server CPU per answered request: less sensitive than req/s to other load on the machine
            result["server_cpu_ms_per_request"] = (sum(server.cpu_times()[:2]) - cpu_before) * 1000 / max(result["ok"], 1)
            batches_after = _batches(services[mode].url)
            result["mean_batch_size"] = ((batches_after[1] - batches_before[1])
                                         / max(batches_after[0] - batches_before[0], 1))
            rows.append({"mode": mode, "clients": clients, "round": rnd} | result)
    return rows


def _batches(url: str) -> tuple[int, float]:
    """(forward passes, texts) the service has run so far."""
    batches = get_json(f"{url}/monitoring")["batches"]
    return batches["count"], batches["count"] * (batches["mean_size"] or 0)


def soak_request(rng: random.Random):
    """Mixed traffic: ~70 % good predictions, ~25 % bad input of every kind, some feedback/metrics."""
    roll = rng.random()
    if roll < 0.55:
        return predict_one(rng)
    if roll < 0.70:
        return "POST", "/predict", _json({"texts": [review(rng) for _ in range(rng.randint(2, 16))]})
    if roll < 0.95:
        return "POST", "/predict", rng.choice(BAD_BODIES)
    if roll < 0.98:
        return "POST", "/feedback", _json({"items": [{"prediction_id": f"{rng.getrandbits(64):x}", "label": 0}]})
    return "GET", rng.choice(["/metrics", "/monitoring", "/health"]), None


def _json(value) -> bytes:
    return json.dumps(value).encode()


BAD_BODIES = [  # each must get a 4xx
    *map(_json, [{"text": ""}, {"text": "   \n"}, {"text": "x" * (MAX_TEXT_CHARS + 1)},
                 {"texts": ["ok"] * (MAX_TEXTS + 1)}, {"text": 12}, {"texts": "a"}, {"text": "ok", "extra": True},
                 ["not", "an", "object"], {"texts": ["fine", None]}]),
    b'{"text": "\xff\xfe"}', b'{"text": ', b"x" * (MAX_BODY_BYTES + 10),
]


def get_json(url: str) -> dict:
    answer = urllib3.request("GET", url, timeout=60, retries=False)
    return json.loads(answer.data)


def soak(model: str, seconds: float, clients: int = 32, **options) -> dict:
    """``seconds`` of mixed traffic at ``clients`` concurrency; RSS of the server sampled each second."""
    with start_background(model, batching=True, log_level="warning", **options) as service:
        server = psutil.Process(service.process.pid)
        closed_loop(service.url, clients, 5, predict_one)  # warm-up at full batch size: allocator at steady state
        rss = [server.memory_info().rss]
        with ThreadPoolExecutor(1) as runner, tqdm(total=int(seconds), desc="soak", unit="s") as bar:
            task = runner.submit(closed_loop, service.url, clients, seconds, soak_request)
            while not task.done():
                time.sleep(1)
                rss.append(server.memory_info().rss)
                bar.update(1)
            run = task.result()
        rss.append(server.memory_info().rss)
        mb = [r / 2**20 for r in rss]
        server_errors = sum(v for k, v in run["statuses"].items() if k >= 500)
        return {"seconds": seconds, "clients": clients, "requests": run["sent"],
                "answered": sum(run["statuses"].values()), "statuses": {str(k): v for k, v in
                                                                      sorted(run["statuses"].items())},
                "server_errors": server_errors, "lost": len(run["lost"]), "lost_examples": run["lost"][:5],
                "rss_mb": {"start": round(mb[0], 1), "end": round(mb[-1], 1), "max": round(max(mb), 1),
                           "median_second_half": round(statistics.median(mb[len(mb) // 2:]), 1),
                           "per_second": [round(m, 1) for m in mb]},
                "monitoring": get_json(f"{service.url}/monitoring")}


def print_table(rows: list[dict]) -> None:
    print(f"{'mode':<9} {'clients':>7} {'round':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms/req':>10} "
          f"{'batch':>6} {'non-200':>8} {'lost':>5}")
    for r in rows:
        print(f"{r['mode']:<9} {r['clients']:>7} {r['round']:>5} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} "
              f"{r['p95_ms']:>8.1f} {r['server_cpu_ms_per_request']:>10.1f} {r['mean_batch_size']:>6.1f} "
              f"{sum(r['non_200'].values()):>8} {r['lost']:>5}")


def ratios(rows: list[dict]) -> dict:
    """Per concurrency level: batching/naive requests per second and p95 (medians over rounds)."""
    out = {}
    for clients in sorted({r["clients"] for r in rows}):
        pick = lambda mode, key: statistics.median(  # noqa: E731
            r[key] for r in rows if r["clients"] == clients and r["mode"] == mode)
        out[clients] = {"rps_ratio": pick("batching", "rps") / pick("naive", "rps"),
                        "p95_batching_ms": pick("batching", "p95_ms"), "p95_naive_ms": pick("naive", "p95_ms")}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=DEFAULT_ROLE, help="model folder or resource role")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--duration", type=float, default=6.0, help="seconds per run")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--rounds", type=int, default=3, help="repeat each (level, mode) run; medians are reported")
    p.add_argument("--torch-threads", type=int, default=0, help="forward-pass threads in both services")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="batching service: wait for a batch to fill")
    p.add_argument("--soak", type=float, default=0, help="also run a soak test of this many seconds")
    p.add_argument("--skip-compare", action="store_true", help="only the soak test")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)

    options = {"torch_threads": args.torch_threads, "max_wait_ms": args.max_wait_ms}
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # inherited by the services
    results: dict = {"model": args.model, "options": options, "cpu_count": psutil.cpu_count(),
                     "load_avg_start": psutil.getloadavg(),
                     "omp_wait_policy": os.environ["OMP_WAIT_POLICY"]}
    if not args.skip_compare:
        rows = compare(args.model, args.concurrency, args.duration, args.warmup, args.rounds, **options)
        print_table(rows)
        results["runs"], results["ratios"] = rows, ratios(rows)
        for clients, r in results["ratios"].items():
            print(f"{clients:>3} clients: batching/naive req/s = {r['rps_ratio']:.2f}x, "
                  f"p95 {r['p95_batching_ms']:.0f} ms vs {r['p95_naive_ms']:.0f} ms")
    status = 0
    if args.soak:
        results["soak"] = s = soak(args.model, args.soak, **options)
        print(f"soak {s['seconds']:.0f} s at {s['clients']} clients: {s['requests']} requests, "
              f"{s['answered']} answered, statuses {s['statuses']}, 5xx {s['server_errors']}, lost {s['lost']}, "
              f"RSS {s['rss_mb']['start']} -> {s['rss_mb']['end']} MB (max {s['rss_mb']['max']})")
        status = int(bool(s["server_errors"] or s["lost"] or s["answered"] != s["requests"]))
    results["load_avg_end"] = psutil.getloadavg()
    print("load average (1, 5, 15 min) at start {}, at end {}, on {} CPUs".format(
        *(" / ".join(f"{v:.2f}" for v in results[key]) for key in ("load_avg_start", "load_avg_end")),
        results["cpu_count"]))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=str))
    return status


if __name__ == "__main__":
    sys.exit(main())
