// Builds the browser app into the Python package, where the service serves it from and the
// wheel ships it: one bundled ES module with its source map, and the page, styles and images
// beside it, in sessionsvc/web/static/ (ignored by git; edit src/, never the output).
import { cp, mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const src = fileURLToPath(new URL("./src/", import.meta.url));
const out = fileURLToPath(new URL("../sessionsvc/web/static/", import.meta.url));

// Start from nothing, so a file removed from src/ does not live on in the package.
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

// One module per page: the join page and the connection test page.
await build({
  entryPoints: [`${src}js/app.js`, `${src}js/testpage.js`],
  outdir: `${out}js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  minify: true,
  sourcemap: "linked",
  logLevel: "warning",
});

// The support dashboard: its own module, with its styles and uPlot's bundled beside it
// (js/support.css).
await build({
  entryPoints: [`${src}js/support.js`],
  outfile: `${out}js/support.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  minify: true,
  sourcemap: "linked",
  logLevel: "warning",
});

// The pages, their styles and images are served as they are.
await cp(`${src}index.html`, `${out}index.html`);
await cp(`${src}support.html`, `${out}support.html`);
await cp(`${src}test.html`, `${out}test.html`);
// (css/support.css is bundled into js/support.css above.)
await cp(`${src}css`, `${out}css`, { recursive: true, filter: (path) => !path.endsWith("support.css") });
await cp(`${src}img`, `${out}img`, { recursive: true });
