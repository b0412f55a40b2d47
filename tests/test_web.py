"""`derive serve` through Starlette's test client: every endpoint and error status, the page contract
(notes: web-contract), hostile answers over HTTP, escaping, the CSP, and a pool that outlives its workers."""
from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 for its test client; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from derive import api  # noqa: E402
from derive.grading.isolate import Failure, Pool  # noqa: E402
from derive.limits import DEFAULT_TIMEOUT, GRACE  # noqa: E402
from derive.problem import course, store  # noqa: E402
from derive.web import Settings, create_app  # noqa: E402
from derive.web.guard import RateLimit  # noqa: E402
from derive.web.pages import environment, problem_view  # noqa: E402
from tests.test_hostile import ATTACKS  # noqa: E402
from tests.test_isolate import task  # noqa: E402

TIMEOUT = DEFAULT_TIMEOUT  # as `derive check`: the API's answers are compared with derive.api's
XSS = "<script>alert(1)</script>"
STATIC = Path(__file__).resolve().parent.parent / "derive" / "web" / "static"


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(workers=2, timeout=TIMEOUT, rate=1000, burst=1000))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def sheet_client():
    app = create_app(Settings(workers=1, timeout=TIMEOUT, solutions=False, rate=1000, burst=1000))
    with TestClient(app) as c:
        yield c


class Elements(HTMLParser):
    """Every start tag as (tag, attributes), and the text of each <pre>, for the contract checks."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, id_: str) -> dict | None:
        return next((a for t, a in self.tags if t == tag and a.get("id") == id_), None)


def assert_no_inline_code(html: str) -> None:
    page = Elements(html)
    scripts = [a for t, a in page.tags if t == "script"]
    assert scripts and all(a.get("src", "").startswith("/static/") for a in scripts)
    assert "<script>" not in html and "<style" not in html
    assert not [a for _, a in page.tags if "style" in a or any(k.startswith("on") for k in a)]
    assert any(a.get("href") == "/static/katex/katex.min.css" for t, a in page.tags if t == "link")
    assert any(a.get("src") == "/static/katex/katex.min.js" for a in scripts)


# -- pages --------------------------------------------------------------------------------------
def test_the_list_links_every_problem_in_course_order(client):
    response = client.get("/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    links = [a["href"] for t, a in Elements(response.text).tags if t == "a" and a.get("class") == "problem-link"]
    ids = [p["id"] for p in api.problems()]
    assert links == [f"/problems/{p}" for p in course.ordered(ids)]
    assert_no_inline_code(response.text)


def test_a_problem_page_follows_the_contract(client):
    report = api.derive_part("two-layer-l2")
    response = client.get("/problems/two-layer-l2")
    assert response.status_code == 200
    page = Elements(response.text)
    for part in report["parts"]:
        pid = part["id"]
        for tag, id_ in [("section", f"part-{pid}"), ("textarea", f"answer-{pid}"), ("div", f"preview-{pid}"),
                         ("button", f"check-{pid}"), ("div", f"verdict-{pid}"), ("button", f"show-solution-{pid}"),
                         ("div", f"solution-{pid}")]:
            assert page.find(tag, id_) is not None, (tag, id_)
        assert "hidden" in page.find("div", f"solution-{pid}")
        assert response.text.count(f'id="solution-{pid}"') == 1  # one element an id
        assert part["steps"][0]["rule"] in response.text
    for tag, id_ in [("textarea", "steps-input"), ("select", "steps-part"), ("button", "steps-check"),
                     ("div", "steps-result")]:
        assert page.find(tag, id_) is not None, id_
    options = [a.get("value") for t, a in page.tags if t == "option"]
    assert options == [p["id"] for p in report["parts"]] + [""]
    assert "<pre>" in response.text  # the computation graph as text
    assert_no_inline_code(response.text)


def test_the_equiv_page_follows_the_contract(client):
    page = Elements(client.get("/equiv").text)
    for tag, id_ in [("textarea", "equiv-first"), ("textarea", "equiv-second"), ("button", "equiv-check"),
                     ("div", "equiv-result")]:
        assert page.find(tag, id_) is not None, id_


def test_an_unknown_problem_page_is_404_and_escaped(client):
    hostile = "<img src=x onerror=alert(1)>"
    response = client.get("/problems/" + hostile)
    assert response.status_code == 404 and "unknown problem" in response.text
    assert hostile not in response.text and "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_templates_escape_everything_a_report_holds():
    report = api.derive_part("tanh-derivative")
    hostile = {**report, "title": XSS, "statement": f"{XSS} and ${XSS}$",
               "parts": [{**p, "statement": XSS, "steps": [{**s, "rule": XSS, "latex": XSS} for s in p["steps"]]}
                         for p in report["parts"]]}
    html = environment().get_template("problem.html").render(problem=problem_view(hostile, True), solutions=True)
    assert XSS not in html and html.count("&lt;script&gt;") >= 4


def test_the_script_never_writes_html():
    source = (STATIC / "derive.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink
    assert "trust: false" in source and "maxExpand" in source


def test_katex_is_shipped_woff2_only_and_small():
    katex = STATIC / "katex"
    assert (katex / "katex.min.js").is_file() and (katex / "katex.min.css").is_file() and (katex / "LICENSE").is_file()
    fonts = list((katex / "fonts").iterdir())
    assert fonts and all(f.suffix == ".woff2" for f in fonts)
    assert sum(f.stat().st_size for f in katex.rglob("*") if f.is_file()) < 1_000_000


def test_every_response_has_the_csp(client):
    for response in (client.get("/"), client.get("/api/problems"), client.get("/static/derive.js"),
                     client.post("/api/check", content=b"{")):
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"


# -- the JSON API -------------------------------------------------------------------------------
def test_get_problems_and_one_problem(client):
    assert client.get("/api/problems").json() == api.problems()
    assert client.get("/api/problems/softmax-jacobian").json() == api.derive_part("softmax-jacobian")
    assert client.get("/api/problems/two-layer-l2?part=dW2").json() == api.derive_part("two-layer-l2", "dW2")
    assert client.get("/api/problems/two-layer-l2/solution?part=dW2").json() == \
        api.derive_part("two-layer-l2", "dW2")


@pytest.mark.parametrize("url", ["/api/problems/softmax-jacobain", "/api/problems/two-layer-l2?part=dw2",
                                 "/api/problems/nope/solution", "/api/nothing"])
def test_unknown_is_404_json(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.json()["error"]


def test_parse_previews_the_reading_or_the_error(client):
    good = client.post("/api/parse", json={"target": "softmax-jacobian/jacobian", "text": "s_i*(delta_ij - s_j)"})
    assert good.status_code == 200 and good.json()["ok"] and r"\delta_{ij}" in good.json()["latex"]
    bad = client.post("/api/parse", json={"target": "softmax-jacobian/jacobian", "text": "s_i*(delta_ij - "})
    assert bad.status_code == 200 and not bad.json()["ok"] and "column 16" in bad.json()["error"]
    free = client.post("/api/parse", json={"text": "1/(1+exp(-2x))"})
    assert free.json() == {"ok": True, "latex": r"\frac{1}{1 + e^{- 2 x}}", "format": "text", "notes": []}


def test_check_equiv_steps_give_the_cli_shapes(client):
    right = client.post("/api/check", json={"target": "softmax-jacobian/jacobian", "answer": "s_i*(delta_ij - s_j)"})
    assert right.status_code == 200 and right.json() == api.check("softmax-jacobian/jacobian", "s_i*(delta_ij - s_j)")
    assert right.json()["verdict"] == "equivalent"
    wrong = client.post("/api/check", json={"problem": "tanh-derivative", "answer": "1 + tanh(x)^2"}).json()
    assert wrong["verdict"] == "not_equivalent" and wrong["diagnosis"] and wrong["counterexample"]
    equiv = client.post("/api/equiv", json={"first": "sqrt(x^2)", "second": "x", "assume": ["x>0"]}).json()
    assert equiv == api.equiv("sqrt(x^2)", "x", assume=["x>0"])
    text = "d/dx tanh(x) = (1/cosh(x))^2 = 1 + tanh(x)^2\n"
    steps = client.post("/api/steps", json={"target": "tanh-derivative", "text": text}).json()
    assert steps == api.steps("tanh-derivative", text)
    assert steps["first_wrong"]["verdict"] == "does_not_follow"


@pytest.mark.parametrize("url,body,status", [
    ("/api/check", b"{not json", 400),
    ("/api/check", b"[1, 2]", 400),
    ("/api/check", b'{"target": "tanh-derivative"}', 400),
    ("/api/check", b'{"target": "tanh-derivative", "answer": 3}', 400),
    ("/api/check", b'{"target": "tanh-derivative", "answer": "1", "format": "word"}', 400),
    ("/api/check", b"\xff\xfe", 400),
    ("/api/check", b'{"target": "softmax-jacobain/jacobian", "answer": "1"}', 404),
    ("/api/check", b'{"target": "two-layer-l2", "answer": "1"}', 404),
    ("/api/parse", b'{"target": "nope/x", "text": "1"}', 404),
    ("/api/equiv", b'{"first": "x", "second": "x", "assume": ["x<0"]}', 400),
    ("/api/steps", b'{"target": "tanh-derivative", "text": "no equation here"}', 400),
    ("/api/steps", b'{"target": "tanh-derivative", "text": "a = b", "lines": "2"}', 400),
], ids=["not-json", "not-object", "missing", "not-string", "format", "not-utf8", "unknown", "no-part",
        "parse-unknown", "assume", "no-chain", "lines"])
def test_bad_requests_get_their_status_and_a_message(client, url, body, status):
    response = client.post(url, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and "\n" not in response.json()["error"]


def test_a_body_over_64_kb_is_refused_without_reading_it(client):
    big = b'{"target": "tanh-derivative", "answer": "' + b"x" * 70_000 + b'"}'
    assert client.post("/api/check", content=big).status_code == 413



def test_a_streamed_body_is_cut_once_past_the_limit():
    """Without a Content-Length the server stops reading as soon as the body passes 64 KB."""
    import anyio
    from starlette.requests import Request

    from derive.web.guard import HTTPProblem, read_json

    sent = []

    async def receive():
        sent.append(1)
        return {"type": "http.request", "body": b" " * 8192, "more_body": len(sent) < 1000}

    request = Request({"type": "http", "method": "POST", "headers": [], "path": "/api/check"}, receive)

    async def read():
        with pytest.raises(HTTPProblem) as refused:
            await read_json(request)
        return refused.value

    refused = anyio.run(read)
    assert refused.status == 413 and "64 KB" in refused.message
    assert len(sent) == 9  # 9 × 8 KB > 64 KB: not one chunk more


def test_the_rate_limit_answers_429(client):
    server = client.app.state.server
    saved = server.limit
    now = [0.0]
    server.limit = RateLimit(rate=1.0, burst=3, clock=lambda: now[0])
    try:
        codes = [client.get("/api/problems").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        assert "too many" in client.get("/api/problems").json()["error"]
        now[0] += 2.0  # two tokens back
        assert [client.get("/api/problems").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        server.limit = saved


def test_no_solutions_is_honoured(sheet_client):
    page = sheet_client.get("/problems/softmax-jacobian").text
    assert 'id="solution-jacobian"' not in page and 'id="show-solution-jacobian"' not in page
    assert "Show the solution" not in page
    assert 'id="check-jacobian"' in page
    response = sheet_client.get("/api/problems/softmax-jacobian/solution")
    assert response.status_code == 403 and "no solutions" in response.json()["error"]
    sheet = sheet_client.get("/api/problems/softmax-jacobian").json()
    assert sheet["parts"] and all("steps" not in p and "answer" not in p for p in sheet["parts"])
    answer = api.derive_part("softmax-jacobian")["parts"][0]["steps"][-1]["latex"]
    assert answer not in str(sheet)
    checked = sheet_client.post("/api/check", json={"target": "softmax-jacobian/jacobian", "answer": "s_i"})
    assert checked.json()["verdict"] == "not_equivalent"
    assert checked.json()["reference_latex"] is None  # the JSON gives the answer away no more than the page
    stepped = sheet_client.post("/api/steps", json={"target": "softmax-jacobian/jacobian",
                                                    "text": "ds_i/dx_j = s_i (delta_ij - s_j)"})
    assert stepped.json()["final"]["verdict"] == "equivalent" and stepped.json()["final"]["reference_latex"] is None


# -- hostile input and a pool that survives -----------------------------------------------------
def test_hostile_answers_over_http_each_within_its_limit(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pids = sorted(client.app.state.server.pool.pids())
    written: list = []
    monkeypatch.setattr(store, "write", lambda *args: written.append(args))  # the cache: never per request
    for name, answer in ATTACKS.items():
        for url, body in [("/api/check", {"target": "softmax-jacobian/jacobian", "answer": answer}),
                          ("/api/parse", {"target": "softmax-jacobian/jacobian", "text": answer})]:
            start = time.monotonic()
            response = client.post(url, json=body)
            assert time.monotonic() - start < TIMEOUT + GRACE + 3, (name, url)
            if name == "one megabyte":
                assert response.status_code == 413
                continue
            assert response.status_code == 200, (name, url, response.text)
            data = response.json()
            if url == "/api/check":
                assert data["verdict"] in ("invalid", "undecided"), name
                assert "\n" not in data["message"] and "Traceback" not in data["message"]
            else:
                assert data["ok"] is False or name in ("tower", "power tower", "huge exponent"), name
    assert list(tmp_path.iterdir()) == [] and written == []  # no request writes a file
    good = client.post("/api/check", json={"target": "softmax-jacobian/jacobian", "answer": "s_i*(delta_ij - s_j)"})
    assert good.json()["verdict"] == "equivalent"
    assert len(client.app.state.server.pool.pids()) == len(pids)


def test_xss_answer_comes_back_only_as_json(client):
    for url, body in [("/api/check", {"target": "tanh-derivative", "answer": XSS}),
                      ("/api/parse", {"target": "tanh-derivative", "text": XSS}),
                      ("/api/equiv", {"first": XSS, "second": "x"}),
                      ("/api/steps", {"target": "tanh-derivative", "text": f"{XSS} = 1"})]:
        response = client.post(url, json=body)
        assert response.headers["content-type"].startswith("application/json"), url


def test_a_killed_worker_is_replaced_and_the_server_answers(client):
    pool = client.app.state.server.pool
    before = pool.pids()
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    for _ in range(3):
        answer = client.post("/api/check", json={"target": "tanh-derivative", "answer": "1 - tanh(x)^2"}).json()
        assert answer["verdict"] == "equivalent"
    assert len(pool.pids()) == len(before) and not set(pool.pids()) & set(before)


def test_concurrent_requests_each_get_their_own_answer(client):
    answers = {f"{k} - tanh(x)^2": ("equivalent" if k == 1 else "not_equivalent") for k in range(1, 7)}
    got: dict[str, str] = {}

    def ask(answer):
        got[answer] = client.post("/api/check", json={"target": "tanh-derivative", "answer": answer}).json()["verdict"]

    threads = [threading.Thread(target=ask, args=(a,)) for a in answers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert got == answers


def test_the_pool_outlives_spinning_crashing_and_hungry_tasks():
    pool = Pool(task, workers=2, timeout=1.0, memory_mb=512)
    try:
        results: dict[str, object] = {}

        def run(payload):
            results[payload] = pool.submit(payload)

        threads = [threading.Thread(target=run, args=(p,)) for p in ("spin", "exit", "memory", "sleep", "bug")]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert time.monotonic() - start < 15
        assert all(isinstance(results[p], Failure) for p in ("spin", "exit", "memory", "sleep", "bug")), results
        assert "did not finish" in results["sleep"].reason  # type: ignore[union-attr]
        assert pool.submit("ok") == "OK" and len(pool.pids()) == 2
    finally:
        pool.close()
    assert pool.submit("late") == Failure("the server is shutting down")


def test_derive_serve_prints_its_url_serves_and_stops_on_ctrl_c():
    import json
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "derive.cli", "serve", "--port", str(port), "--workers", "1"],
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()  # type: ignore[union-attr]
        assert f"http://127.0.0.1:{port}/" in line, line
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/problems", timeout=5) as response:
                    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
                    assert json.load(response) == api.problems()
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not come up"
                time.sleep(0.2)
        server.send_signal(signal.SIGINT)
        assert server.wait(15) in (0, -signal.SIGINT)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(5)


def allocate(megabytes):
    return len(bytearray(megabytes * 1024 * 1024)) // (1024 * 1024)


def test_a_worker_forked_from_a_grown_server_keeps_its_whole_memory_budget():
    """A server's threads reserve address space (stacks, malloc arenas) that a replacement worker inherits:
    the memory limit counts what the check allocates beyond that, and still stops a runaway."""
    import mmap

    pool = Pool(allocate, workers=1, timeout=5.0, memory_mb=300)
    reserved = mmap.mmap(-1, 1 << 30)  # 1 GB of address space, never touched (as thread stacks are)
    try:
        for pid in pool.pids():
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        pool.submit(1)  # the dead worker is found and replaced: forked now, with the 1 GB mapped
        assert pool.submit(1) == 1
        assert pool.submit(200) == 200
        refused = pool.submit(600)
        assert isinstance(refused, Failure) and "memory" in refused.reason
    finally:
        reserved.close()
        pool.close()


def test_a_busy_port_is_one_line_before_any_work():
    import socket

    from click.testing import CliRunner

    from derive.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_cited_result_is_named_once_in_a_solution(client):
    """The engine's note already says which part a step uses ("from part dZ3"): the page does not add it again."""
    page = client.get("/problems/relu-mlp").text
    assert "from part dZ3" in page and "from relu-mlp/dZ3" not in page
