// Every portal page: a select marked data-submit-on-change (the header's tenant switcher) sends its form when changed.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-submit-on-change]")) event.target.form.submit();
});

// A button marked data-copy-field="ID" copies the value of the form field with that id (the buyer's link).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy-field]");
  const field = button && document.getElementById(button.dataset.copyField);
  if (field && navigator.clipboard) navigator.clipboard.writeText(field.value);
});
