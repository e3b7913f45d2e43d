import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The page imports the typed client from ../client and the price data from ../data: both sit outside app/.
const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { host: "127.0.0.1", fs: { allow: [root] } },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
