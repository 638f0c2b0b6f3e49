// The model catalogue on the gateway's settings page in headless Chromium:
// the administration sees the catalogue with an estimate for this server,
// clicks „Herunterladen“ on an entry whose address (from the data folder's
// own catalogue) is a local HTTP server, watches the progress and then finds
// the file in the data folder, ready to be chosen as the local model. Uses
// the SmolLM2 test model as the file to download; skipped without it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { startPortal, checkA11y, haveModel, model, setUpMunicipality } from "./harness.mjs";

let ctx, files, admin;
before(async () => {
  if (!haveModel) return;
  const bytes = readFileSync(model);
  const sha = createHash("sha256").update(bytes).digest("hex");
  files = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length });
    res.end(bytes);
  });
  await new Promise((resolve) => files.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${files.address().port}/SmolLM2.gguf`;
  ctx = await startPortal({
    prepare(dataDir) {
      mkdirSync(join(dataDir, "content"), { recursive: true });
      writeFileSync(join(dataDir, "content", "models.yaml"), `- id: smollm2-test
  name: SmolLM2 im Browsertest
  architecture: llama
  licence: Apache-2.0
  languages: [en]
  context_length: 8192
  shape: { layers: 30, kv_heads: 3, head_dim: 64 }
  recommended_use: Nur für Tests.
  quality_note: Kein brauchbares Deutsch.
  sampling: { temperature: 0.2, top_p: 0.9 }
  quants:
    - quant: Q4_1
      file: SmolLM2-Browsertest.Q4_1.gguf
      size_bytes: ${bytes.length}
      url: ${url}
      sha256: ${sha}
`);
    },
  });
  admin = await setUpMunicipality(ctx);
});
after(async () => {
  if (ctx) await ctx.stop();
  if (files) files.close();
});

test("the administration downloads a model from the catalogue", { skip: !haveModel && "test model missing" }, async () => {
  const { base } = ctx;
  await admin.goto(base + "/assistent/einstellungen");
  await checkA11y(admin, "/assistent/einstellungen");
  const row = admin.locator("tr", { has: admin.locator("th", { hasText: "SmolLM2 im Browsertest" }) });
  assert.match(await row.textContent(), /Tokens\/s/);
  await Promise.all([admin.waitForLoadState("load"), row.locator("button", { hasText: "Herunterladen" }).click()]);
  assert.match(admin.url(), /\/assistent\/einstellungen/);
  let text = "";
  for (let i = 0; i < 100 && !text.includes("im Datenordner"); i++) {
    await new Promise((r) => setTimeout(r, 200));
    await admin.goto(base + "/assistent/einstellungen");
    text = await admin.locator("tr", { has: admin.locator("th", { hasText: "SmolLM2 im Browsertest" }) }).textContent();
    assert.doesNotMatch(text, /verworfen|brach ab|nicht erreichbar/);
  }
  assert.match(text, /im Datenordner/);
  const options = await admin.locator("#model option").allTextContents();
  assert.ok(options.includes("SmolLM2-Browsertest.Q4_1.gguf"), options.join(", "));
  await checkA11y(admin, "/assistent/einstellungen nach dem Download");
});
