// moat's documentation widget: live reachability diagrams of the NetworkPolicy examples on a page,
// computed in the reader's browser by moat's engine (WebAssembly). The manifests never leave the page.
//
// Load it once per page, as a module or as a classic script (mdBook's `additional-js` adds classic
// ones); moat-embed.js and moat-embed_bg.wasm must sit next to it:
//
//   <script type="module" src="embed.js"></script>
//
// Then every one of these becomes a diagram, a table of the allowed connections (the text alternative)
// and an "Open in playground" link:
//
//   <moat-reachability>
//     <script type="application/yaml"> ...manifests... </script>   (or the YAML as plain text)
//   </moat-reachability>
//   <moat-reachability src="policies.yaml"></moat-reachability>  (a file of the same site)
//   <pre class="moat"> ...manifests... </pre>                     (the block stays; the diagram follows it)
//
// Options, as attributes of <moat-reachability> or `data-` attributes of <pre class="moat">:
//   theme="light|dark|auto"  colours; auto (the default) follows the reader's preference
//   playground="URL|none"    where "Open in playground" goes (default: index.html next to embed.js);
//                            the link carries the manifests in its #fragment, never in the request
//   name="file.yaml"         the file name diagnostics point at
// `data-theme` and `data-playground` on this script element set the defaults for the page.
//
// <moat-reachability> is a custom element: elements added later render too. All widgets of a page
// share one instance of the engine.
(() => {
  "use strict";
  if (customElements.get("moat-reachability")) return; // loaded twice

  // A module script has no document.currentScript: then find this script by its name.
  const self =
    document.currentScript ||
    [...document.querySelectorAll("script[src]")].find((s) => /(^|\/)embed\.js([?#]|$)/.test(s.getAttribute("src")));
  const base = new URL(".", self ? self.src : document.baseURI);
  const defaults = {
    theme: (self && self.dataset.theme) || "auto",
    playground: (self && self.dataset.playground) || new URL("index.html", base).href,
  };

  let engine;
  function loadEngine() {
    engine ??= import(new URL("moat-embed.js", base).href).then(async (module) => {
      await module.default({ module_or_path: new URL("moat-embed_bg.wasm", base) });
      return module;
    });
    return engine;
  }

  const parsed = new Promise((resolve) => {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve, { once: true });
    else resolve();
  });

  // The manifests of a widget: given by a <pre class="moat">, fetched from `src`, or its own text.
  async function manifests(host) {
    if (host.moatManifests) return host.moatManifests;
    const src = host.getAttribute("src");
    if (!src) return { name: host.getAttribute("name") || "manifests.yaml", text: host.textContent };
    const url = new URL(src, document.baseURI);
    if (url.origin !== location.origin) {
      throw new Error(`\`${src}\` is not on this site: the widget only reads manifests from the page's own origin`);
    }
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`cannot load \`${src}\`: HTTP ${response.status} ${response.statusText}`);
    return { name: host.getAttribute("name") || decodeURIComponent(url.pathname.split("/").pop()), text: await response.text() };
  }

  async function render(host) {
    await parsed; // the element's text is complete only once the page is parsed
    const theme = host.getAttribute("theme") || defaults.theme;
    const link = host.getAttribute("playground") || defaults.playground;
    const playground = link === "none" ? undefined : new URL(link, document.baseURI).href;
    let module;
    try {
      module = await loadEngine();
    } catch (error) {
      // Without the engine the element keeps showing its manifests as text.
      console.error("moat: cannot load the engine", error);
      return;
    }
    try {
      module.renderWidget(host, await manifests(host), { theme, playground });
    } catch (error) {
      module.renderWidgetFailure(host, error.message || String(error), theme);
    }
    host.dispatchEvent(new CustomEvent("moat-rendered", { bubbles: true }));
  }

  class MoatReachability extends HTMLElement {
    static observedAttributes = ["src", "theme", "playground", "name"];
    connectedCallback() {
      render(this);
    }
    attributeChangedCallback(_name, before, after) {
      if (this.isConnected && this.shadowRoot && before !== after) render(this);
    }
  }

  // Each <pre class="moat"> gets a widget right after it, fed with the block's text.
  parsed.then(() => {
    for (const pre of document.querySelectorAll("pre.moat:not([data-moat-widget])")) {
      const host = document.createElement("moat-reachability");
      host.moatManifests = { name: pre.dataset.name || "manifests.yaml", text: pre.textContent };
      for (const option of ["theme", "playground"]) {
        if (pre.dataset[option]) host.setAttribute(option, pre.dataset[option]);
      }
      pre.setAttribute("data-moat-widget", "");
      pre.after(host);
    }
  });

  customElements.define("moat-reachability", MoatReachability);
})();
