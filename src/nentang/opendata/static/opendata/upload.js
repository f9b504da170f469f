// Upload with a progress bar (the form still works without JavaScript).
(function () {
  "use strict";
  var form = document.getElementById("od-upload");
  var bar = document.getElementById("od-progress");
  if (!form || !bar || !window.XMLHttpRequest) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    bar.hidden = false;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
    });
    request.addEventListener("load", function () {
      if (request.responseURL && request.responseURL !== window.location.href) {
        window.location.assign(request.responseURL);
      } else {
        document.open(); document.write(request.responseText); document.close();
      }
    });
    request.send(new FormData(form));
  });
})();
