// The model catalogue on the gateway's settings page in headless Chromium:
// the administration sees the catalogue with an estimate for this server,
// clicks „Herunterladen“ on an entry whose address (from the data folder's
// own catalogue) is a local HTTP server, watches the progress and then finds
// the file in the data folder, ready to be chosen as the local model; then
// switches to it while a chat streams on the old model, without a restart.
// Uses the SmolLM2 test model as the file to download; skipped without it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
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
    // The portal chooses the local model, so it may switch it.
    withModel: false,
    prepare(dataDir) {
      mkdirSync(join(dataDir, "models"), { recursive: true });
      symlinkSync(model, join(dataDir, "models", "SmolLM2-Alt.Q4_1.gguf"));
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

async function chooseModel(page, file) {
  await page.goto(ctx.base + "/assistent/einstellungen");
  await page.selectOption("#model", file);
  await Promise.all([
    page.waitForLoadState("load"),
    page.click("form[action='/assistent/einstellungen/modell'] button[type=submit]"),
  ]);
  assert.doesNotMatch(await page.textContent("main"), /lässt sich nicht laden/);
}

test("the administration switches the local model while a chat streams on the old one", { skip: !haveModel && "test model missing" }, async () => {
  const { base, browser } = ctx;
  await chooseModel(admin, "SmolLM2-Alt.Q4_1.gguf");
  assert.match(await admin.textContent("main"), /Jetzt läuft das lokale Modell „smollm2-alt\.q4_1“/);
  await checkA11y(admin, "/assistent/einstellungen mit gewähltem Modell");

  const chat = await (await browser.newContext({
    viewport: { width: 1280, height: 900 }, locale: "de-DE",
    storageState: await admin.context().storageState(),
  })).newPage();
  chat.on("pageerror", (e) => { throw e; });
  await chat.goto(base + "/assistent");
  assert.equal(await chat.inputValue("#model"), "smollm2-alt.q4_1");
  // A long answer, so that it is still streaming when the model switches.
  await chat.evaluate(() => {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "max_tokens";
    input.value = "400";
    document.getElementById("chat-form").appendChild(input);
  });
  await chat.fill("#message", "Count from 1 to 200, one number per line.");
  await chat.click("#send");
  await chat.waitForFunction(() => {
    const t = document.querySelector("#chat-log li.msg.ai .text");
    return t && t.textContent.trim().length > 0;
  }, null, { timeout: 120000 });

  await chooseModel(admin, "SmolLM2-Browsertest.Q4_1.gguf");
  const streaming = await chat.evaluate(() => document.querySelectorAll("#chat-log li.msg.ai button.copy").length === 0);
  assert.ok(streaming, "the answer was still streaming when the switch was done");
  assert.match(await admin.textContent("main"), /Jetzt läuft das lokale Modell „smollm2-browsertest\.q4_1“/);

  // The running answer ends on the old model, without an error.
  await chat.waitForFunction(() => document.querySelectorAll("#chat-log li.msg.ai button.copy").length === 1
    && !document.querySelector("#send").disabled, null, { timeout: 180000 });
  assert.equal(await chat.locator("#chat-log li.failed").count(), 0, "the running answer was not cut off");
  assert.match(await chat.textContent("#chat-log li.msg.ai .text"), /\d/);

  // The next chat uses the new model.
  await chat.click("#new-chat");
  await chat.goto(base + "/assistent");
  assert.equal(await chat.inputValue("#model"), "smollm2-browsertest.q4_1");
  const ids = await chat.$$eval("#model option", (os) => os.map((o) => o.value));
  assert.ok(!ids.includes("smollm2-alt.q4_1"), `the old model is gone: ${ids.join(", ")}`);
  await chat.fill("#message", "Nenne eine Farbe.");
  await chat.click("#send");
  await chat.waitForFunction(() => document.querySelectorAll("#chat-log li.msg.ai button.copy").length === 1
    && !document.querySelector("#send").disabled, null, { timeout: 120000 });
  assert.equal(await chat.locator("#chat-log li.failed").count(), 0);
  await checkA11y(chat, "/assistent nach dem Modellwechsel");
  await chat.context().close();
});
