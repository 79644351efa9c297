/* kikigaki: the episode player, the search within a transcript and the site-wide search.
 *
 * First-party and dependency-free. Every feature enhances markup that already works
 * without JavaScript: chapter and time links stay plain anchors, and the search forms
 * stay hidden. Text from the site is only ever inserted as text (never as HTML).
 */
(() => {
  "use strict";

  // ------------------------------------------------------------------ text folding

  const KATAKANA = /[\u30a1-\u30f6]/g;
  const SPACES = /\s+/gu;
  const SOUND_MARKS = /^[\u3099\u309a]$/;

  /** Text as search compares it: NFKC, case-folded, katakana as hiragana, no spaces. */
  function fold(text) {
    return text
      .normalize("NFKC")
      .toUpperCase()
      .toLowerCase()
      .replace(SPACES, "")
      .replace(KATAKANA, (kana) => String.fromCharCode(kana.charCodeAt(0) - 0x60));
  }

  /** ``fold`` character by character, with where each folded character came from, so a
   * match can be marked in the original text. */
  function foldWithMap(text) {
    let folded = "";
    const origin = [];
    let position = 0;
    for (const character of text) {
      const piece = fold(character);
      if (SOUND_MARKS.test(piece) && folded) {
        // a separate (semi-)voiced sound mark joins the kana before it, as NFKC does
        const joined = (folded.slice(-1) + piece).normalize("NFC");
        if (joined.length === 1) {
          folded = folded.slice(0, -1) + joined;
          position += character.length;
          continue;
        }
      }
      for (let i = 0; i < piece.length; i += 1) origin.push(position);
      folded += piece;
      position += character.length;
    }
    origin.push(text.length);
    return { folded, origin };
  }

  /** The writings of one term as groups of folded forms, from a JSON list of lists. */
  function aliasGroups(json) {
    try {
      const groups = JSON.parse(json || "[]");
      return Array.isArray(groups) ? groups.map((group) => group.map(fold)) : [];
    } catch {
      return [];
    }
  }

  /** The folded query and, when it is one writing of a key term, its other writings
   * (拡散モデル finds ディフュージョンモデル too). */
  function queryForms(query, groups) {
    const forms = [query];
    for (const group of groups) {
      if (group.includes(query)) forms.push(...group.filter((form) => form !== query));
    }
    return forms;
  }

  function clock(seconds) {
    const total = Math.max(Math.floor(seconds), 0);
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const secs = String(total % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const scrollBehavior = () => (reducedMotion.matches ? "auto" : "smooth");

  // ------------------------------------------------------------------ player

  const FOLLOW_PAUSE_MS = 2000; // after the reader scrolls, the transcript stays put this long
  const START_SLACK = 0.05; // seconds: a seek to a sentence's start lands in that sentence
  const SKIP_SECONDS = 5; // ← and → skip this far
  const SCROLL_KEYS = new Set(["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", " "]);
  // where keys keep their own meaning: typing, buttons, the audio's own controls
  const OWN_KEYS = "input, textarea, select, button, summary, audio, [contenteditable]";
  const VOICE = /^<v(?:\.[^\s>]*)?\s+([^>]*)>/;

  /** Play from ``time`` (seconds); a refused play (no sound device, policy) keeps the seek. */
  function playFrom(audio, time) {
    audio.currentTime = time;
    const playing = audio.play();
    if (playing) playing.catch(() => {});
  }

  /** A WebVTT voice name as text (``&amp;`` → ``&``): a textarea decodes, runs nothing. */
  function unescape(text) {
    const box = document.createElement("textarea");
    box.innerHTML = text;
    return box.value;
  }

  /** The current caption under the controls: an <audio> element shows no captions, so
   * the track is read (mode "hidden") and its active cue written out, speaker first. */
  function setUpCaptionLine(audio) {
    const line = document.getElementById("now-caption");
    const track = audio.querySelector("track");
    if (!line || !track || !track.track) return;
    track.track.mode = "hidden";
    const show = () => {
      const cues = track.track.activeCues ? Array.from(track.track.activeCues) : [];
      line.replaceChildren();
      for (const cue of cues.slice(-1)) {
        const voice = VOICE.exec(cue.text);
        if (voice) line.append(element("span", "caption-speaker", unescape(voice[1].trim())));
        line.append(cue.getCueAsHTML().textContent);
      }
    };
    track.track.addEventListener("cuechange", show);
    track.addEventListener("load", show);
    line.hidden = false;
  }

  /** Space plays or pauses, ← and → skip, wherever the keys have no meaning of their own. */
  function setUpPlayerKeys(audio) {
    window.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.closest && event.target.closest(OWN_KEYS)) return;
      if (event.key === " ") {
        event.preventDefault();
        if (audio.paused) playFrom(audio, audio.currentTime);
        else audio.pause();
      } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        const step = event.key === "ArrowLeft" ? -SKIP_SECONDS : SKIP_SECONDS;
        const end = Number.isFinite(audio.duration) ? audio.duration : Infinity;
        audio.currentTime = Math.min(Math.max(audio.currentTime + step, 0), end);
      }
    });
    const hint = document.getElementById("player-keys");
    if (hint) hint.hidden = false;
  }

  function setUpPlayer() {
    const audio = document.getElementById("episode-audio");
    if (!audio) return;
    const bar = audio.closest(".listen-bar");
    const cues = Array.from(document.querySelectorAll("#transcript .s[data-start]"), (el) => ({
      el,
      start: Number(el.dataset.start),
    })).sort((a, b) => a.start - b.start);
    let current = -1;
    let userScrolledAt = -Infinity;

    const readerScrolled = () => {
      userScrolledAt = performance.now();
    };
    window.addEventListener("wheel", readerScrolled, { passive: true });
    window.addEventListener("touchmove", readerScrolled, { passive: true });
    window.addEventListener("keydown", (event) => {
      const typing = event.target.closest && event.target.closest("input, textarea, button, audio");
      if (SCROLL_KEYS.has(event.key) && event.key !== " " && !typing) readerScrolled();
    });

    const barBottom = () => (bar ? Math.max(bar.getBoundingClientRect().bottom, 0) : 0);
    const fullyVisible = (el) => {
      const box = el.getBoundingClientRect();
      return box.top >= barBottom() && box.bottom <= window.innerHeight;
    };
    const partlyVisible = (el) => {
      const box = el.getBoundingClientRect();
      return box.bottom > barBottom() && box.top < window.innerHeight;
    };

    function cueAt(time) {
      let low = 0;
      let high = cues.length - 1;
      let found = -1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (cues[middle].start <= time + START_SLACK) {
          found = middle;
          low = middle + 1;
        } else {
          high = middle - 1;
        }
      }
      return found;
    }

    function follow(next, previous) {
      if (performance.now() - userScrolledAt < FOLLOW_PAUSE_MS) return;
      const el = cues[next].el;
      if (fullyVisible(el)) return;
      // Follow a reader who was following (the last sentence was on screen) or a jump
      // (a seek); leave one who has scrolled away to read elsewhere.
      const jumped = previous < 0 || Math.abs(next - previous) > 1;
      if (jumped || partlyVisible(cues[previous].el)) {
        el.scrollIntoView({ block: "center", behavior: scrollBehavior() });
      }
    }

    function highlight() {
      const next = cueAt(audio.currentTime);
      if (next === current) return;
      const previous = current;
      if (previous >= 0) {
        cues[previous].el.classList.remove("is-current");
        cues[previous].el.removeAttribute("aria-current");
      }
      current = next;
      if (next < 0) return;
      cues[next].el.classList.add("is-current");
      cues[next].el.setAttribute("aria-current", "true");
      follow(next, previous);
    }

    audio.addEventListener("timeupdate", highlight);
    audio.addEventListener("seeked", highlight);

    document.addEventListener("click", (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      const link = event.target.closest && event.target.closest("a[data-seek]");
      if (link) {
        const time = Number(link.dataset.seek);
        if (!Number.isFinite(time)) return;
        // a sentence's time is already on screen: play it without jumping the page; a
        // chapter link still takes the reader to its place in the transcript
        if (link.classList.contains("seek")) event.preventDefault();
        playFrom(audio, time);
        return;
      }
      // a click on a sentence plays it, unless it follows a link in it or selects text
      const sentence = event.target.closest && event.target.closest("#transcript .s[data-start]");
      if (!sentence || event.target.closest("a")) return;
      const selection = window.getSelection ? String(window.getSelection()) : "";
      if (selection) return;
      playFrom(audio, Number(sentence.dataset.start));
    });

    for (const link of document.querySelectorAll("a.seek")) {
      link.setAttribute("aria-label", `${link.textContent} から再生`);
    }

    setUpCaptionLine(audio);
    setUpPlayerKeys(audio);
    const transcript = document.getElementById("transcript");
    if (transcript) transcript.classList.add("is-seekable"); // a click on a sentence plays it

    // a link to a sentence (from the site search) cues the player there
    const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.dataset.start) audio.currentTime = Number(target.dataset.start);

    if (bar && "ResizeObserver" in window) {
      const root = document.documentElement;
      new ResizeObserver(() => {
        root.style.setProperty("--bar-height", `${bar.offsetHeight + 8}px`);
      }).observe(bar);
    }
  }

  // ------------------------------------------------------------------ search in a page

  function setUpFind() {
    const form = document.getElementById("find");
    if (!form) return;
    const input = document.getElementById("find-q");
    const status = document.getElementById("find-status");
    const sentences = Array.from(document.querySelectorAll("#transcript .s"), (el) => ({
      el,
      key: fold(el.textContent),
    }));
    const groups = aliasGroups(form.dataset.aliases);
    let hits = [];
    let at = -1;

    function clear() {
      for (const hit of hits) hit.el.classList.remove("is-match", "is-active-match");
      hits = [];
      at = -1;
    }

    function search() {
      clear();
      const query = fold(input.value);
      if (!query) {
        status.textContent = "";
        return;
      }
      const forms = queryForms(query, groups);
      hits = sentences.filter((sentence) => forms.some((form) => sentence.key.includes(form)));
      for (const hit of hits) hit.el.classList.add("is-match");
      status.textContent = hits.length ? `${hits.length} 件` : "見つかりません";
    }

    function go(step) {
      if (!hits.length) return;
      if (at >= 0) hits[at].el.classList.remove("is-active-match");
      at = at < 0 ? (step > 0 ? 0 : hits.length - 1) : (at + step + hits.length) % hits.length;
      const el = hits[at].el;
      el.classList.add("is-active-match");
      el.scrollIntoView({ block: "center", behavior: scrollBehavior() });
      status.textContent = `${at + 1} / ${hits.length} 件`;
    }

    input.addEventListener("input", search);
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      go(event.shiftKey ? -1 : 1);
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    for (const button of form.querySelectorAll("button[data-find]")) {
      button.addEventListener("click", () => go(Number(button.dataset.find)));
    }
    form.hidden = false;
    // a page without a player: the form is its own sticky bar, which anchors clear
    if (!form.closest(".listen-bar") && "ResizeObserver" in window) {
      const root = document.documentElement;
      new ResizeObserver(() => {
        root.style.setProperty("--bar-height", `${form.offsetHeight + 8}px`);
      }).observe(form);
    }
  }

  // ------------------------------------------------------------------ site-wide search

  const MAX_RESULTS = 100;
  const SNIPPET_CONTEXT = 40; // characters shown either side of a match in a long block

  /** The text around the first match of ``query`` (folded), with the match marked. */
  function snippet(text, forms) {
    const { folded, origin } = foldWithMap(text);
    const query = forms.find((form) => folded.includes(form)) || forms[0];
    const at = folded.indexOf(query);
    if (at < 0) {
      const long = text.length > 2 * SNIPPET_CONTEXT;
      return [long ? `${text.slice(0, 2 * SNIPPET_CONTEXT)}…` : text];
    }
    const start = origin[at];
    const end = origin[at + query.length];
    const from = Math.max(start - SNIPPET_CONTEXT, 0);
    const to = Math.min(end + SNIPPET_CONTEXT, text.length);
    return [
      (from > 0 ? "…" : "") + text.slice(from, start),
      element("mark", "", text.slice(start, end)),
      text.slice(end, to) + (to < text.length ? "…" : ""),
    ];
  }

  /** One page of the results: its title, then each matching sentence or block. */
  function resultGroup(page, hits, forms) {
    const group = element("li", "result");
    const heading = element("h2", "result-title");
    const title = element("a", "", page.title);
    title.href = page.href;
    heading.append(title);
    const kind = page.kind === "episode" ? "エピソード" : "資料";
    const list = element("ol", "result-hits");
    for (const [anchor, start, text] of hits) {
      const link = element("a", "result-hit");
      link.href = `${page.href}#${anchor}`;
      if (typeof start === "number") link.append(element("span", "time", clock(start)));
      link.append(...snippet(text, forms));
      const item = element("li");
      item.append(link);
      list.append(item);
    }
    group.append(heading, element("p", "result-meta", `${kind} · ${hits.length} 件`), list);
    return group;
  }

  /** The search index: set by search-index.js (loaded before this script, so it works
   * from a page opened as a file too), else fetched as JSON over HTTP. */
  async function searchIndex(form) {
    if (window.KIKIGAKI_SEARCH) return window.KIKIGAKI_SEARCH;
    if (location.protocol === "file:") return null; // a file:// page cannot fetch
    const response = await fetch(form.dataset.index);
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  async function setUpSiteSearch() {
    const form = document.getElementById("site-search");
    if (!form) return;
    const notice = document.getElementById("search-notice");
    const input = document.getElementById("site-search-q");
    const status = document.getElementById("site-search-status");
    const list = document.getElementById("site-search-results");

    let pages;
    let groups = [];
    try {
      const index = await searchIndex(form);
      if (!index) {
        notice.textContent =
          "検索用の索引 search-index.js を読み込めませんでした。" +
          "サイトのフォルダがそろっているか確かめてください。";
        return;
      }
      groups = aliasGroups(JSON.stringify(index.aliases || []));
      pages = index.pages.map((page) => ({
        ...page,
        keys: page.items.map((item) => fold(item[2])),
      }));
    } catch {
      notice.textContent =
        "検索用の索引を読み込めませんでした。時間をおいて再読み込みしてください。";
      return;
    }
    notice.hidden = true;
    form.hidden = false;

    function search() {
      const query = fold(input.value);
      list.replaceChildren();
      if (!query) {
        status.textContent = "";
        return;
      }
      let total = 0;
      const forms = queryForms(query, groups);
      for (const page of pages) {
        const hits = [];
        page.keys.forEach((key, index) => {
          if (!forms.some((form) => key.includes(form))) return;
          total += 1;
          if (total <= MAX_RESULTS) hits.push(page.items[index]);
        });
        if (hits.length) list.append(resultGroup(page, hits, forms));
      }
      status.textContent = !total
        ? `「${input.value}」は見つかりませんでした`
        : total > MAX_RESULTS
          ? `${total} 件(最初の ${MAX_RESULTS} 件を表示)`
          : `${total} 件`;
    }

    function remember() {
      const url = new URL(location.href);
      if (input.value) url.searchParams.set("q", input.value);
      else url.searchParams.delete("q");
      history.replaceState(null, "", url);
    }

    input.addEventListener("input", () => {
      search();
      remember();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      search();
      remember();
    });
    const asked = new URLSearchParams(location.search).get("q");
    if (asked) input.value = asked;
    search();
  }

  function start() {
    setUpPlayer();
    setUpFind();
    setUpSiteSearch();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
