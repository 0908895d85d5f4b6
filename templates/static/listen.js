// "Listen live" in the header of every page: the night-owl stream, while it is on air.
// Nothing plays until the listener presses the button. The station's Icecast mount plays in a plain
// <audio>; without one, the HLS playlist under live/ plays through the site's own copy of hls.js wherever
// the browser has Media Source Extensions, and by the browser's own HLS only where it has not (an older
// iPhone): Chromium says it "maybe" plays HLS itself, but took from 12 s to over 45 s to start a live playlist.
// What is on now comes from live/now.json, which the
// stream rewrites as each item starts. Text from it is only ever set as textContent.
(function () {
  "use strict";
  var box = document.getElementById("listen");
  if (!box) return;
  var button = document.getElementById("listen-button");
  var volume = document.getElementById("listen-volume");
  var nowText = document.getElementById("listen-now");
  var audio = null;  // made when the listener first asks: until then the page holds no player at all
  var icecast = box.getAttribute("data-src");
  var playlist = box.getAttribute("data-hls");
  var hlsScript = box.getAttribute("data-hlsjs");
  var zone = document.body.getAttribute("data-tz") || undefined;
  var hls = null, playing = false, onAir = false;
  var VOLUME_KEY = "peerwave-volume";  // localStorage, on this device only: no cookie
  // The words this script writes, translated by the page (base.html, data-words); {name} marks what it fills in.
  var WORDS = JSON.parse(document.body.getAttribute("data-words") || "{}");
  var LANG = document.documentElement.lang || undefined;
  function say(key, values) {
    return (WORDS[key] || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }

  function clock(iso) {
    return new Intl.DateTimeFormat(LANG, { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .format(new Date(iso));
  }
  function describe(now) {
    var text = now.title + (now.show ? " (" + now.show + ")" : "");
    if (now.content_notes && now.content_notes.length) text = say("content_note", { what: text, notes: now.content_notes.join(", ") });
    if (now.next) text = say("next_at", { what: text, time: clock(now.next.start), title: now.next.title });
    return text;
  }
  function show(now) {
    // On air while the stream says so and the item it names has not long ended (a stream that died says nothing).
    onAir = !!(now && now.on_air && Date.now() < Date.parse(now.until) + 60000);
    box.hidden = false;
    button.hidden = !onAir && !playing;
    volume.parentNode.hidden = button.hidden;
    var text;
    if (onAir) {
      text = say("on_now", { what: describe(now) });
    } else {
      var next = box.getAttribute("data-next");
      text = next && Date.parse(next) > Date.now() ? say("on_air_from", { time: clock(next) }) : say("off_air");
    }
    if (nowText.textContent !== text) nowText.textContent = text;
    document.querySelectorAll("[data-now-playing]").forEach(function (el) {
      if (el.textContent !== text) el.textContent = text;
    });
  }
  function poll() {
    fetch(box.getAttribute("data-now"), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(show);
  }

  function loadHls() {
    return new Promise(function (resolve, reject) {
      if (window.Hls) { resolve(window.Hls); return; }
      var s = document.createElement("script");
      s.src = hlsScript;
      s.onload = function () { resolve(window.Hls); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function media() {
    if (!audio) {
      audio = document.createElement("audio");
      audio.id = "listen-audio";
      audio.preload = "none";
      audio.volume = parseFloat(volume.value);
      box.appendChild(audio);
    }
    return audio;
  }
  function start() {
    media();
    if (icecast) {
      audio.src = icecast;
    } else if (!window.MediaSource && !window.ManagedMediaSource && audio.canPlayType("application/vnd.apple.mpegurl")) {
      audio.src = playlist;
    } else {
      loadHls().then(function (Hls) {
        if (!Hls || !Hls.isSupported()) { nowText.textContent = say("cannot_play"); return; }
        hls = new Hls({ enableWorker: false });  // a worker would be a blob: script, which the policy refuses
        hls.loadSource(playlist);
        hls.attachMedia(audio);
        audio.play().catch(function () {});
      });
      setPlaying(true);
      return;
    }
    audio.play().catch(function () {});
    setPlaying(true);
  }
  function stop() {
    audio.pause();
    if (hls) { hls.destroy(); hls = null; }
    audio.removeAttribute("src");
    audio.load();  // let go of the connection: a radio stream paused would keep downloading
    setPlaying(false);
  }
  function setPlaying(on) {
    playing = on;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = say(on ? "stop" : "listen");
    if (!on && !onAir) { button.hidden = true; volume.parentNode.hidden = true; }
  }

  var kept = parseFloat(window.localStorage ? localStorage.getItem(VOLUME_KEY) : "");
  if (!isNaN(kept) && kept >= 0 && kept <= 1) volume.value = String(kept);
  volume.addEventListener("input", function () {
    if (audio) audio.volume = parseFloat(volume.value);
    try { localStorage.setItem(VOLUME_KEY, volume.value); } catch (e) { /* private mode: not kept */ }
  });
  button.addEventListener("click", function () { if (playing) stop(); else start(); });
  document.addEventListener("quick-exit", function () { if (playing) stop(); });

  // Nothing is asked of the server until the night is near: before then the page knows the stream is off, and a
  // site built before any stream ran has no live/now.json to ask for (a 404 in every listener's console).
  var NEXT = Date.parse(box.getAttribute("data-next") || "");
  var EARLY_MS = 10 * 60 * 1000;  // a stream may be started a little before its night
  function tick() {
    if (isNaN(NEXT) || Date.now() >= NEXT - EARLY_MS) poll(); else show(null);
  }
  tick();
  window.setInterval(tick, 15000);
})();
