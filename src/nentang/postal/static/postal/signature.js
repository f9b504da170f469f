// A signature pad: the strokes become a PNG (data URL) in the hidden "signature" field.
(function () {
  "use strict";
  var pad = document.querySelector("[data-signature-pad]");
  var field = document.getElementById("id_signature");
  if (!pad || !field) return;
  var ctx = pad.getContext("2d");
  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  var drawing = false;
  var drawn = false;
  function point(event) {
    var rect = pad.getBoundingClientRect();
    return [(event.clientX - rect.left) * pad.width / rect.width, (event.clientY - rect.top) * pad.height / rect.height];
  }
  pad.addEventListener("pointerdown", function (event) {
    drawing = true;
    pad.setPointerCapture(event.pointerId);
    var p = point(event);
    ctx.beginPath();
    ctx.moveTo(p[0], p[1]);
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var p = point(event);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    drawn = true;
  });
  pad.addEventListener("pointerup", function () {
    drawing = false;
    if (drawn) field.value = pad.toDataURL("image/png");
  });
  document.querySelector("[data-signature-clear]").addEventListener("click", function () {
    ctx.clearRect(0, 0, pad.width, pad.height);
    drawn = false;
    field.value = "";
  });
})();
