// Progressive enhancement for long <select data-filterable> lists: a search box above the
// list that hides the options that do not match. Without JavaScript the plain grouped
// list works as it is.
document.addEventListener("DOMContentLoaded", function () {
  var selects = document.querySelectorAll("select[data-filterable]");
  Array.prototype.forEach.call(selects, function (select) {
    var id = select.id + "-filter";
    var wrapper = document.createElement("div");
    wrapper.className = "filter-box";
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.className = "field__label";
    label.textContent = "Sök i listan";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "field__input";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-controls", select.id);
    var status = document.createElement("p");
    status.className = "field__hint";
    status.setAttribute("aria-live", "polite");
    wrapper.appendChild(label);
    wrapper.appendChild(input);
    wrapper.appendChild(status);
    select.parentNode.insertBefore(wrapper, select);

    input.addEventListener("input", function () {
      var term = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var groupMatches = group.label.toLowerCase().indexOf(term) !== -1;
        var visible = 0;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var match = !term || groupMatches || option.text.toLowerCase().indexOf(term) !== -1;
          option.hidden = !match;
          option.disabled = !match && !option.selected;
          if (match) { visible += 1; }
        });
        group.hidden = visible === 0;
        shown += visible;
      });
      status.textContent = term ? shown + " verksamheter matchar" : "";
    });
  });
});
