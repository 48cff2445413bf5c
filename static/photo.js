// Shrinks camera photos before they are sent (progressive enhancement: without this script the
// form sends the original files, and the server names any that are too large). Photos wider or
// taller than 2048 px, or larger than 1.5 MB, are redrawn at most 2048 px and sent as JPEG.
(function () {
  "use strict";
  var MAX_SIDE = 2048, MAX_BYTES = 1.5 * 1024 * 1024, QUALITY = 0.85;
  if (!window.DataTransfer || !window.HTMLCanvasElement || !window.createImageBitmap) return;

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return Promise.resolve(file);
    return createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
      if (scale === 1 && file.size <= MAX_BYTES) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  function watch(input) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return;
      var form = input.form, buttons = form ? form.querySelectorAll("button[type=submit]") : [];
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      Promise.all(files.map(shrink)).then(function (shrunk) {
        var list = new DataTransfer();
        shrunk.forEach(function (f) { list.items.add(f); });
        input.files = list.files;
      }).finally(function () {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      });
    });
  }

  document.querySelectorAll("input[type=file][data-resize]").forEach(watch);
})();
