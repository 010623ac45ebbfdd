// The header's box ticks every row's on the page; the rows' boxes belong to the selection form.
document.addEventListener("change", (event) => {
  if (event.target.matches("input[data-tick-all]")) {
    document.querySelectorAll('input[name="uuid"][form="selection"]').forEach((box) => { box.checked = event.target.checked; });
  }
});
