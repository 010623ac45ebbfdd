// The bar follows the upload; once it is done the page is read again, with every reason.
(function poll() {
  const summary = document.getElementById("upload-summary");
  if (!summary || summary.dataset.state === "done") return;
  fetch(summary.dataset.status, {headers: {Accept: "application/json"}})
    .then((r) => r.json())
    .then((s) => {
      document.getElementById("upload-progress").value = s.percent;
      document.getElementById("upload-state").textContent = s.label;
      document.getElementById("upload-done").textContent = s.done;
      for (const [state, n] of Object.entries(s.counts)) {
        const cell = document.getElementById(`count-${state}`);
        if (cell) cell.textContent = n;
      }
      for (const f of s.files) {
        const cell = document.querySelector(`#file-${f.id} .file-state`);
        if (cell) cell.textContent = f.label;
      }
      if (s.state === "done") location.reload(); else setTimeout(poll, 1500);
    }, () => setTimeout(poll, 5000));
})();
