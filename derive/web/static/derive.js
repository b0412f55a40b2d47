// derive serve: live preview, Check, solutions, derivations and equivalence.
// Student text is only ever set with textContent; math goes through KaTeX with
// trust off and a maxExpand limit. No inline script: the page's CSP forbids it.
"use strict";

(function () {
  const PAUSE_MS = 300;
  const KATEX_OPTIONS = { throwOnError: false, trust: false, maxExpand: 200, maxSize: 20, strict: "ignore" };
  const WORDS = {
    equivalent: "equivalent",
    not_equivalent: "not equivalent",
    undecided: "undecided",
    invalid: "invalid",
  };
  const MARKS = { follows: "✓", follows_if: "✓ if", does_not_follow: "✗", unread: "?", undecided: "?" };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function typeset(node, tex, display) {
    node.textContent = "";
    if (window.katex) {
      try {
        window.katex.render(String(tex), node, Object.assign({ displayMode: !!display }, KATEX_OPTIONS));
        return node;
      } catch (error) {
        node.textContent = String(tex);
        return node;
      }
    }
    node.textContent = String(tex);
    return node;
  }

  function mathNode(tex, display) {
    return typeset(el(display ? "div" : "span", "math"), tex, display);
  }

  function renderAll(root) {
    root.querySelectorAll(".math[data-tex]").forEach(function (node) {
      typeset(node, node.getAttribute("data-tex"), node.classList.contains("display"));
    });
  }

  async function post(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (error) {
      return { status: 0, data: { error: "the server cannot be reached" } };
    }
    let data;
    try {
      data = await response.json();
    } catch (error) {
      data = { error: "the server's answer is not JSON (status " + response.status + ")" };
    }
    return { status: response.status, data: data };
  }

  function showError(box, message) {
    box.textContent = "";
    box.appendChild(el("p", "error", message));
  }

  // -- the live preview ------------------------------------------------------------------
  function showReading(box, data) {
    box.textContent = "";
    if (data.error && data.ok === undefined) {
      showError(box, data.error);
      return;
    }
    if (data.ok) {
      box.appendChild(el("span", "reading-label", "read as "));
      box.appendChild(mathNode(data.latex, false));
      return;
    }
    const error = el("div", "parse-error");
    error.appendChild(el("p", "parse-message", data.error));
    if (data.caret) error.appendChild(el("pre", "caret", data.caret));
    box.appendChild(error);
  }

  function attachPreview(area) {
    const box = document.getElementById(area.getAttribute("data-preview"));
    if (!box) return;
    let timer = null;
    let asked = 0;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const text = area.value;
        const mine = ++asked;
        if (!text.trim()) {
          box.textContent = "";
          return;
        }
        const body = { text: text };
        const target = area.getAttribute("data-target");
        if (target) body.target = target;
        else body.assume = assumptions();
        const answer = await post("/api/parse", body);
        if (mine === asked) showReading(box, answer.data);
      }, PAUSE_MS);
    });
  }

  // -- a verdict -----------------------------------------------------------------------------
  function pointText(point) {
    return Object.keys(point || {}).map(function (key) {
      const value = point[key];
      if (value !== null && typeof value === "object") {  // a vector's entries: x_1 = …, x_2 = …
        return Object.keys(value).map(function (n) { return key + "_" + n + " = " + value[n]; }).join(", ");
      }
      return key + " = " + value;
    }).join(", ");
  }

  function showVerdict(box, status, data, names) {
    box.textContent = "";
    if (status !== 200 || !data.verdict) {
      showError(box, data.error || "no answer from the server (status " + status + ")");
      return;
    }
    const word = WORDS[data.verdict] || data.verdict;
    box.className = "verdict verdict-" + data.verdict;
    const head = el("p", "verdict-word");
    head.appendChild(el("strong", null, word));
    box.appendChild(head);
    const c = data.counterexample;
    const why = data.diagnosis && data.diagnosis.length;
    const restates = data.message === word || data.message === word + " to the reference";
    if (!c && !why && !restates) {  // else the lines below say it, each once
      box.appendChild(el("p", "verdict-message", data.message));
    }
    if (data.student_latex) {
      const read = el("p", "verdict-reading", names.student + ": ");
      read.appendChild(mathNode(data.student_latex, false));
      box.appendChild(read);
    }
    if (why) {
      box.appendChild(el("p", "verdict-label", "Why:"));
      const list = el("ul", "diagnosis");
      data.diagnosis.forEach(function (why) { list.appendChild(el("li", null, why)); });
      box.appendChild(list);
    }
    if (data.assumptions_used && data.assumptions_used.length) {
      box.appendChild(el("p", "assumptions", "Assumptions used: " + data.assumptions_used.join("; ")));
    }
    if (c) {
      const lines = el("div", "counterexample");
      lines.appendChild(el("p", null, "Counterexample: at " + (pointText(c.point) || "every point")));
      lines.appendChild(el("p", null, names.studentValue + " " + c.student_value + ", " +
        names.referenceValue + " " + c.reference_value));
      box.appendChild(lines);
    }
    if (data.method) box.appendChild(el("p", "method", "checked: " + data.method));
  }

  function attachCheck(button) {
    const area = document.getElementById(button.getAttribute("data-answer"));
    const box = document.getElementById(button.getAttribute("data-verdict"));
    area.addEventListener("input", function () {  // a verdict is about the text it checked, not the new one
      box.textContent = "";
      box.className = "verdict";
    });
    button.addEventListener("click", async function () {
      box.textContent = "";
      box.appendChild(el("p", "pending", "checking…"));
      button.disabled = true;
      const answer = await post("/api/check", { target: button.getAttribute("data-target"), answer: area.value });
      button.disabled = false;
      showVerdict(box, answer.status, answer.data,
        { student: "Your answer, as read", studentValue: "your answer is", referenceValue: "the reference" });
    });
  }

  // -- solutions ------------------------------------------------------------------------------
  function attachSolution(button) {
    const section = button.closest("section");
    const panel = section ? section.querySelector("div.solution") : null;
    if (!panel) return;
    button.addEventListener("click", function () {
      const open = panel.hidden;
      panel.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "Hide the solution" : "Show the solution";
    });
  }

  // -- a whole derivation -------------------------------------------------------------------
  function showSteps(box, status, data) {
    box.textContent = "";
    if (status !== 200 || !data.links) {
      showError(box, data.error || "no answer from the server (status " + status + ")");
      return;
    }
    const table = el("table", "links");
    data.links.forEach(function (link, n) {
      const row = el("tr", "link link-" + link.verdict);
      row.appendChild(el("td", "mark", (MARKS[link.verdict] || "?") + (link.condition ? " " + link.condition : "")));
      row.appendChild(el("td", "line", "line " + link.line));
      row.appendChild(el("td", "step", link.left_latex + "  =  " + link.right_latex));
      const why = el("td", "why", link.verdict === "follows" ? "" : link.message);
      const first = data.first_wrong && link.verdict === "does_not_follow" &&
        data.links.findIndex(function (l) { return l.verdict === "does_not_follow"; }) === n;
      if (first) {
        row.classList.add("first-wrong");
        why.textContent = "first wrong step: " + link.message;
        if (link.diagnosis && link.diagnosis.length) why.appendChild(el("div", "diagnosis", link.diagnosis.join("; ")));
      }
      row.appendChild(why);
      table.appendChild(row);
    });
    box.appendChild(table);
    const s = data.summary;
    if (s) {
      box.appendChild(el("p", "summary", s.links + " links: " + s.follows + " ✓, " + s.follows_if + " ✓ if, " +
        s.does_not_follow + " ✗, " + (s.unread + s.undecided) + " ?"));
    }
    if (data.final) {
      const final = el("div", "final");
      final.appendChild(el("p", "verdict-label", "The final answer:"));
      const inner = el("div", "verdict");
      showVerdict(inner, 200, data.final,
        { student: "read as", studentValue: "the answer is", referenceValue: "the reference" });
      final.appendChild(inner);
      box.appendChild(final);
    }
  }

  function attachSteps(button) {
    const area = document.getElementById("steps-input");
    const select = document.getElementById("steps-part");
    const box = document.getElementById("steps-result");
    button.addEventListener("click", async function () {
      const problem = select.getAttribute("data-problem");
      const target = select.value ? problem + "/" + select.value : problem;
      box.textContent = "";
      box.appendChild(el("p", "pending", "checking every step…"));
      button.disabled = true;
      const answer = await post("/api/steps", { target: target, text: area.value });
      button.disabled = false;
      showSteps(box, answer.status, answer.data);
    });
  }

  // -- two free expressions -----------------------------------------------------------------
  function assumptions() {
    const field = document.getElementById("equiv-assume");
    if (!field) return [];
    return field.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function attachEquiv(button) {
    const box = document.getElementById("equiv-result");
    button.addEventListener("click", async function () {
      box.textContent = "";
      box.appendChild(el("p", "pending", "comparing…"));
      button.disabled = true;
      const answer = await post("/api/equiv", {
        first: document.getElementById("equiv-first").value,
        second: document.getElementById("equiv-second").value,
        assume: assumptions(),
      });
      button.disabled = false;
      showVerdict(box, answer.status, answer.data,
        { student: "The first, as read", studentValue: "the first is", referenceValue: "the second" });
      if (answer.data && answer.data.reference_latex) {
        const read = el("p", "verdict-reading", "The second, as read: ");
        read.appendChild(mathNode(answer.data.reference_latex, false));
        box.insertBefore(read, box.children[3] || null);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderAll(document);
    document.querySelectorAll("textarea.answer[data-preview]").forEach(attachPreview);
    document.querySelectorAll("button.check[data-target]").forEach(attachCheck);
    document.querySelectorAll("button.show-solution").forEach(attachSolution);
    const steps = document.getElementById("steps-check");
    if (steps) attachSteps(steps);
    const equiv = document.getElementById("equiv-check");
    if (equiv) attachEquiv(equiv);
  });
})();
