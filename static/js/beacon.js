/* Zhiqiao behaviour beacon: clicks, impressions and preview plays, sent in small
   batches with navigator.sendBeacon. No dependencies, no build step.

   Markup contract:
     data-track-click             on a link or button: a click is recorded
     data-track-impression        on a card: recorded once when half of it has been on screen
     data-track-preview           on an <audio>/<video>: the first play is recorded
     data-product="<id>"          the product concerned (optional)
     data-track-context='{"slot": "home_recommended", "position": 3}'   extra context (optional JSON)
   A failure here never affects the page. */
(function () {
  "use strict";
  var script = document.currentScript;
  var url = (script && script.getAttribute("data-beacon-url")) || "/events/beacon/";
  var queue = [];
  var timer = null;
  var MAX_BATCH = 50;

  function contextOf(el) {
    var raw = el.getAttribute("data-track-context");
    if (!raw) { return {}; }
    try { var parsed = JSON.parse(raw); return parsed && typeof parsed === "object" ? parsed : {}; }
    catch (e) { return {}; }
  }

  function eventOf(kind, el) {
    var event = { kind: kind, context: contextOf(el) };
    var product = parseInt(el.getAttribute("data-product") || "", 10);
    if (product > 0) { event.product = product; }
    event.context.path = window.location.pathname;
    return event;
  }

  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    while (queue.length) {
      var batch = queue.splice(0, MAX_BATCH);
      var body = JSON.stringify({ events: batch });
      try {
        if (!(navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], { type: "text/plain" })))) {
          fetch(url, { method: "POST", body: body, keepalive: true, credentials: "same-origin",
                       headers: { "Content-Type": "text/plain" } }).catch(function () {});
        }
      } catch (e) { /* the page matters more than the event */ }
    }
  }

  function push(event, now) {
    queue.push(event);
    if (now || queue.length >= MAX_BATCH) { flush(); return; }
    if (!timer) { timer = setTimeout(flush, 2000); }
  }

  document.addEventListener("click", function (e) {
    var el = e.target && e.target.closest ? e.target.closest("[data-track-click]") : null;
    if (el) { push(eventOf("click", el), true); }
  }, true);

  document.addEventListener("play", function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute("data-track-preview") && !el.__zqPlayed) {
      el.__zqPlayed = true;
      push(eventOf("preview", el), true);
    }
  }, true);

  function watchImpressions() {
    var cards = document.querySelectorAll("[data-track-impression]");
    if (!cards.length || !("IntersectionObserver" in window)) { return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          seen.unobserve(entry.target);
          push(eventOf("recommendation_impression", entry.target), false);
        }
      });
    }, { threshold: 0.5 });
    cards.forEach(function (card) { seen.observe(card); });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", flush);
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", watchImpressions); }
  else { watchImpressions(); }
})();
