// The bars follow the builds; the page reloads once one is done, for its download link.
(function poll() {
  const rows = document.querySelectorAll("tr[data-status] progress");
  if (!rows.length) return;
  Promise.all([...rows].map((bar) => {
    const row = bar.closest("tr");
    return fetch(row.dataset.status, {headers: {Accept: "application/json"}})
      .then((r) => r.json())
      .then((s) => {
        bar.value = s.percent; bar.textContent = `${s.percent}%`;
        row.querySelector(".state").textContent = s.label;
        return s.state !== "queued" && s.state !== "building";
      });
  })).then((finished) => finished.some(Boolean) ? location.reload() : setTimeout(poll, 2000), () => setTimeout(poll, 5000));
})();
