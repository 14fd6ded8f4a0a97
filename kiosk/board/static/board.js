// The call board's page logic: one EventSource to the kiosk, every change written as text (never HTML).
// Calls are highlighted one at a time, each long enough to read (and hear): a window's newer call
// replaces its older one still waiting, as on the kiosk's own call overlay.
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.page;
  if (!page || page === "index") return;
  var heartbeatMs = parseFloat(body.dataset.heartbeat || "10") * 1000;
  var onlyWindow = page.indexOf("window-") === 0 ? parseInt(page.slice(7), 10) : null;
  var GAP_S = 0.06; // between voice segments, as the kiosk joins them
  var VOICE_RATE = 16000; // assets/voice/*.wav (scripts/make_voice.py)
  var AFTER_VOICE_MS = 1200;

  // Recorded for the tests and the latency bench: what the page painted and when (same clock as
  // the machine's: performance.timeOrigin + performance.now()).
  var paints = (window.boardPaints = []);
  var spoken = (window.boardSpoken = []);
  var highlighted = (window.boardHighlights = []);
  window.boardOnline = false;

  var clientId = (function () {
    var key = "board-client-id";
    var id = null;
    try { id = window.localStorage.getItem(key); } catch (e) { id = null; }
    if (!id || !/^[a-z0-9]{6,32}$/.test(id)) {
      id = "";
      for (var i = 0; i < 16; i++) id += "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 36)];
      try { window.localStorage.setItem(key, id); } catch (e) { /* private mode: a new id per load */ }
    }
    return id;
  })();

  var state = { windows: {}, latest: [], latestLimit: 8, voice: false,
    highlightMs: parseFloat(body.dataset.highlight || "6") * 1000 };
  var latestEl = document.getElementById("latest");
  if (latestEl) state.latestLimit = parseInt(latestEl.dataset.limit || "8", 10);

  function $(id) { return document.getElementById(id); }
  // Text is written only when it changes: an equal write still makes the browser lay out and repaint.
  function setNodeText(el, text) { if (el && el.textContent !== text) el.textContent = text; }
  function setText(id, text) { setNodeText($(id), text); }
  function now() { return performance.timeOrigin + performance.now(); }
  // A category stripe: the feed's `stripe` (the kiosk's colour lightened to 3:1 on the board's dark
  // grounds; `colour` is for white text on it). Set through the CSSOM (the page's CSP allows no
  // inline style), and only a plain #RRGGBB is taken, whatever the feed sent.
  function paint(el, colour) {
    if (!el) return;
    var c = /^#[0-9a-fA-F]{6}$/.test(colour || "") ? colour : "";
    if (el.style.getPropertyValue("--svc") === c) return;
    if (c) el.style.setProperty("--svc", c); else el.style.removeProperty("--svc");
  }
  function fill(el, colour) {
    if (!el) return;
    el.style.backgroundColor = /^#[0-9a-fA-F]{6}$/.test(colour || "") ? colour : "";
  }

  // ---- rendering --------------------------------------------------------------------------------------
  function renderWindow(w) {
    if (onlyWindow !== null && w.number !== onlyWindow) return;
    state.windows[w.number] = w;
    var card = $("win-" + w.number);
    if (!card) return;
    setText("win-" + w.number + "-current", w.paused && !w.current ? "暂停服务" : (w.current || "—"));
    var label = w.paused ? "暂停服务" : (w.recall && w.current ? "再次呼叫" : "");
    if (onlyWindow !== null) {
      // Above the window itself the big line already says 暂停服务: tell the resident what to do.
      if (w.paused) label = "请到其他窗口办理";
      setText("win-" + w.number + "-label", w.paused ? "" : (w.current ? "正在办理" : "等待叫号"));
    }
    setText("win-" + w.number + "-state", label);
    paint($("win-" + w.number + "-current"), w.current ? w.stripe : "");
    card.classList.toggle("paused", !!w.paused);
    card.classList.toggle("recall", !!(w.recall && w.current));
    card.classList.toggle("idle", !w.current);
  }

  function latestItem(li, c) {
    if (!li) {
      li = document.createElement("li");
      li.innerHTML = '<span class="l-number"></span><span class="l-arrow">→</span>' +
        '<span class="l-window"></span><span class="l-mark"></span>';
    }
    setNodeText(li.children[0], c.number);
    setNodeText(li.children[2], c.window + " 号窗口");
    setNodeText(li.children[3], c.mark || "");
    paint(li.children[0], c.stripe);
    var cls = c.mark === "过号" ? "noshow" : (c.mark ? "recall" : "");
    if (li.className !== cls) li.className = cls;
    return li;
  }

  function renderLatest() {
    if (!latestEl) return;
    var items = state.latest.slice(0, state.latestLimit);
    while (latestEl.children.length > items.length) latestEl.removeChild(latestEl.lastChild);
    items.forEach(function (c, i) {
      var li = latestEl.children[i];
      if (!li) latestEl.appendChild(latestItem(null, c)); else latestItem(li, c);
    });
  }

  // A new call: one row in at the top (and its older row, if any, out); the other rows stay untouched.
  function prependLatest(c) {
    var at = -1;
    state.latest.forEach(function (x, i) { if (at < 0 && x.number === c.number) at = i; });
    if (at >= 0) {
      state.latest.splice(at, 1);
      if (latestEl && latestEl.children[at]) latestEl.removeChild(latestEl.children[at]);
    }
    state.latest.unshift(c);
    state.latest.length = Math.min(state.latest.length, state.latestLimit);
    if (!latestEl) return;
    latestEl.insertBefore(latestItem(null, c), latestEl.firstChild);
    while (latestEl.children.length > state.latestLimit) latestEl.removeChild(latestEl.lastChild);
  }

  function renderServices(services) {
    services.forEach(function (s) {
      var row = $("svc-" + s.code);
      if (!row) return;
      setNodeText(row.children[1], s.waiting + " 人");
      setNodeText(row.children[2], s.waiting ? (s.wait_min + "–" + s.wait_max + " 分钟") : "无需等候");
      paint(row.children[0], s.stripe);
    });
  }

  function renderClock(d) {
    if (d.date) setText("date", d.date);
    if (d.time) setText("time", d.time);
  }

  // ---- events ---------------------------------------------------------------------------------------
  function onSnapshot(s) {
    state.voice = !!s.voice;
    s.windows.forEach(renderWindow);
    state.latest = s.latest.slice();
    renderLatest();
    renderServices(s.services);
    renderClock(s);
  }

  function onCall(c) {
    var w = state.windows[c.window] || { number: c.window, paused: false };
    w = Object.assign({}, w, { current: c.number, recall: c.recall, paused: false, colour: c.colour,
      stripe: c.stripe });
    renderWindow(w);
    prependLatest({ number: c.number, window: c.window, mark: c.recall ? "再次呼叫" : "", colour: c.colour,
      stripe: c.stripe });
    if (onlyWindow === null || c.window === onlyWindow) {
      paints.push({ number: c.number, window: c.window, recall: c.recall, replay: !!c.replay, t: now() });
    }
    if (!c.replay) highlight(c);
  }

  function onWindow(w) {
    renderWindow(w);
    if (w.ended && w.mark) {
      state.latest.forEach(function (x) { if (x.number === w.ended) x.mark = w.mark; });
      renderLatest();
    }
  }

  // ---- one call highlighted at a time ------------------------------------------------------------------
  var pending = [];
  var showing = false;

  function highlight(c) {
    if (onlyWindow !== null && c.window !== onlyWindow) return;
    pending = pending.filter(function (x) { return x.window !== c.window; });
    pending.push(c);
    if (!showing) nextHighlight();
  }

  function nextHighlight() {
    var box = $("callout");
    var c = pending.shift();
    if (!c) {
      showing = false;
      if (box) box.hidden = true;
      document.querySelectorAll("[data-window].fresh").forEach(function (el) { el.classList.remove("fresh"); });
      return;
    }
    showing = true;
    highlighted.push(c.number);
    document.querySelectorAll("[data-window].fresh").forEach(function (el) { el.classList.remove("fresh"); });
    var card = $("win-" + c.window);
    if (card) card.classList.add("fresh");
    if (box) {
      setText("callout-kind", c.recall ? "再次呼叫" : "叫号");
      setText("callout-number", c.number);
      fill($("callout-number"), c.colour);
      setText("callout-window", String(c.window));
      box.hidden = false;
    }
    var started = Date.now();
    speak(c).then(function (seconds) {
      var hold = Math.max(state.highlightMs, seconds * 1000 + AFTER_VOICE_MS) - (Date.now() - started);
      setTimeout(nextHighlight, Math.max(0, hold));
    });
  }

  // ---- voice: the kiosk's recorded segments, one announcement after another -----------------------------
  var audio = null;
  var buffers = {};
  var announcements = 0;
  function audioContext() {
    if (audio === null) {
      // The recordings are 16 kHz mono and an announcement may start a little late: a context at their
      // rate with "playback" latency decodes without resampling and wakes its audio thread far less.
      var Ctx = window.AudioContext || window.webkitAudioContext;
      try { audio = new Ctx({ latencyHint: "playback", sampleRate: VOICE_RATE }); } catch (e) {
        try { audio = new Ctx(); } catch (e2) { audio = false; }
      }
    }
    return audio || null;
  }
  function segment(ctx, name) {
    if (!buffers[name]) {
      buffers[name] = fetch("/voice/" + encodeURIComponent(name) + ".wav", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(name); return r.arrayBuffer(); })
        .then(function (b) { return ctx.decodeAudioData(b); });
      buffers[name].catch(function () { delete buffers[name]; });
    }
    return buffers[name];
  }
  function speak(c) {
    var ctx = state.voice ? audioContext() : null;
    if (!ctx || !c.segments) return Promise.resolve(0);
    var mine = ++announcements;
    var resumed = ctx.state === "suspended" ? ctx.resume().catch(function () {}) : Promise.resolve();
    return resumed.then(function () {
      // A segment that will not load is left out; the rest of the call is still spoken.
      return Promise.all(c.segments.map(function (n) {
        return segment(ctx, n).catch(function () { return null; });
      }));
    }).then(function (loaded) {
      var bufs = loaded.filter(function (b) { return b !== null; });
      var t = ctx.currentTime + 0.05;
      var start = t;
      bufs.forEach(function (b) {
        var src = ctx.createBufferSource();
        src.buffer = b;
        src.connect(ctx.destination);
        src.start(t);
        t += b.duration + GAP_S;
      });
      var seconds = t - ctx.currentTime;
      spoken.push({ number: c.number, window: c.window, start: now() + (start - ctx.currentTime) * 1000,
        end: now() + seconds * 1000, running: ctx.state === "running" });
      quietAfter(ctx, seconds, mine);
      return seconds;
    }).catch(function () { return 0; });
  }
  // A running AudioContext wakes the page's audio thread every few milliseconds even in silence: the
  // board suspends it once an announcement has played, and speak() resumes it for the next call.
  function quietAfter(ctx, seconds, mine) {
    setTimeout(function () {
      if (mine === announcements && ctx.state === "running") ctx.suspend().catch(function () {});
    }, seconds * 1000 + 250);
  }

  // ---- the connection ------------------------------------------------------------------------------
  var source = null;
  var lastId = null;
  var lastHeard = Date.now();

  function setOnline(on) {
    window.boardOnline = on;
    $("offline").hidden = on;
    body.classList.toggle("is-offline", !on);
  }

  function handler(fn) {
    return function (ev) {
      lastHeard = Date.now();
      if (ev.lastEventId) lastId = ev.lastEventId;
      setOnline(true);
      try { fn(JSON.parse(ev.data)); } catch (e) { if (window.console) console.error(e); }
    };
  }

  function connect() {
    var url = "/events?page=" + encodeURIComponent(page) + "&client=" + clientId;
    if (lastId) url += "&last_event_id=" + encodeURIComponent(lastId);
    source = new EventSource(url, { withCredentials: true });
    source.addEventListener("snapshot", handler(onSnapshot));
    source.addEventListener("call", handler(onCall));
    source.addEventListener("window", handler(onWindow));
    source.addEventListener("queue", handler(function (d) { renderServices(d.services); }));
    source.addEventListener("clock", handler(renderClock));
    source.addEventListener("heartbeat", handler(renderClock));
    source.onerror = function () {
      setOnline(false);
      if (source.readyState === EventSource.CLOSED) reconnectSoon();
    };
  }

  function reconnectSoon() {
    if (source) source.close();
    source = null;
    setTimeout(function () { if (!source) connect(); }, 2000);
  }

  // A kiosk that vanished without closing the connection (cable pulled, power cut) sends no error:
  // silence longer than two and a half heartbeats counts as gone.
  setInterval(function () {
    if (Date.now() - lastHeard > heartbeatMs * 2.5) {
      setOnline(false);
      lastHeard = Date.now();
      reconnectSoon();
    }
  }, 1000);

  // ---- the notices: one at a time, standing still; one too long for the line is shown in parts -------
  // Nothing slides: a moving line makes a software-rendered board (a Raspberry Pi, or ten pages beside
  // the kiosk) redraw sixty times a second; a part that changes every few seconds is one small repaint.
  var TICKER_HOLD_MS = 8000;
  var BREAK_AFTER = "，、。；：！？,.;:!?";
  function parts(line, width) {
    var text = line.dataset.text;
    if (width < 100) return [text]; // not laid out yet: the whole notice, cut off, until the next turn
    var out = [];
    var start = 0;
    while (start < text.length) {
      var lo = start + 1, hi = text.length;
      while (lo < hi) { // the longest run from `start` that fits the line
        var mid = (lo + hi + 1) >> 1;
        line.textContent = text.slice(start, mid);
        if (line.scrollWidth <= width) lo = mid; else hi = mid - 1;
      }
      var end = lo;
      for (var k = end; end < text.length && k > start + (end - start) / 2; k--) {
        if (BREAK_AFTER.indexOf(text.charAt(k - 1)) >= 0) { end = k; break; } // end a part at a pause
      }
      out.push(text.slice(start, end));
      start = end;
    }
    return out;
  }
  function runTicker() {
    var strip = $("ticker");
    if (!strip || !strip.children.length) return;
    var lines = strip.children;
    for (var k = 0; k < lines.length; k++) lines[k].dataset.text = lines[k].textContent;
    var i = 0, queue = [];
    function show() {
      if (!queue.length) {
        for (var k = 0; k < lines.length; k++) if (lines[k].hidden !== (k !== i)) lines[k].hidden = k !== i;
        queue = parts(lines[i], strip.clientWidth);
      }
      var text = queue.shift();
      if (lines[i].textContent !== text) lines[i].textContent = text;
      if (!queue.length) i = (i + 1) % lines.length;
      // A single notice that fits is drawn once and never touched again.
      if (lines.length > 1 || queue.length || lines[i].textContent !== lines[i].dataset.text) {
        setTimeout(show, TICKER_HOLD_MS);
      }
    }
    show();
  }

  runTicker();
  setOnline(false);
  connect();
})();
