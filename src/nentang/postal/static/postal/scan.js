// Scan an S10 barcode with the phone's camera where the browser can (BarcodeDetector:
// Chrome on Android); elsewhere the button stays hidden and the number is typed.
(function () {
  "use strict";
  var box = document.querySelector("[data-scan-camera]");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var start = box.querySelector("[data-scan-start]");
  var video = box.querySelector("[data-scan-video]");
  var status = box.querySelector("[data-scan-status]");
  var input = document.getElementById("id_s10");
  var form = document.getElementById("scan-form");
  var S10 = /^[A-Z]{2}[0-9]{9}[A-Z]{2}$/;
  box.hidden = false;
  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["code_128", "qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      status.textContent = start.dataset.looking || "…";
      var tick = function () {
        detector.detect(video).then(function (codes) {
          for (var i = 0; i < codes.length; i++) {
            var value = codes[i].rawValue.trim().toUpperCase();
            var match = value.match(/([A-Z]{2}[0-9]{9}[A-Z]{2})/);
            if (match && S10.test(match[1])) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              input.value = match[1];
              form.requestSubmit ? form.requestSubmit() : form.submit();
              return;
            }
          }
          window.requestAnimationFrame(tick);
        }).catch(function () { window.requestAnimationFrame(tick); });
      };
      tick();
    }).catch(function (error) {
      status.textContent = String(error && error.message || error);
    });
  });
})();
