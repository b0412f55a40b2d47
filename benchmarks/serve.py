"""`derive serve` under a classroom's load: concurrent clients on the loopback address (prints figures only).

    .venv/bin/python benchmarks/serve.py [CLIENTS] [CHECKS]      # default: 50 clients, 20 checks each

Starts `derive serve` on 127.0.0.1 and a free port (`--rate 10000`: its per-client
rate limit raised, every client here being the same address), then CLIENTS threads each
send CHECKS `POST /api/check` requests over one keep-alive connection: right
answers, wrong ones and hostile ones (deep nesting, huge exponents, long text,
LaTeX commands, Python, script tags, a body over 64 KB). Each response is
matched to its request: it names the request's problem and part, and a read
answer's reading (`student_latex`) contains the request's own number (every
answer carries one), an unreadable one's message is exactly what `derive
check` says about that answer here (the k terms put before each hostile
answer move its fault to a column of its own); the body over 64 KB must get
413. The verdicts are counted against the expected ones (right: equivalent,
wrong: not equivalent, hostile: `derive check`'s own). Figures: throughput,
median / p95 / max latency (per kind too), the statuses, the matched count,
and the resident memory of the server (and of its check workers) before and
after. Traffic goes to 127.0.0.1 only; the run is bounded (CLIENTS x CHECKS
requests, each waited for at most 120 s).
"""
from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serving import served  # noqa: E402

TIMEOUT = 120.0  # seconds a client waits for one response
WORKERS = 2  # the server's check workers (`derive serve --workers`, its default)


@dataclass(frozen=True)
class Request:
    number: int
    kind: str  # right / wrong / hostile
    problem: str
    part: str
    answer: str
    verdict: str  # the verdict expected, or an HTTP status ("413")
    token: str | None = None  # text that this request's reading must contain
    message: str | None = None  # or the exact message (an unreadable answer has no reading)


def right(n: int) -> list[tuple[str, str, str, str]]:
    """Equivalent answers that keep their own number n through the parser: (x+n)² − x² − 2nx − n² is 0."""
    return [
        ("tanh-derivative", "derivative", f"1 - tanh(x)^2 + (x+{n})^2 - x^2 - {2 * n} x - {n * n}", f"x + {n}"),
        ("softmax-jacobian", "jacobian",
         f"s_i*(delta_ij - s_j) + (x_i+{n})^2 - x_i^2 - {2 * n} x_i - {n * n}", f"x_{{i}} + {n}"),
        ("two-layer-l2", "dW2",
         f"A2^T (Psi - Delta)/N + (2 lambda + (lambda+{n})^2 - lambda^2 - {2 * n} lambda - {n * n}) W2",
         f"\\lambda + {n}"),
    ]


def wrong(n: int) -> list[tuple[str, str, str, str]]:
    return [
        ("tanh-derivative", "derivative", f"tanh(x)^2 + {n}", f"{n}"),
        ("softmax-jacobian", "jacobian", f"s_i*(1 - s_j) * {n + 1}", f"{n + 1}"),
        ("two-layer-l2", "dW2", f"A2^T (Psi - Delta)/N + {n + 3} lambda W2", f"{n + 3}"),
    ]


def hostile(n: int, k: int) -> list[str]:
    """Hostile answers; the k terms before each put its fault at a column (or length) of its own."""
    before = "x+" * k
    return [
        before + "(" * 300 + "x" + ")" * 300,                 # nested too deeply
        before + "(x+1)^(10^10)",                              # a huge exponent
        before + "7^7^7^7",                                    # a huge power
        before + "+".join(["x"] * 20_000),                     # long text (40 KB)
        "x+" * 40_000 + f"{n}",                                # a body over 64 KB
        before + "\\input{/etc/passwd}",                       # LaTeX commands
        before + "__import__('os').system('true')",            # Python
        before + f"<script>alert({n})</script>",               # HTML
        f"exp(exp(exp(exp(exp(x+{n})))))",                     # a tower (read, then wrong)
        f"{n}!",                                               # a huge factorial (read, then wrong)
    ]


def plan(clients: int, checks: int) -> list[list[Request]]:
    """Each client's requests: right and wrong answers, one in five hostile; every number distinct."""
    from derive.checking import check

    work: list[list[Request]] = []
    number = 0
    for c in range(clients):
        mine = []
        for k in range(checks):
            number += 1
            n = 1000 + number
            if k % 5 == 4:
                answer = hostile(n, number // 5 % 300)[(c + k) % 10]
                mine.append(expected_hostile(number, answer, check))
            else:
                kind, table = ("right", right(n)) if k % 2 == 0 else ("wrong", wrong(n))
                problem, part, answer, token = table[(c + k) % len(table)]
                verdict = "equivalent" if kind == "right" else "not_equivalent"
                mine.append(Request(number, kind, problem, part, answer, verdict, token=token))
        work.append(mine)
    return work


def expected_hostile(number: int, answer: str, check) -> Request:
    """What the server must say: 413 past 64 KB, else what `derive check` says in this process."""
    problem, part = "tanh-derivative", "derivative"
    body = json.dumps({"target": f"{problem}/{part}", "answer": answer})
    if len(body.encode()) > 64 * 1024:
        return Request(number, "hostile", problem, part, answer, "413")
    result = check(f"{problem}/{part}", answer)
    if result.student_latex is None:
        return Request(number, "hostile", problem, part, answer, result.verdict, message=result.message)
    return Request(number, "hostile", problem, part, answer, result.verdict, token=f"{1000 + number}")


@dataclass
class Outcome:
    request: Request
    status: int
    seconds: float
    body: dict
    matched: bool  # the response is this request's (its target, and its number in the reading or the message)
    why: str

    @property
    def verdict(self) -> str:
        return str(self.body.get("verdict")) if self.status == 200 else str(self.status)


def judge(request: Request, status: int, body: dict) -> tuple[bool, str]:
    if status == 413:
        return request.verdict == "413", "413"
    if status != 200:
        return False, f"status {status}: {str(body)[:200]}"
    if (body.get("problem"), body.get("part")) != (request.problem, request.part):
        return False, f"answered for {body.get('problem')}/{body.get('part')}"
    if body.get("verdict") == "undecided":  # under load: the response may still be told apart by nothing else
        return True, "undecided"
    if request.token is not None and request.token not in (body.get("student_latex") or ""):
        return False, f"the reading {body.get('student_latex')!r} lacks {request.token!r}"
    if request.message is not None and body.get("message") != request.message:
        return False, f"message {body.get('message')!r}, expected {request.message!r}"
    return True, ""


def client(port: int, requests: list[Request], outcomes: list[Outcome], start: threading.Barrier) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    start.wait()
    for request in requests:
        payload = json.dumps({"target": f"{request.problem}/{request.part}", "answer": request.answer})
        began = time.perf_counter()
        try:
            connection.request("POST", "/api/check", body=payload, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            raw = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            outcomes.append(Outcome(request, 0, time.perf_counter() - began, {}, False, f"no response: {exc}"))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            continue
        seconds = time.perf_counter() - began
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unreadable body": raw[:200].decode("utf-8", "replace")}
        matched, why = judge(request, status, body if isinstance(body, dict) else {"body": body})
        outcomes.append(Outcome(request, status, seconds, body, matched, why))
    connection.close()


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def memory(pid: int) -> str:
    workers = descendants(pid)
    total = rss_kb(pid) + sum(rss_kb(w) for w in workers)
    return f"server {rss_kb(pid) / 1024:.0f} MB, with its {len(workers)} worker processes {total / 1024:.0f} MB"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    checks = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    work = plan(clients, checks)
    # one address sends everything here: the per-client limit (10 a second by default) raised out of the way
    with served("--rate", "10000", "--workers", str(WORKERS)) as server:
        pid = server.process.pid
        # warm each target once (the first check of a problem loads its spec in the workers)
        for requests in work[:1]:
            client(server.port, [r for r in requests if r.kind != "hostile"][:6], [], threading.Barrier(1))
        before = memory(pid)
        outcomes: list[Outcome] = []
        barrier = threading.Barrier(clients)
        threads = [threading.Thread(target=client, args=(server.port, mine, outcomes, barrier)) for mine in work]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        after = memory(pid)
        alive = server.process.poll() is None

    sent = clients * checks
    times = [o.seconds * 1000 for o in outcomes]
    print(f"{clients} clients x {checks} checks = {sent} requests to 127.0.0.1 in {wall:.1f} s "
          f"({os.cpu_count()} cores): {len(outcomes) / wall:.1f} checks/s")
    print(f"latency: median {statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, "
          f"max {max(times):.0f} ms")
    for kind in ("right", "wrong", "hostile"):
        mine = [o.seconds * 1000 for o in outcomes if o.request.kind == kind]
        print(f"  {kind:8s} {len(mine):4d}: median {statistics.median(mine):.0f} ms, "
              f"p95 {percentile(mine, 0.95):.0f} ms")
    statuses: dict[int, int] = {}
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
    print("statuses:", ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items())))
    matched = sum(o.matched for o in outcomes)
    answered = {o.request.number for o in outcomes}
    undecided = sum(o.verdict == "undecided" for o in outcomes)
    expected = sum(o.verdict == o.request.verdict for o in outcomes)
    print(f"matched to their request: {matched}/{sent} (undecided, told apart by target only: {undecided}); "
          f"lost: {sent - len(answered)}; verdict as expected: {expected}/{sent}; "
          f"server alive after: {'yes' if alive else 'NO'}")
    for o in [o for o in outcomes if not o.matched or o.verdict != o.request.verdict][:10]:
        print(f"  #{o.request.number} ({o.request.kind}, status {o.status}, verdict {o.verdict}, "
              f"expected {o.request.verdict}): {o.why or str(o.body)[:160]}")
    print(f"memory before: {before}")
    print(f"memory after:  {after}")


if __name__ == "__main__":
    main()
