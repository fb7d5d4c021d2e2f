// Browser side of the presigned upload flow (/api/v1/uploads). An external file so the
// CSP needs no inline script; every text is set with textContent, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var api = form.dataset.api;
  var csrf = form.dataset.csrf;
  var status = document.getElementById("upload-status");
  var list = document.getElementById("upload-list");
  var POLL_MS = 500;
  var POLL_TRIES = 40;

  function say(text) { status.textContent = text; }

  function callApi(path, options) {
    options = options || {};
    var headers = { "Accept": "application/json", "X-CSRFToken": csrf };
    if (options.body) { headers["Content-Type"] = "application/json"; }
    return fetch(api + path, {
      method: options.method || "GET",
      credentials: "same-origin",
      headers: headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
    }).then(function (response) {
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error((data && data.message) || ("HTTP " + response.status));
        }
        return data;
      });
    });
  }

  function sendToStorage(ticket, file) {
    var body = new FormData();
    Object.keys(ticket.fields || {}).forEach(function (name) {
      body.append(name, ticket.fields[name]);
    });
    body.append("file", file); // S3 ignores fields after the file: it goes last
    // The signed policy is the only credential: no cookies go to the bucket (or local endpoint).
    return fetch(ticket.url, { method: ticket.method || "POST", body: body, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("storage refused the file (HTTP " + response.status + ")"); }
      });
  }

  function waitUntilProcessed(id, tries) {
    return callApi("/" + id).then(function (upload) {
      if (upload.status === "processed" || upload.status === "rejected" || tries <= 0) {
        return upload;
      }
      return new Promise(function (resolve) { setTimeout(resolve, POLL_MS); })
        .then(function () { return waitUntilProcessed(id, tries - 1); });
    });
  }

  function renderUpload(upload) {
    var row = document.createElement("li");
    row.className = "upload upload-" + upload.status;
    row.dataset.id = upload.id;
    var name = upload.download_url ? document.createElement("a") : document.createElement("span");
    if (upload.download_url) { name.href = upload.download_url; name.rel = "noopener"; }
    name.textContent = upload.filename;
    row.appendChild(name);
    row.appendChild(document.createTextNode(" · " + upload.content_type + " · " + upload.size + " B · "));
    var state = document.createElement("strong");
    state.textContent = upload.status;
    row.appendChild(state);
    return row;
  }

  // The list carries no download URLs (they expire quickly); the finished upload's detail does.
  function showDetailed(upload) {
    var row = renderUpload(upload);
    var old = list.querySelector('li[data-id="' + String(Number(upload.id)) + '"]');
    if (old) { list.replaceChild(row, old); } else { list.insertBefore(row, list.firstChild); }
  }

  function refreshList() {
    return callApi("").then(function (uploads) {
      list.textContent = "";
      if (!uploads || uploads.length === 0) {
        var empty = document.createElement("li");
        empty.textContent = list.dataset.empty;
        list.appendChild(empty);
        return;
      }
      uploads.forEach(function (upload) { list.appendChild(renderUpload(upload)); });
    }).catch(function () { /* the list is a convenience; the form still works */ });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.elements.file.files[0];
    if (!file) { return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(form.dataset.msgSending);
    var ticket;
    callApi("", {
      method: "POST",
      body: { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size },
    })
      .then(function (issued) { ticket = issued; return sendToStorage(ticket, file); })
      .then(function () { say(form.dataset.msgProcessing); return callApi("/" + ticket.id + "/complete", { method: "POST", body: {} }); })
      .then(function () { return waitUntilProcessed(ticket.id, POLL_TRIES); })
      .then(function (upload) {
        say(form.dataset.msgDone + " " + upload.filename + " (" + upload.status + ")");
        form.reset();
        return refreshList().then(function () { showDetailed(upload); });
      })
      .catch(function (error) { say(form.dataset.msgFailed + " " + error.message); })
      .then(function () { button.disabled = false; });
  });

  refreshList();
})();
