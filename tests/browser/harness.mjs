// Shared set-up of the browser tests: a real `ki-reise serve` on a free
// port, headless Chromium, axe-core, and the steps a municipality takes
// before anything else (set-up, inviting people). Each test file starts its
// own server, so files do not depend on each other's state.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
const bin = process.env.KI_REISE_BIN || join(root, "target", "debug", "ki-reise");
const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");
// The SmolLM2 test model (scripts/fetch-test-model.sh), which the staff chat
// answers with; without it the chat tests are skipped.
export const model = process.env.KI_REISE_TEST_MODEL ||
  join(root, ".cache", "models", "SmolLM2-135M-Instruct.Q4_1.gguf");
export const haveModel = existsSync(model);

export const admin = { name: "Ada Admin", email: "ada@musterstadt.de", password: "sehr-geheim-123" };

function startServer(dataDir, withModel) {
  return new Promise((resolve, reject) => {
    const args = ["serve", "--data", dataDir, "--bind", "127.0.0.1:0"];
    if (haveModel && withModel) args.push("--model", model);
    if (process.env.KI_REISE_BROWSER_DATABASE_URL) {
      args.push("--database-url", process.env.KI_REISE_BROWSER_DATABASE_URL);
    }
    const server = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start:\n" + out)), 30000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const url = out.match(/läuft unter (http:\/\/\S+)/);
      const code = out.match(/Einrichtungscode: (\S+)/);
      if (url && code) {
        clearTimeout(timer);
        resolve({ server, url: url[1], code: code[1] });
      }
    });
    server.stderr.on("data", (chunk) => { out += chunk; });
    server.on("error", (e) => reject(new Error(`cannot start ${bin}: ${e.message}`)));
    server.on("exit", (c) => reject(new Error(`server exited with ${c}:\n${out}`)));
  });
}

/// Starts `ki-reise serve` on a free port and headless Chromium. Call it in
/// the file's one `before` hook (node 20 does not wait for one root hook
/// before it starts the next) and `stop()` in `after`. `prepare(dataDir)`
/// may put files into the data folder before the server starts. With
/// `withModel: false` the server starts without `--model`, so that the
/// portal chooses (and switches) the local model.
export async function startPortal({ prepare, withModel = true } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "kireise-browser-"));
  if (prepare) prepare(dataDir);
  const started = await startServer(dataDir, withModel);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const ctx = { base: started.url, setupCode: started.code, browser };
  ctx.newPage = async (width = 1280) => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, locale: "de-DE" });
    const page = await context.newPage();
    page.on("pageerror", (e) => { throw e; });
    return page;
  };
  ctx.stop = async () => {
    await browser.close();
    started.server.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  };
  return ctx;
}

export async function checkA11y(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const detail = bad.map((v) => `${v.id} (${v.impact}): ${v.help} → ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(detail, [], `accessibility violations on ${label}`);
}

/// The first set-up of "Stadt Musterstadt" through /einrichtung; returns the
/// administrator's page, signed in on the dashboard.
export async function setUpMunicipality(ctx, departments = "Bürgerservice; 120\nJugendamt; 300") {
  const page = await ctx.newPage();
  await page.goto(ctx.base + "/einrichtung");
  await page.fill("#setup_code", ctx.setupCode);
  await page.fill("#admin_name", admin.name);
  await page.fill("#admin_email", admin.email);
  await page.fill("#admin_password", admin.password);
  await page.fill("#name", "Stadt Musterstadt");
  await page.fill("#ags", "15002000");
  await page.fill("#staff_count", "1200");
  await page.fill("#departments", departments);
  await page.click("button[type=submit]");
  await page.waitForURL(ctx.base + "/?willkommen=1");
  return page;
}

/// The administration invites a person; returns their page, signed in after
/// they set their password through the invitation link.
export async function invite(ctx, adminPage, { name, email, role, department, password, width = 1280 }) {
  await adminPage.goto(ctx.base + "/benutzer/neu");
  await adminPage.fill("#name", name);
  await adminPage.fill("#email", email);
  await adminPage.selectOption("#role", role);
  if (department) await adminPage.selectOption("#department", department);
  await adminPage.click("main button[type=submit]");
  const link = (await adminPage.textContent("#one-time-link")).trim();
  const page = await ctx.newPage(width);
  await page.goto(link);
  await page.fill("#password", password);
  await page.fill("#password_confirm", password);
  await page.click("main button[type=submit]");
  await page.waitForURL(ctx.base + "/");
  return page;
}

/// Answers every required question of the open questionnaire: "Nie" for the
/// use of AI (so the follow-up questions stay hidden), the first option
/// wherever nothing is chosen yet.
export async function answerRequired(page) {
  await page.check("input[name=nutzung_haeufigkeit][value=nie]");
  await page.evaluate(() => {
    for (const fs of document.querySelectorAll("fieldset")) {
      const radios = fs.querySelectorAll(":scope > .choices > .choice > input[type=radio]");
      if (radios.length && ![...radios].some((r) => r.checked)) radios[0].checked = true;
      const boxes = fs.querySelectorAll(":scope > .choices > .choice > input[type=checkbox]");
      if (boxes.length && ![...boxes].some((b) => b.checked)) boxes[0].checked = true;
    }
  });
}

/// The real OpenID provider (tests/oidc/server.mjs, npm package
/// oidc-provider, installed by `npm ci` in tests/oidc) on a free port, with
/// the test people of tests/oidc/users.json and one client whose redirect
/// URIs point at the portal at `portalBase`. `null` where its packages are
/// not installed. Returns { issuer, clientId, clientSecret, stop }.
export async function startOidcProvider(portalBase) {
  const dir = join(root, "tests", "oidc");
  if (!existsSync(join(dir, "node_modules", "oidc-provider"))) return null;
  const port = await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const clientId = "ki-reise-browser";
  const clientSecret = "browser-geheimnis-0123456789";
  const provider = spawn(process.execPath, ["server.mjs"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      OIDC_PORT: String(port),
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      OIDC_REDIRECT_URIS: `${portalBase}/anmelden/dienstkonto/zurueck`,
      OIDC_POST_LOGOUT_URIS: `${portalBase}/anmelden`,
      OIDC_BACKCHANNEL_URI: `${portalBase}/anmelden/dienstkonto/abmelden`,
    },
  });
  const issuer = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("oidc-provider did not start:\n" + out)), 20000);
    provider.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    provider.stderr.on("data", (chunk) => { out += chunk; });
    provider.on("exit", (c) => reject(new Error(`oidc-provider exited with ${c}:\n${out}`)));
  });
  return { issuer, clientId, clientSecret, stop: () => provider.kill("SIGTERM") };
}
