// Every portal page: a select marked data-submit-on-change (the header's tenant switcher) sends its form when changed.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-submit-on-change]")) event.target.form.submit();
});

// A button marked data-copy="ID" copies the value of the field with that id.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  const field = button && document.getElementById(button.dataset.copy);
  if (field && navigator.clipboard) navigator.clipboard.writeText(field.value);
});
