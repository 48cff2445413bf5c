// Import pages: the upload shows its progress (a district's file can be large, the network
// slow), then that the rows are being checked; the commit button says it is working and cannot
// be pressed twice. Without JavaScript both forms post as usual.
(function () {
  var form = document.getElementById("import-upload");
  if (form && window.XMLHttpRequest && window.FormData) {
    form.addEventListener("submit", function (ev) {
      if (!form.reportValidity()) return;
      ev.preventDefault();
      var bar = document.getElementById("import-progress");
      var status = document.getElementById("import-status");
      var button = document.getElementById("import-preview");
      button.disabled = true;
      bar.hidden = false;
      status.textContent = form.dataset.uploading;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      };
      xhr.upload.onload = function () {
        bar.removeAttribute("value"); // indeterminate while the server reads the rows
        status.textContent = form.dataset.reading;
      };
      xhr.onload = function () {
        if (xhr.status === 200 && xhr.responseURL && xhr.responseURL !== form.action) {
          window.location.assign(xhr.responseURL);
        } else {
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      };
      xhr.onerror = function () {
        button.disabled = false;
        bar.hidden = true;
        status.textContent = "";
        form.submit();
      };
      xhr.send(new FormData(form));
    });
  }
  var commit = document.getElementById("import-commit");
  if (commit) {
    commit.addEventListener("submit", function () {
      var button = document.getElementById("import-commit-button");
      setTimeout(function () {
        button.disabled = true;
        button.textContent = commit.dataset.busy;
      }, 0);
    });
  }
})();
