// The portal's invoice form: it builds the API's payload (invoices/payload.py) from the fields, asks
// the server for the totals as one types (ubl/totals computes them; the page only shows them), and
// shows the server's errors beside the fields they name ("lines[0].quantity").
(function () {
  "use strict";
  const form = document.getElementById("invoice-form");
  if (!form) return;
  const data = JSON.parse(document.getElementById("form-data").textContent);
  const codes = data.codes, texts = data.texts;
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  const linesBody = $("lines").querySelector("tbody");
  let draftId = data.draft;

  // --- the code lists --------------------------------------------------------------------------
  function option(value, label) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label || value;
    return o;
  }
  $("unit-codes").append(...codes.units.map(([code, name]) => option(code, name ? `${code} · ${name}` : code)));

  function fillLineSelects(row) {
    const kdv = row.querySelector(".kdv");
    codes.kdv_rates.forEach((rate) => kdv.append(option(rate, `%${rate}`)));
    codes.withholdings.forEach(([code, rate]) => row.querySelector(".withholding").append(option(`${code}/${rate}`, `${code} · %${rate}`)));
    codes.taxes.forEach((code) => row.querySelector(".tax-code").append(option(code)));
    fillExemptions(row);
  }

  function fillExemptions(row) {
    const select = row.querySelector(".exemption"), chosen = select.value;
    const list = codes.exemptions[$("type").value] || codes.exemptions[""];
    select.replaceChildren(option("", "—"), ...list.map((code) => option(code)));
    select.value = list.includes(chosen) ? chosen : "";
  }

  // --- lines -----------------------------------------------------------------------------------
  function addLine(values, focus) {
    const row = $("line-template").content.firstElementChild.cloneNode(true);
    fillLineSelects(row);
    linesBody.append(row);
    if (values) fillLine(row, values);
    renumber();
    if (focus) row.querySelector(".name").focus();
    return row;
  }

  function renumber() {
    [...linesBody.rows].forEach((row, index) => { row.dataset.index = index; });
  }

  linesBody.addEventListener("click", (event) => {
    if (!event.target.classList.contains("remove-line")) return;
    event.target.closest("tr").remove();
    if (!linesBody.rows.length) addLine(null, true);
    renumber();
    schedule();
  });
  // Enter in a line's last field (its other tax's rate) adds a line; elsewhere in a line it goes to the next line's name.
  linesBody.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName === "BUTTON") return;
    event.preventDefault();
    const row = event.target.closest("tr");
    const next = row.nextElementSibling;
    if (next && !event.target.classList.contains("tax-rate")) next.querySelector(".name").focus();
    else addLine(null, true);
  });
  $("add-line").addEventListener("click", () => addLine(null, true));

  // --- the payload -----------------------------------------------------------------------------
  const value = (id) => $(id).value.trim();
  const amount = (text) => text.trim().replace(/\s/g, "").replace(/\.(?=\d{3}(\D|$))/g, "").replace(",", ".");
  const reference = (id, date) => (value(id) ? { id: value(id), issue_date: value(date) || null } : null);

  function customer() {
    const id = value("customer-id");
    if (!id) return null;
    const party = {
      name: value("customer-name"), first_name: value("customer-first-name"), last_name: value("customer-last-name"),
      tax_office: value("customer-tax-office"), email: value("customer-email"), phone: value("customer-phone"),
      address: { street: value("customer-street"), district: value("customer-district"), city: value("customer-city"),
                 postal_code: value("customer-postal-code"), country: value("customer-country") || "Türkiye" },
    };
    party[id.length === 11 ? "tckn" : "vkn"] = id;
    return party;
  }

  function line(row) {
    const get = (cls) => row.querySelector(cls).value.trim();
    const result = { name: get(".name"), quantity: amount(get(".quantity")), unit: get(".unit").toUpperCase(),
                     unit_price: amount(get(".price")), kdv_rate: get(".kdv") };
    if (amount(get(".discount")) && Number(amount(get(".discount"))) !== 0) result.allowances = [{ amount: amount(get(".discount")), reason: "İskonto" }];
    if (get(".exemption")) result.kdv_exemption_code = get(".exemption");
    if (get(".exemption-reason")) result.kdv_exemption_reason = get(".exemption-reason");
    if (get(".withholding") && $("type").value === "TEVKIFAT") {
      const [code, rate] = get(".withholding").split("/");
      result.withholding = { code, rate };
    }
    if (get(".tax-code")) result.taxes = [{ code: get(".tax-code"), rate: amount(get(".tax-rate")) }];
    return result;
  }

  function payload() {
    const result = { profile: value("profile"), type: value("type"), issue_date: value("issue-date") || null,
                     currency: value("currency"), customer: customer(), lines: [...linesBody.rows].map(line) };
    if (result.currency !== "TRY") result.exchange_rate = amount(value("exchange-rate"));
    if (!$("postbox-field").hidden && value("receiver-alias")) result.receiver_alias = value("receiver-alias");
    const notes = $("notes").value.split("\n").map((n) => n.trim()).filter(Boolean);
    if (notes.length) result.notes = notes;
    const order = reference("order-id", "order-date");
    if (order) result.order = order;
    const despatch = reference("despatch-id", "despatch-date");
    if (despatch) result.despatches = [despatch];
    const returned = reference("return-id", "return-date");
    if (returned && result.type === "IADE") result.returns = [returned];
    const discount = amount(value("discount-amount"));
    if (discount && Number(discount) !== 0) result.allowances = [{ amount: discount, reason: value("discount-reason") || texts.discount }];
    if (value("payment-iban") || value("payment-due")) {
      result.payment = {};
      if (value("payment-iban")) result.payment.iban = value("payment-iban").replace(/\s/g, "").toUpperCase();
      if (value("payment-due")) result.payment.due_date = value("payment-due");
    }
    if ($("replaces-despatch").checked) result.replaces_despatch = true;
    if ($("internet-sale").checked && result.profile === "EARSIVFATURA") result.internet_sale = internetSale();
    if (result.profile === "KAMU") result.buyer = buyer();
    return result;
  }

  function buyer() {
    const party = { name: value("buyer-name"), tax_office: value("buyer-tax-office"),
                    address: { district: value("buyer-district"), city: value("buyer-city"), country: "Türkiye" } };
    party[value("buyer-id").length === 11 ? "tckn" : "vkn"] = value("buyer-id");
    return party;
  }

  function internetSale() {
    const carrier = { name: value("sale-carrier-name") };
    carrier[value("sale-carrier-id").length === 11 ? "tckn" : "vkn"] = value("sale-carrier-id");
    const sale = { website: value("sale-website"), payment_method: value("sale-payment-method"), carrier,
                   despatch_date: value("sale-despatch-date") || null, payment_date: value("sale-payment-date") || null };
    if (value("sale-payment-agent")) sale.payment_agent = value("sale-payment-agent");
    return sale;
  }

  // --- a draft back in the form ----------------------------------------------------------------
  function set(id, v) { if (v !== undefined && v !== null) $(id).value = v; }

  function fillCustomer(party) {
    if (!party) return;
    set("customer-id", party.vkn || party.tckn);
    set("customer-name", party.name); set("customer-first-name", party.first_name); set("customer-last-name", party.last_name);
    set("customer-tax-office", party.tax_office); set("customer-email", party.email); set("customer-phone", party.phone);
    const address = party.address || {};
    set("customer-street", address.street); set("customer-district", address.district); set("customer-city", address.city);
    set("customer-postal-code", address.postal_code); set("customer-country", address.country);
  }

  function fillLine(row, l) {
    const put = (cls, v) => { if (v !== undefined && v !== null) row.querySelector(cls).value = v; };
    put(".name", l.name); put(".quantity", l.quantity); put(".unit", l.unit); put(".price", l.unit_price); put(".kdv", l.kdv_rate);
    put(".discount", (l.allowances || [])[0] && l.allowances[0].amount);
    put(".exemption", l.kdv_exemption_code); put(".exemption-reason", l.kdv_exemption_reason);
    if (l.withholding) put(".withholding", `${l.withholding.code}/${l.withholding.rate}`);
    if ((l.taxes || [])[0]) { put(".tax-code", l.taxes[0].code); put(".tax-rate", l.taxes[0].rate); }
  }

  function fill(p) {
    set("profile", p.profile); set("type", p.type); set("issue-date", p.issue_date); set("currency", p.currency);
    set("exchange-rate", p.exchange_rate);
    fillCustomer(p.customer);
    set("notes", (p.notes || []).join("\n"));
    if (p.order) { set("order-id", p.order.id); set("order-date", p.order.issue_date); }
    if ((p.despatches || [])[0]) { set("despatch-id", p.despatches[0].id); set("despatch-date", p.despatches[0].issue_date); }
    if ((p.returns || [])[0]) { set("return-id", p.returns[0].id); set("return-date", p.returns[0].issue_date); }
    (p.lines || []).forEach((l) => addLine(l));
    if ((p.allowances || [])[0]) { set("discount-amount", p.allowances[0].amount); set("discount-reason", p.allowances[0].reason); }
    if (p.payment) { set("payment-iban", p.payment.iban); set("payment-due", p.payment.due_date); }
    $("replaces-despatch").checked = Boolean(p.replaces_despatch);
    const sale = p.internet_sale;
    if (sale) {
      $("internet-sale").checked = true;
      set("sale-website", sale.website); set("sale-payment-method", sale.payment_method); set("sale-payment-agent", sale.payment_agent);
      set("sale-payment-date", sale.payment_date); set("sale-despatch-date", sale.despatch_date);
      if (sale.carrier) { set("sale-carrier-id", sale.carrier.vkn || sale.carrier.tckn); set("sale-carrier-name", sale.carrier.name); }
    }
    if (p.buyer) {
      set("buyer-id", p.buyer.vkn || p.buyer.tckn); set("buyer-name", p.buyer.name); set("buyer-tax-office", p.buyer.tax_office);
      set("buyer-district", (p.buyer.address || {}).district); set("buyer-city", (p.buyer.address || {}).city);
    }
    saleChanged();
    typeChanged();
    if (p.customer) lookUp(p.receiver_alias);
  }

  // --- showing what depends on the type, the currency and the customer -------------------------
  function typeChanged() {
    const kind = $("type").value;
    $("returns-field").hidden = kind !== "IADE";
    form.classList.toggle("with-withholding", kind === "TEVKIFAT");
    [...linesBody.rows].forEach(fillExemptions);
    schedule();
  }
  $("type").addEventListener("change", typeChanged);
  function saleChanged() {
    $("buyer-card").hidden = value("profile") !== "KAMU";
    $("internet-sale-field").hidden = value("profile") !== "EARSIVFATURA";
    $("internet-sale-fields").hidden = !$("internet-sale").checked;
  }
  $("internet-sale").addEventListener("change", saleChanged);
  $("profile").addEventListener("change", saleChanged);
  function currencyChanged() { $("rate-field").hidden = $("currency").value === "TRY"; }
  $("currency").addEventListener("change", currencyChanged);

  function personOrCompany() {
    const person = value("customer-id").length === 11;
    form.querySelectorAll(".field.person").forEach((f) => { f.hidden = !person; });
    form.querySelectorAll(".field.company").forEach((f) => { f.hidden = person; });
  }

  async function lookUp(alias) {
    const id = value("customer-id");
    personOrCompany();
    if (!/^\d{10,11}$/.test(id)) { $("customer-status").textContent = texts.invalid_id; return; }
    const response = await fetch(`${form.dataset.customer}?id=${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } });
    const answer = await response.json();
    if (!response.ok) { $("customer-status").textContent = answer.error || texts.failed; return; }
    const select = $("receiver-alias");
    select.replaceChildren(...answer.postboxes.map((name) => option(name)));
    if (alias) select.value = alias;
    $("postbox-field").hidden = !answer.registered;
    $("customer-status").textContent = (answer.title ? `${answer.title}: ` : "") + (answer.registered ? texts.registered : texts.not_registered);
    form.classList.toggle("earsiv", !answer.registered);
    const previous = answer.previous;
    if (previous && !value("customer-name") && !value("customer-first-name")) fillCustomer(previous);
    else if (answer.title && id.length === 10 && !value("customer-name")) set("customer-name", answer.title);
    const profile = $("profile");
    if (!answer.registered && [...profile.options].some((o) => o.value === "EARSIVFATURA")) profile.value = "EARSIVFATURA";
    else if (answer.registered && profile.value === "EARSIVFATURA" && profile.options.length > 1) profile.value = "TICARIFATURA";
    saleChanged();
  }
  $("customer-lookup").addEventListener("click", () => lookUp());
  $("customer-id").addEventListener("change", () => lookUp());

  // --- the server's answers --------------------------------------------------------------------
  async function post(url, body) {
    const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
                                        body: JSON.stringify(body) });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = { errors: { body: texts.failed } }; }
    return { ok: response.ok, status: response.status, answer };
  }

  function fieldFor(path) {
    // "lines[2].quantity" → the third line's quantity; a path no field names goes to its parent, then to the top.
    const parts = path.match(/^lines\[(\d+)\]\.?(.*)$/);
    if (parts) {
      const row = linesBody.rows[Number(parts[1])];
      if (!row) return null;
      for (let rest = parts[2]; ; rest = rest.replace(/(\.[^.]*|\[\d+\])$/, "")) {
        const found = [...row.querySelectorAll("[data-field]")].find((el) => el.dataset.field.split(" ").includes(rest));
        if (found) return found;
        if (!rest || !/[.[]/.test(rest)) return row.querySelector(".name");
      }
    }
    for (let rest = path; rest; rest = rest.replace(/(\.[^.]*|\[\d+\])$/, "")) {
      const found = [...form.querySelectorAll("[data-path]")].find((el) => el.dataset.path.split(" ").includes(rest));
      if (found) return found;
      if (!/[.[]/.test(rest)) break;
    }
    return null;
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((e) => e.remove());
    form.querySelectorAll("[aria-invalid]").forEach((e) => { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
    $("form-errors").hidden = true;
    $("form-errors").replaceChildren();
  }

  let errorCount = 0;
  function showErrors(answer) {
    clearErrors();
    const general = [];
    Object.entries(answer.errors || {}).forEach(([path, message]) => {
      const field = fieldFor(path);
      if (!field) { general.push(message); return; }
      const note = document.createElement("span");
      note.className = "field-error";
      note.id = `error-${++errorCount}`;
      note.dataset.for = path;
      note.textContent = message;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      field.insertAdjacentElement("afterend", note);
    });
    (answer.issues || []).forEach((issue) => general.push(`${issue.rule}: ${issue.message}`));
    const box = $("form-errors");
    box.append(texts.fix);
    if (general.length) {
      const list = document.createElement("ul");
      general.forEach((m) => { const li = document.createElement("li"); li.textContent = m; list.append(li); });
      box.append(list);
    }
    box.hidden = false;
    const first = form.querySelector("[aria-invalid]");
    (first || box).focus?.();
  }

  function notice(text) { $("form-notice").textContent = text; $("form-notice").hidden = !text; }

  // --- totals as one types ---------------------------------------------------------------------
  const money = (v) => Number(v).toLocaleString("tr-TR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  let timer = null, asked = 0;
  function schedule() { clearTimeout(timer); timer = setTimeout(refreshTotals, 250); }
  async function refreshTotals() {
    const mine = ++asked;
    const { ok, answer } = await post(form.dataset.totals, { payload: payload() });
    if (!ok || mine !== asked) return;
    const currency = value("currency");
    const lines = [...linesBody.rows];
    let valid = 0;
    lines.forEach((row, index) => {
      const invalid = Object.keys(answer.errors).some((p) => p.startsWith(`lines[${index}]`));
      row.querySelector(".line-total").textContent = invalid ? "—" : money(answer.lines[valid++]);
    });
    $("total-lines").textContent = `${money(answer.line_extension)} ${currency}`;
    $("total-taxes").textContent = answer.taxes.map((t) => `${t.code === "0015" ? "KDV" : t.code} %${t.percent}: ${money(t.amount)}`).join(" · ") || "—";
    $("total-withheld").textContent = answer.withholdings.map((t) => `${t.code} %${t.percent}: ${money(t.amount)}`).join(" · ") || "—";
    $("total-inclusive").textContent = `${money(answer.tax_inclusive)} ${currency}`;
    $("total-payable").firstElementChild.textContent = `${money(answer.payable)} ${currency}`;
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);

  // --- the buttons -----------------------------------------------------------------------------
  function busy(on) { form.querySelectorAll(".form-buttons button").forEach((b) => { b.disabled = on; }); form.setAttribute("aria-busy", on); }

  $("save-draft").addEventListener("click", async () => {
    busy(true);
    const { ok, answer } = await post(form.dataset.save, { payload: payload(), draft: draftId });
    busy(false);
    if (!ok) { showErrors({ errors: { body: texts.failed } }); return; }
    draftId = answer.draft;
    history.replaceState(null, "", answer.url);
    clearErrors();
    notice(answer.message);
  });

  $("preview").addEventListener("click", async () => {
    busy(true);
    const body = payload();
    const { ok, answer } = await post(form.dataset.check, { payload: body });
    busy(false);
    if (!ok) { showErrors(answer); return; }
    clearErrors();
    notice(texts.valid);
    const previewForm = $("preview-form");
    previewForm.elements.payload.value = JSON.stringify(body);
    $("preview-card").hidden = false;
    previewForm.submit();
    $("preview-card").scrollIntoView();
  });

  $("issue").addEventListener("click", async () => {
    busy(true);
    const { ok, answer } = await post(form.dataset.issue, { payload: payload(), draft: draftId });
    if (!ok) { busy(false); showErrors(answer); return; }
    window.location.assign(answer.url);
  });

  // --- start -----------------------------------------------------------------------------------
  if (data.payload) fill(data.payload);
  if (!linesBody.rows.length) addLine();
  currencyChanged();
  personOrCompany();
  saleChanged();
  typeChanged();
})();
