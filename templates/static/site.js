// Small improvements on pages that already work without JavaScript.
// Nothing here talks to another host; text from the catalogue is only ever set as textContent.
(function () {
  "use strict";
  var body = document.body;
  // The words this script writes, translated by the page (base.html, data-words); {name} marks what it fills in.
  var WORDS = JSON.parse(body.getAttribute("data-words") || "{}");
  function say(key, values) {
    return (WORDS[key] || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }

  // ---------------------------------------------------------------- leave this site quickly
  function leave() {
    var url = body.getAttribute("data-exit");
    document.dispatchEvent(new Event("quick-exit"));  // the live stream stops first (listen.js)
    document.title = "";
    body.textContent = "";
    window.location.replace(url);  // replace: the back button does not come back here
  }
  var exit = document.getElementById("quick-exit");
  if (exit) exit.addEventListener("click", function (e) { e.preventDefault(); leave(); });
  var lastEscape = 0;
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1500) leave();
    lastEscape = now;
  });

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  // ---------------------------------------------------------------- the station's clock
  var DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  function stationNow() {
    // Opening hours are in the station's time zone, wherever the listener is.
    var parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: body.getAttribute("data-tz") || undefined, weekday: "short",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date());
    var got = {};
    parts.forEach(function (p) { got[p.type] = p.value; });
    return { day: DAYS.indexOf(got.weekday), minute: parseInt(got.hour, 10) * 60 + parseInt(got.minute, 10) };
  }
  function openNow(el, now) {
    var spans = JSON.parse(el.getAttribute("data-hours") || "[]");
    return spans.some(function (s) { return s[0] === now.day && s[1] <= now.minute && now.minute < s[2]; });
  }
  var now = stationNow();
  document.querySelectorAll("[data-hours]").forEach(function (el) {
    var flag = el.querySelector(".open-now");
    if (flag) flag.hidden = !openNow(el, now);
  });

  // ---------------------------------------------------------------- player and transcript
  var audio = document.getElementById("player");
  var cues = document.getElementById("cues");
  function play(from) {
    var gate = audio.closest("details");
    if (gate) gate.open = true;
    audio.currentTime = from;
    var started = audio.play();
    if (started && started.catch) started.catch(function () {});
  }
  if (audio) {
    document.querySelectorAll("a.seek").forEach(function (a) {
      a.addEventListener("click", function (e) { e.preventDefault(); play(parseFloat(a.getAttribute("data-start"))); });
    });
  }
  if (audio && cues) {
    var items = Array.prototype.slice.call(cues.children);
    var starts = items.map(function (li) { return parseFloat(li.getAttribute("data-start")); });
    items.forEach(function (li, i) {
      var stamp = li.querySelector("span");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "time";
      var hint = document.createElement("span");
      hint.className = "vh";
      hint.textContent = say("play_from");
      button.appendChild(hint);
      button.appendChild(document.createTextNode(stamp.textContent));
      button.addEventListener("click", function () { play(starts[i]); });
      li.replaceChild(button, stamp);
    });
    var follow = document.getElementById("follow");
    var reduced = window.matchMedia("(prefers-reduced-motion: reduce)");
    var current = -1;
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime, lo = 0, hi = starts.length - 1, found = -1;
      while (lo <= hi) {  // the last cue that starts at or before t
        var mid = (lo + hi) >> 1;
        if (starts[mid] <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      if (found === current) return;
      if (current >= 0) { items[current].classList.remove("now"); items[current].removeAttribute("aria-current"); }
      current = found;
      if (current < 0) return;
      items[current].classList.add("now");
      items[current].setAttribute("aria-current", "true");
      if (follow && follow.checked) {
        items[current].scrollIntoView({ block: "nearest", behavior: reduced.matches ? "auto" : "smooth" });
      }
    });
  }

  // ---------------------------------------------------------------- the directory's filters
  var filters = document.getElementById("filters");
  if (filters) {
    var places = Array.prototype.slice.call(document.querySelectorAll(".places > .place"));
    var kind = document.getElementById("f-kind"), where = document.getElementById("f-locality");
    var open = document.getElementById("f-open"), status = document.getElementById("filter-status");
    var asked = new URLSearchParams(window.location.search);
    if (asked.get("kind")) kind.value = asked.get("kind");
    if (asked.get("locality")) where.value = asked.get("locality");
    if (asked.get("open")) open.checked = true;
    var apply = function () {
      var at = stationNow(), shown = 0;
      places.forEach(function (el) {
        var ok = (!kind.value || el.getAttribute("data-kind") === kind.value) &&
                 (!where.value || el.getAttribute("data-locality") === where.value) &&
                 (!open.checked || openNow(el, at));
        el.hidden = !ok;
        if (ok) shown += 1;
      });
      var text = filters.getAttribute("data-showing").replace("{shown}", shown);
      if (!shown && kind.value && !places.some(function (el) { return el.getAttribute("data-kind") === kind.value; })) {
        text += " " + say("kind_gap");
      }
      status.textContent = text;
    };
    filters.hidden = false;
    filters.addEventListener("change", apply);
    filters.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    apply();
  }

  // ---------------------------------------------------------------- search, in the browser
  var form = document.getElementById("search");
  if (form) {
    var box = document.getElementById("q"), list = document.getElementById("results");
    var said = document.getElementById("search-status"), index = null, lists = {};
    var base = list.getAttribute("data-index").replace(/search\.json$/, "");
    // "cafe" finds "Café": compared without case or accents (as station/web/search_index.py folds).
    var fold = function (text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
    var get = function (path) {
      return fetch(base + path).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      });
    };
    // search.json: what each result shows, and which file holds the words beginning with each pair of letters.
    var load = function () {
      if (index) return Promise.resolve(index);
      return get("search.json").then(function (data) {
        data.docs.forEach(function (d) { d.hay = fold(d.t + " " + d.s); d.title = fold(d.t); });
        index = data;
        return index;
      });
    };
    // The documents holding a word that begins with `term` (a one-letter term: titles and snippets only).
    var holding = function (term) {
      var file = term.length >= 2 ? index.words[term.slice(0, 2)] : null;
      if (!file) return Promise.resolve({});
      if (!lists[file]) lists[file] = get(file);
      return lists[file].then(function (words) {
        var found = {};
        Object.keys(words).forEach(function (word) {
          if (word.lastIndexOf(term, 0) !== 0) return;
          var at = 0;
          words[word].forEach(function (gap) { at += gap; found[at] = true; });
        });
        return found;
      });
    };
    var run = function () {
      var terms = fold(box.value).split(/[^\w']+/).filter(Boolean);
      list.textContent = "";
      if (!terms.length) { said.textContent = ""; return; }
      load().then(function () {
        return Promise.all(terms.map(holding));
      }).then(function (found) {
        var hits = index.docs.filter(function (d, i) {
          return terms.every(function (t, n) { return found[n][i] || d.hay.indexOf(t) >= 0; });
        });
        hits.sort(function (a, b) {
          var sa = terms.filter(function (t) { return a.title.indexOf(t) >= 0; }).length;
          var sb = terms.filter(function (t) { return b.title.indexOf(t) >= 0; }).length;
          return sb - sa;
        });
        hits.slice(0, 50).forEach(function (d) {
          var li = document.createElement("li"), a = document.createElement("a"), p = document.createElement("p");
          a.href = base + d.u;
          a.textContent = d.t;
          p.textContent = d.k + ": " + d.s;
          li.appendChild(a);
          li.appendChild(p);
          list.appendChild(li);
        });
        said.textContent = say("results", { query: box.value, count: hits.length });
      }).catch(function () { said.textContent = say("search_failed"); });
    };
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      history.replaceState(null, "", "?q=" + encodeURIComponent(box.value));
      run();
    });
    var first = new URLSearchParams(window.location.search).get("q");
    if (first) { box.value = first; run(); }
  }
})();
