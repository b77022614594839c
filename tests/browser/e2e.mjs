// The docs widget end to end: serves a built site (scripts/build-site, or Trunk's dist/) from
// 127.0.0.1, opens the example pages in headless Chromium, checks that every widget drew the pods
// and connections its manifests allow (through the diagram's data-* attributes, and the same rows
// in the text alternative), and that no request left the page except for moat's own files.
//
//   node tests/browser/e2e.mjs [SITE_DIR, default dist] [SCREENSHOT_DIR]
import { mkdtemp, rm, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const site = path.resolve(process.argv[2] ?? "dist");
const screenshots = process.argv[3];

// What each widget must show, in page order: the pods (and workloads) as `namespace/name`, the allowed
// connections as `from -> to` (address ranges outside the cluster by their range), and the theme
// (checked in a browser that prefers dark colours).
const pages = {
  "widget.html": [
    {
      theme: "auto",
      pods: ["shop/backend", "shop/db", "shop/frontend"],
      edges: [
        "0.0.0.0-255.255.255.255 -> shop/frontend",
        "shop/backend -> 0.0.0.0-255.255.255.255",
        "shop/backend -> shop/db",
        "shop/backend -> shop/frontend",
        "shop/db -> 0.0.0.0-255.255.255.255",
        "shop/db -> shop/frontend",
        "shop/frontend -> 0.0.0.0-255.255.255.255",
        "shop/frontend -> shop/backend",
      ],
    },
    {
      theme: "auto",
      pods: ["dev/debug", "monitoring/prometheus", "prod/api"],
      edges: [
        "0.0.0.0-255.255.255.255 -> dev/debug",
        "0.0.0.0-255.255.255.255 -> monitoring/prometheus",
        "dev/debug -> 0.0.0.0-255.255.255.255",
        "dev/debug -> monitoring/prometheus",
        "monitoring/prometheus -> 0.0.0.0-255.255.255.255",
        "monitoring/prometheus -> dev/debug",
        "monitoring/prometheus -> prod/api",
        "prod/api -> 0.0.0.0-255.255.255.255",
        "prod/api -> dev/debug",
        "prod/api -> monitoring/prometheus",
      ],
    },
    {
      theme: "dark",
      pods: ["kube-system/coredns", "payments/billing"],
      edges: [
        "0.0.0.0-255.255.255.255 -> kube-system/coredns",
        "0.0.0.0-255.255.255.255 -> payments/billing",
        "kube-system/coredns -> 0.0.0.0-192.167.255.255",
        "kube-system/coredns -> 192.168.0.0-192.168.4.255",
        "kube-system/coredns -> 192.168.5.0-192.168.5.255",
        "kube-system/coredns -> 192.168.6.0-192.168.255.255",
        "kube-system/coredns -> 192.169.0.0-255.255.255.255",
        "kube-system/coredns -> payments/billing",
        "payments/billing -> 192.168.0.0-192.168.4.255",
        "payments/billing -> 192.168.6.0-192.168.255.255",
        "payments/billing -> kube-system/coredns",
      ],
    },
  ],
  "examples/mdbook.html": [
    {
      theme: "auto",
      pods: ["docs/search", "docs/web"],
      edges: [
        "docs/search -> 0.0.0.0-255.255.255.255",
        "docs/web -> 0.0.0.0-255.255.255.255",
      ],
    },
    {
      theme: "auto",
      pods: ["team-a/api", "team-a/worker", "team-b/client"],
      edges: [
        "0.0.0.0-255.255.255.255 -> team-b/client",
        "team-a/api -> 0.0.0.0-255.255.255.255",
        "team-a/api -> team-a/worker",
        "team-a/api -> team-b/client",
        "team-a/worker -> 0.0.0.0-255.255.255.255",
        "team-a/worker -> team-a/api",
        "team-a/worker -> team-b/client",
        "team-b/client -> 0.0.0.0-255.255.255.255",
      ],
    },
    {
      theme: "light",
      pods: ["default/api", "default/coffeeshop", "default/frontend"],
      edges: [
        "0.0.0.0-255.255.255.255 -> default/coffeeshop",
        "0.0.0.0-255.255.255.255 -> default/frontend",
        "default/api -> 0.0.0.0-255.255.255.255",
        "default/api -> default/coffeeshop",
        "default/api -> default/frontend",
        "default/coffeeshop -> 0.0.0.0-255.255.255.255",
        "default/coffeeshop -> default/frontend",
        "default/frontend -> 0.0.0.0-255.255.255.255",
        "default/frontend -> default/api",
        "default/frontend -> default/coffeeshop",
      ],
    },
  ],
};
// The only files a page may load: itself, its stylesheet, the widget, and manifests named by `src`.
const moatFiles = ["/embed.js", "/moat-embed.js", "/moat-embed_bg.wasm", "/style.css",
  "/examples/egress-to-dns-and-api.yaml", "/examples/allow-same-namespace.yaml"];

const failures = [];
const check = (ok, message) => ok || failures.push(message);
const sameList = (actual, expected) => JSON.stringify([...actual].sort()) === JSON.stringify([...expected].sort());

const server = await serve(site);
const origin = `http://127.0.0.1:${server.address().port}`;
const profile = await mkdtemp(path.join(tmpdir(), "moat-e2e-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 900 },
});
try {
  // Every request of every page is seen here; anything not from the local site is refused.
  const requests = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    requests.push(url);
    return url.origin === origin ? route.continue() : route.abort();
  });
  for (const [file, expectedWidgets] of Object.entries(pages)) {
    const page = await context.newPage();
    page.on("pageerror", (error) => failures.push(`${file}: page error: ${error.message}`));
    page.on("console", (message) => message.type() === "error" && failures.push(`${file}: console: ${message.text()}`));
    // A reader who prefers dark colours: `auto` widgets follow, `light` ones do not.
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${origin}/${file}`);
    // Rendered widgets have a shadow root with a diagram or an alert.
    await page.waitForFunction((count) => {
      const hosts = [...document.querySelectorAll("moat-reachability")];
      return hosts.length === count && hosts.every((h) => h.shadowRoot?.querySelector("svg, [role=alert]"));
    }, expectedWidgets.length, { timeout: 20000 });
    const widgets = await page.evaluate(() =>
      [...document.querySelectorAll("moat-reachability")].map((host) => {
        const root = host.shadowRoot;
        const all = (selector, attribute) => [...root.querySelectorAll(selector)].map((e) => e.getAttribute(attribute));
        const pairs = (selector) => [...root.querySelectorAll(selector)].map((e) => `${e.dataset.from} -> ${e.dataset.to}`);
        return {
          pods: all("svg [data-pod]", "data-pod"),
          edges: pairs("svg .edge"),
          rows: pairs("table tr[data-from]"),
          theme: root.querySelector("figure")?.dataset.theme,
          background: getComputedStyle(root.querySelector("figure") ?? host).backgroundColor,
          link: root.querySelector("a.playground")?.href,
          alert: root.querySelector("[role=alert]")?.textContent,
          diagnostics: root.querySelector(".diagnostics")?.textContent,
        };
      }));
    widgets.forEach((widget, i) => {
      const expected = expectedWidgets[i];
      const name = `${file} widget ${i + 1}`;
      check(!widget.alert, `${name}: failed: ${widget.alert}`);
      check(!widget.diagnostics, `${name}: diagnostics: ${widget.diagnostics}`);
      check(sameList(widget.pods, expected.pods), `${name}: pods ${JSON.stringify(widget.pods)}, expected ${JSON.stringify(expected.pods)}`);
      check(sameList(widget.edges, expected.edges), `${name}: edges ${JSON.stringify(widget.edges)}, expected ${JSON.stringify(expected.edges)}`);
      check(sameList(widget.rows, expected.edges), `${name}: the table's rows differ from the diagram: ${JSON.stringify(widget.rows)}`);
      check(widget.theme === expected.theme, `${name}: theme ${widget.theme}, expected ${expected.theme}`);
      const background = expected.theme === "light" ? "rgb(255, 255, 255)" : "rgb(13, 17, 23)";
      check(widget.background === background, `${name}: background ${widget.background} in a dark browser, expected ${background}`);
      check(widget.link?.startsWith(`${origin}/index.html#m=`), `${name}: playground link ${widget.link}`);
    });
    if (screenshots) {
      await mkdir(screenshots, { recursive: true });
      await page.screenshot({ path: path.join(screenshots, `${file.replaceAll("/", "-")}.png`), fullPage: true });
    }
    await page.close();
  }
  const outside = requests.filter((url) => url.origin !== origin);
  const unexpected = requests.filter((url) => url.origin === origin && !Object.keys(pages).includes(url.pathname.slice(1)) && !moatFiles.includes(url.pathname));
  check(outside.length === 0, `requests left the page: ${outside.join(", ")}`);
  check(unexpected.length === 0, `requests for other files: ${unexpected.join(", ")}`);
  console.log(`e2e: ${Object.keys(pages).length} pages, ${Object.values(pages).flat().length} widgets, ${requests.length} requests, all to ${origin}`);
} finally {
  await context.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(failures.map((f) => `FAIL ${f}`).join("\n"));
  process.exit(1);
}
console.log("e2e: ok");
