(minimum) => {
  // tests/harness/targets.py's page-side half: the visible controls under the minimum size.
  const CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary, " +
    "[role=button], [role=link], [role=checkbox], [role=radio], [role=tab], [tabindex]:not([tabindex='-1'])";
  function visible(el) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") return false;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    // Visually hidden helpers (1 px, clipped) are for screen readers, not for fingers.
    if (r.width <= 1 && r.height <= 1) return false;
    return !el.closest("[hidden]");
  }
  function inline(el) {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    if (!block) return false;
    const words = (block.innerText || "").replace(el.innerText || "", "").trim();
    return words.length > 0;
  }
  function box(el) {
    let { width, height } = el.getBoundingClientRect();
    if (el.matches("input[type=checkbox], input[type=radio]") && el.labels) {
      for (const label of el.labels) {
        const r = label.getBoundingClientRect();
        if (r.width * r.height > width * height) ({ width, height } = r);
      }
    }
    return { width, height };
  }
  function selector(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    const parts = [];
    for (let node = el; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
      if (node.id) { parts.unshift("#" + CSS.escape(node.id)); break; }
      let part = node.tagName.toLowerCase();
      const cls = [...node.classList].slice(0, 2).map((c) => "." + CSS.escape(c)).join("");
      part += cls;
      const same = node.parentElement ? [...node.parentElement.children].filter((c) => c.tagName === node.tagName) : [];
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(node) + 1})`;
      parts.unshift(part);
    }
    return parts.join(" > ");
  }
  const found = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (!visible(el) || inline(el)) continue;
    const { width, height } = box(el);
    if (width + 0.5 >= minimum && height + 0.5 >= minimum) continue;
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "").trim();
    found.push({ selector: selector(el), text: text.slice(0, 60), width: Math.round(width * 10) / 10,
                 height: Math.round(height * 10) / 10 });
  }
  return found;
}
