// The live page: flow-log records from the server-sent event stream, newest first, and the
// probe's refusals shown in place. Everything from the server goes in as text, never HTML.
(function () {
  "use strict";
  const MAX_ROWS = 500;
  const table = document.getElementById("flow-records");
  const filter = document.getElementById("flow-filter");
  const state = document.getElementById("stream-state");
  const RETRY_MS = 3000;
  let source = null;
  let retry = null;

  function cell(row, text, className) {
    const td = row.insertCell(-1);
    td.textContent = text;
    if (className) td.className = className;
  }

  function add(record) {
    const body = table.tBodies[0];
    const row = body.insertRow(0);
    row.className = "record " + record.action.toLowerCase();
    row.dataset.interface = record.interface;
    cell(row, record.time);
    cell(row, record.label ? record.interface + " (" + record.label + ")" : record.interface);
    cell(row, record.source + ":" + record.source_port);
    cell(row, record.destination + ":" + record.destination_port);
    cell(row, record.protocol);
    cell(row, record.packets);
    cell(row, record.bytes);
    cell(row, record.status === "OK" ? record.action : record.status,
         record.action === "REJECT" ? "action denied" : "action allowed");
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  }

  function later(why) {
    // the data plane stopped, or the stream was refused: try again in a while
    if (source) source.close();
    state.textContent = why + " Trying again…";
    table.dataset.streaming = "no";
    clearTimeout(retry);
    retry = setTimeout(open, RETRY_MS);
  }

  function open() {
    clearTimeout(retry);
    if (source) source.close();
    const query = new URLSearchParams(new FormData(filter)).toString();
    source = new EventSource(table.dataset.stream + (query ? "?" + query : ""));
    // every (re)connection starts with the recent past again: start from an empty table
    source.onopen = function () {
      table.tBodies[0].replaceChildren();
      state.textContent = "streaming";
      table.dataset.streaming = "yes";
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        later("Not streaming.");  // an answer that is not a stream: no retry of its own
      } else {
        state.textContent = "reconnecting…";
        table.dataset.streaming = "no";
      }
    };
    source.addEventListener("record", function (event) { add(JSON.parse(event.data)); });
    source.addEventListener("stopped", function (event) { later(JSON.parse(event.data)); });
  }

  if (table && filter) {
    filter.addEventListener("change", open);
    window.addEventListener("pagehide", function () { if (source) source.close(); });
    open();
  }
})();
