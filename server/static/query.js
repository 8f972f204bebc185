// Progressive enhancement for the query page: choosing a library question loads it
// (the Load button does the same without JavaScript).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("name");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
