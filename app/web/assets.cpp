#include "app/web/assets.h"

namespace bottega::web {

std::string_view stylesheet() {
  return R"css(
:root { --fg:#1f2328; --dim:#59636e; --line:#d1d9e0; --bg:#fff; --soft:#f6f8fa;
        --good:#1a7f37; --bad:#cf222e; --accent:#0969da; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       color:var(--fg); background:var(--bg); }
header { display:flex; justify-content:space-between; align-items:center; gap:1em;
         padding:.6em 1em; border-bottom:1px solid var(--line); background:var(--soft); }
header .brand { font-weight:600; color:var(--fg); text-decoration:none; }
header nav { display:flex; gap:.8em; align-items:center; }
header form { margin:0; }
button, .button { font:inherit; padding:.35em .9em; border:1px solid var(--line); border-radius:6px;
         background:var(--bg); color:var(--fg); cursor:pointer; text-decoration:none; display:inline-block; }
.button { background:#1f883d; color:#fff; border-color:#1f883d; }
main { padding:1em; max-width:1200px; margin:0 auto; }
a { color:var(--accent); }
h1 { font-size:1.5em; margin:.3em 0 .6em; }
h2 { font-size:1.15em; border-bottom:1px solid var(--line); padding-bottom:.2em; }
.dim { color:var(--dim); font-weight:normal; }
.good { color:var(--good); font-weight:normal; font-size:.85em; }
.bad { color:var(--bad); }
code, pre { font:13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background:var(--soft); padding:.5em .7em; border-radius:6px; overflow-x:auto;
      white-space:pre-wrap; word-break:break-word; margin:.2em 0; }
blockquote { margin:.4em 0; padding:.1em .8em; border-left:3px solid var(--line); color:var(--dim); }
.board { display:flex; gap:.8em; overflow-x:auto; align-items:flex-start; padding-bottom:.5em; }
.column { flex:0 0 250px; background:var(--soft); border:1px solid var(--line); border-radius:8px;
          padding:.4em .6em; }
.column h2 { font-size:1em; margin:.2em 0 .5em; }
.count { color:var(--dim); font-weight:normal; }
.card { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:.5em .6em;
        margin-bottom:.5em; }
.card .title { font-weight:600; display:block; }
.card .meta { font-size:.85em; }
.phase { font-size:.6em; vertical-align:middle; padding:.15em .6em; border-radius:1em;
         background:var(--soft); border:1px solid var(--line); font-weight:normal; }
.phase.pr_open, .phase.done { border-color:var(--good); color:var(--good); }
.phase.blocked, .phase.cancelled { border-color:var(--bad); color:var(--bad); }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2em 1em; margin:0 0 1em; }
.facts dt { color:var(--dim); }
.facts dd { margin:0; }
.todo { font-size:.8em; color:var(--dim); font-weight:normal; }
.box.done { color:var(--good); }
.doc li { list-style:none; margin-left:-1.2em; }
.doc ol li { list-style:decimal; margin-left:0; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:.9em; }
th, td { text-align:left; padding:.3em .5em; border-bottom:1px solid var(--line); vertical-align:top; }
tr.running td { background:#fff8c5; }
.live { font-size:.7em; font-weight:normal; color:var(--dim); }
.live.on::before { content:"● "; color:var(--good); }
.transcript h3 { font-size:1em; margin:1em 0 .3em; }
.ev { padding:.25em 0; border-bottom:1px dashed var(--line); overflow-wrap:anywhere; }
.ev .k { display:inline-block; min-width:6.5em; font-size:.75em; text-transform:uppercase;
         color:var(--dim); letter-spacing:.03em; }
.ev.assistant .md { display:inline-block; vertical-align:top; max-width:100%; }
.ev.assistant .md p { margin:.1em 0; }
.ev.error { color:var(--bad); }
details summary { cursor:pointer; color:var(--dim); }
@media (max-width: 640px) {
  main { padding:.6em; }
  .column { flex-basis:80vw; }
  .ev .k { display:block; }
  th:nth-child(4), td:nth-child(4) { display:none; }
}
)css";
}

std::string_view live_script() {
  return R"js(
(function () {
  'use strict';
  var live = document.getElementById('live-state');
  if (!live || !window.EventSource) return;
  var table = document.getElementById('run-table');
  var box = document.getElementById('transcripts');
  function section(run) {
    var s = document.getElementById('transcript-' + run);
    if (!s) {
      s = document.createElement('section');
      s.className = 'transcript';
      s.id = 'transcript-' + run;
      var h = document.createElement('h3');
      h.textContent = 'Run ' + run;
      s.appendChild(h);
      box.appendChild(s);
    }
    return s;
  }
  function fragment(html) {
    var t = document.createElement('template');
    t.innerHTML = html;  // escaped by the server
    return t.content;
  }
  function atBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 60;
  }
  var stream = new EventSource(live.getAttribute('data-stream'));
  stream.addEventListener('open', function () {
    live.textContent = 'live';
    live.className = 'live on';
  });
  stream.addEventListener('error', function () {
    if (stream.readyState === EventSource.CLOSED) {
      live.textContent = 'disconnected (reload to resume)';
      live.className = 'live';
    }
  });
  stream.addEventListener('run', function (e) {
    var run = e.lastEventId.split(':')[0];
    var row = fragment(e.data).firstElementChild;
    if (!row) return;
    var old = document.getElementById('run-' + run);
    if (old) old.parentNode.replaceChild(row, old);
    else (table.tBodies[table.tBodies.length - 1] || table).appendChild(row);
    section(run);
  });
  stream.addEventListener('event', function (e) {
    var run = e.lastEventId.split(':')[0];
    var stick = atBottom();
    section(run).appendChild(fragment(e.data));
    if (stick) window.scrollTo(0, document.body.scrollHeight);
  });
})();
)js";
}

}  // namespace bottega::web
