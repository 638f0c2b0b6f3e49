// End-to-end tests of the ki-reise portal in headless Chromium against a real
// `ki-reise serve` on a free port, with axe-core on every page: no violation
// of impact "serious" or "critical" is allowed. The tests of this file build
// on each other: the first one sets the municipality up.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startPortal, checkA11y, admin, answerRequired } from "./harness.mjs";

let ctx, base, setupCode, browser;
const newPage = (width) => ctx.newPage(width);
before(async () => {
  ctx = await startPortal();
  ({ base, setupCode, browser } = ctx);
});
after(async () => { if (ctx) await ctx.stop(); });
let inviteUrl;
let adminPage;

test("set-up creates the administrator and the profile, then shows the dashboard", async () => {
  const page = await newPage();
  adminPage = page;
  await page.goto(base + "/");
  assert.match(page.url(), /\/einrichtung$/);
  await checkA11y(page, "/einrichtung");
  await page.fill("#setup_code", "FALSCH-00000");
  await page.fill("#admin_name", admin.name);
  await page.fill("#admin_email", admin.email);
  await page.fill("#admin_password", admin.password);
  await page.fill("#name", "Stadt Musterstadt");
  await page.fill("#ags", "15002000");
  await page.fill("#staff_count", "1200");
  await page.fill("#departments", "Bürgerservice; 120\nJugendamt; 300");
  await page.click("button[type=submit]");
  // A wrong code: error next to the field, input kept.
  assert.match(await page.textContent("#setup_code-error"), /Einrichtungscode stimmt nicht/);
  assert.equal(await page.inputValue("#name"), "Stadt Musterstadt");
  await checkA11y(page, "/einrichtung with errors");
  await page.fill("#setup_code", setupCode);
  await page.fill("#admin_password", admin.password);
  await page.click("button[type=submit]");
  await page.waitForURL(base + "/?willkommen=1");
  assert.match(await page.textContent("h1"), /Die KI-Reise von Stadt Musterstadt/);
  // The set-up created the profile: the next step is the one after it.
  const next = await page.textContent("section.next");
  assert.doesNotMatch(next, /Profil der Kommune anlegen/);
  assert.match(next, /Projektteam KI-Reise und Zugänge einrichten/);
  await checkA11y(page, "/ (dashboard)");
});

test("a step is marked done in place and stays done after reload", async () => {
  const page = adminPage;
  await page.selectOption("#status-projektteam", "done");
  await page.fill("#note-projektteam", "Team steht");
  await page.click("#step-projektteam button[type=submit]");
  await page.locator("#step-projektteam .status.done").waitFor();
  assert.match(await page.textContent("#step-projektteam"), /zuletzt geändert von Ada Admin/);
  await page.reload();
  assert.match(await page.textContent("#step-projektteam .status"), /erledigt/);
  assert.match(await page.textContent("body"), /2 von 6 Schritten erledigt/);
});

test("the administrator creates a user and gets an invitation link", async () => {
  const page = adminPage;
  await page.goto(base + "/benutzer/neu");
  await checkA11y(page, "/benutzer/neu");
  await page.fill("#name", "Pia Projekt");
  await page.fill("#email", "pia@musterstadt.de");
  await page.selectOption("#role", "project-team");
  await page.selectOption("#department", "Bürgerservice");
  await page.click("main button[type=submit]");
  inviteUrl = (await page.textContent("#one-time-link")).trim();
  assert.match(inviteUrl, /\/einladung\/[0-9a-f]{64}$/);
  await checkA11y(page, "/benutzer with link");
});

test("the invited user sets a password and can log in again", async () => {
  const page = await newPage();
  await page.goto(inviteUrl);
  await checkA11y(page, "/einladung");
  await page.fill("#password", "pia-passwort-42");
  await page.fill("#password_confirm", "pia-passwort-24");
  await page.click("main button[type=submit]");
  assert.match(await page.textContent("#password_confirm-error"), /stimmen nicht überein/);
  await checkA11y(page, "/einladung (Eingaben verschieden)");
  await page.fill("#password", "pia-passwort-42");
  await page.fill("#password_confirm", "pia-passwort-42");
  await page.click("main button[type=submit]");
  await page.waitForURL(base + "/");
  await page.click("button.link"); // Abmelden
  await page.waitForURL(/\/anmelden$/);
  await checkA11y(page, "/anmelden");
  await page.fill("#email", "pia@musterstadt.de");
  await page.fill("#password", "falsch-falsch");
  await page.click("main button[type=submit]");
  assert.match(await page.textContent("#login-error"), /falsch/);
  assert.equal(await page.inputValue("#email"), "pia@musterstadt.de");
  await page.fill("#password", "pia-passwort-42");
  await page.click("main button[type=submit]");
  await page.waitForURL(base + "/");
  assert.match(await page.textContent("header"), /Projektteam KI-Reise/);
});

test("every page passes axe-core and fits a 360 px screen", async () => {
  const pages = ["/", "/profil", "/profil/bearbeiten", "/benutzer", "/benutzer/import", "/benutzer/1",
    "/protokoll", "/konto", "/module/umfrage", "/module/modelle", "/vergleichstest", "/gibt-es-nicht",
    "/assistent/assistenten", "/assistent/nutzung", "/assistent/kontingente", "/assistent/einstellungen"];
  for (const path of pages) {
    await adminPage.goto(base + path);
    await checkA11y(adminPage, path);
  }
  const narrow = await browser.newContext({ viewport: { width: 360, height: 740 },
    storageState: await adminPage.context().storageState() });
  const page = await narrow.newPage();
  for (const path of ["/", "/benutzer", "/protokoll", "/dokumente", "/vergleichstest"]) {
    await page.goto(base + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px at 360 px`);
  }
  if (process.env.SCREENSHOT_DIR) {
    mkdirSync(process.env.SCREENSHOT_DIR, { recursive: true });
    await adminPage.goto(base + "/");
    await adminPage.screenshot({ path: join(process.env.SCREENSHOT_DIR, "dashboard.png"), fullPage: false });
  }
});

test("the audit log shows who changed what", async () => {
  await adminPage.goto(base + "/protokoll");
  const text = await adminPage.textContent("main");
  for (const expected of ["Ersteinrichtung abgeschlossen", "Schritt geändert", "Benutzer angelegt", "Passwort über Link gesetzt"]) {
    assert.ok(text.includes(expected), `audit log lacks ${expected}`);
  }
});

test("the project team runs a survey that staff answer on a 375 px phone", async () => {
  const page = adminPage;
  await page.goto(base + "/umfrage");
  await checkA11y(page, "/umfrage");
  await page.goto(base + "/umfrage/neu");
  await checkA11y(page, "/umfrage/neu");
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/umfrage\/\d+$/);
  const surveyUrl = page.url();
  await checkA11y(page, "/umfrage/{id} (draft)");
  await page.click("form[action$='/oeffnen'] button");
  await page.click("form[action$='/links'] button");
  const link = (await page.textContent("#participation-links tbody tr td.key")).trim();
  assert.match(link, /\/teilnahme\/[0-9a-f]{48}$/);
  await checkA11y(page, "/umfrage/{id} (open, links)");

  const phone = await newPage(375);
  await phone.goto(link);
  await checkA11y(phone, "/teilnahme/{token}");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the survey scrolls sideways by ${overflow}px at 375 px`);
  await phone.click("form.survey button[type=submit]");
  await phone.locator("#error-summary").waitFor();
  await checkA11y(phone, "/teilnahme/{token} with errors");
  // Answer every required question: first option, "Nie" for the use of AI.
  await answerRequired(phone);
  await phone.fill("#f-ideen_anwendungsfaelle", "Protokolle zusammenfassen");
  await phone.click("form.survey button[type=submit]");
  assert.match(await phone.textContent("h1"), /Vielen Dank/);
  await checkA11y(phone, "thank-you page");
  // The same link a second time is refused.
  await phone.goto(link);
  assert.match(await phone.textContent("main"), /nur einmal teilnehmen/);

  await page.goto(surveyUrl);
  // Closing asks first: without the ticked box the survey stays open.
  await page.click("form[action$='/schliessen'] button");
  assert.match(await page.textContent("#confirm_close-error"), /bestätigen/);
  await page.check("#confirm_close");
  await page.click("form[action$='/schliessen'] button");
  await page.goto(surveyUrl + "/ergebnisse");
  assert.match(await page.textContent("h1"), /Ergebnisse/);
  assert.match(await page.textContent("main"), /< 5/);
  await checkA11y(page, "/umfrage/{id}/ergebnisse");
});

test("someone without an account types the slip's address and code as printed, and answers", async () => {
  const page = adminPage;
  await page.goto(base + "/umfrage/neu");
  await page.fill("#title", "Papierumfrage mit einem recht langen Titel für den Zettel am Schwarzen Brett");
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/umfrage\/\d+$/);
  await page.click("form[action$='/oeffnen'] button");
  await page.fill("#count", "4");
  await page.click("form[action$='/codes'] button");
  await checkA11y(page, "/umfrage/{id} (codes)");
  const slips = await page.$$eval("#participation-codes li", (items) => items.map((li) => {
    const box = li.getBoundingClientRect();
    const title = li.querySelector(".slip-title").getBoundingClientRect();
    return {
      code: li.querySelector(".slip-code").textContent.trim(),
      address: li.querySelector(".slip-address").textContent.trim(),
      // The address breaks only after a slash, never inside a word someone types.
      whole: [...li.querySelector(".slip-address").childNodes].filter((n) => n.nodeType === 3)
        .every((n) => { const r = document.createRange(); r.selectNodeContents(n); return r.getClientRects().length <= 1; }),
      // The dashed border is the cut line: the title keeps clear of it.
      inside: title.top >= box.top + 4 && title.bottom <= box.bottom - 4 &&
        title.left >= box.left + 4 && title.right <= box.right - 4,
    };
  }));
  assert.equal(slips.length, 4);
  for (const slip of slips) {
    assert.equal(slip.address, base + "/teilnahme", "the slip carries the full address");
    assert.ok(slip.inside, "the cut line crosses the title");
    assert.ok(slip.whole, "the address on the slip breaks inside a word");
  }
  // A fresh browser, no login: the printed address, the code in lower case with dashes.
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, locale: "de-DE" });
  const phone = await context.newPage();
  await phone.goto(base + "/umfrage");
  assert.match(phone.url(), /\/teilnahme$/);
  await phone.goto(slips[0].address);
  await checkA11y(phone, "/teilnahme (code form)");
  await phone.fill("#code", "xxxx-yyyy-zzzz");
  await phone.click("main button[type=submit]");
  assert.match(await phone.textContent("#code-error"), /nicht gültig/);
  assert.equal(await phone.inputValue("#code"), "xxxx-yyyy-zzzz");
  await checkA11y(phone, "/teilnahme (wrong code)");
  await phone.fill("#code", slips[0].code.toLowerCase());
  await phone.click("main button[type=submit]");
  await phone.waitForURL(/\/teilnahme\/[A-Z0-9]{12}$/);
  await answerRequired(phone);
  await phone.click("form.survey button[type=submit]");
  assert.match(await phone.textContent("h1"), /Vielen Dank/);
  await context.close();
});

test("the project team edits a questionnaire with a live preview; editor and paper form pass axe-core", async () => {
  const page = adminPage;
  await page.goto(base + "/umfrage/neu");
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/umfrage\/\d+$/);
  const surveyUrl = page.url();
  await page.click("a[href$='/bearbeiten']");
  await page.waitForURL(/\/bearbeiten$/);
  await checkA11y(page, "/umfrage/{id}/bearbeiten");
  // Typing updates the preview through htmx, without saving.
  await page.fill("#e-s0-q0-text", "Wo arbeiten Sie (Vorschau-Test)?");
  await page.locator("#preview", { hasText: "Wo arbeiten Sie (Vorschau-Test)?" }).waitFor();
  await checkA11y(page, "/umfrage/{id}/bearbeiten after a live preview");
  // Adding a question works by a plain form post.
  await page.selectOption("#e-s0-new-type", "likert");
  await page.click("button[value='add-question:0']");
  await page.waitForLoadState();
  await page.click("button[value='save']");
  await page.locator("#error-summary").waitFor();
  await checkA11y(page, "/umfrage/{id}/bearbeiten with errors");
  const last = page.locator("#e-s0 fieldset.editor-question textarea[name$='.text']").last();
  await last.fill("KI hilft mir bei meiner Arbeit.");
  await page.click("button[value='save']");
  assert.match(await page.textContent("main"), /gespeichert/);
  await page.goto(surveyUrl + "/papier");
  await checkA11y(page, "/umfrage/{id}/papier");
});

test("an idea is submitted and classified one question at a time; use-case pages pass axe-core", async () => {
  await adminPage.goto(base + "/anwendungsfaelle/neu");
  await checkA11y(adminPage, "/anwendungsfaelle/neu");
  await adminPage.click("main button[type=submit]");
  assert.equal(await adminPage.getAttribute("#title", "aria-invalid"), "true");
  await checkA11y(adminPage, "/anwendungsfaelle/neu with errors");
  await adminPage.fill("#title", "Antworten auf Bürgeranfragen vorschlagen");
  await adminPage.fill("#problem", "Viele gleichartige Anfragen per E-Mail binden Zeit.");
  await adminPage.click("main button[type=submit]");
  await adminPage.waitForURL(/\/anwendungsfaelle\/af-/);
  await checkA11y(adminPage, "use case detail");
  const detail = adminPage.url().split("?")[0];
  await adminPage.goto(detail + "/einstufung");
  await checkA11y(adminPage, "classification wizard");
  // The tree has no cycles, so always taking the first answer ends in a conclusion.
  for (let i = 0; i < 60 && !(await adminPage.isVisible("button[name=save]")); i++) {
    await adminPage.check("main fieldset input[type=radio] >> nth=0");
    await adminPage.click("button[name=next]");
  }
  await checkA11y(adminPage, "classification result");
  await adminPage.click("button[name=save]");
  await adminPage.waitForURL((u) => u.pathname === new URL(detail).pathname);
  assert.match(await adminPage.textContent("#einstufung + *"), /\S/);
  assert.match(await adminPage.textContent("main"), /Risikoklasse/);
  await adminPage.goto(detail + "/datenschutz");
  await checkA11y(adminPage, "data protection");
  await adminPage.goto(detail + "/pilot");
  await checkA11y(adminPage, "pilot");
  await adminPage.click("main button[type=submit]");
  await adminPage.waitForURL(/\/pilot\?gespeichert=1$/);
  for (const path of ["/anwendungsfaelle", "/anwendungsfaelle/tafel", "/anwendungsfaelle/kriterien", "/anwendungsfaelle/bibliothek", "/ki-register"]) {
    await adminPage.goto(base + path);
    await checkA11y(adminPage, path);
  }
});

test("a KI-Richtlinie goes from interview through editing with live preview to review; document pages pass axe-core", async () => {
  await adminPage.goto(base + "/dokumente");
  await checkA11y(adminPage, "/dokumente");
  await adminPage.goto(base + "/dokumente/neu/ki-richtlinie");
  await checkA11y(adminPage, "interview");
  await adminPage.fill("#_title", "KI-Richtlinie Musterstadt");
  await adminPage.click("main button[type=submit]");
  await adminPage.waitForURL(/\/dokumente\/\d+$/);
  const doc = adminPage.url();
  await checkA11y(adminPage, "document page");
  assert.match(await adminPage.textContent("main"), /Lesbarkeit/);
  await adminPage.goto(doc + "/bearbeiten");
  await checkA11y(adminPage, "editor");
  // The text field is on the first screen: wide (beside the preview) and narrow (stacked).
  for (const [width, height] of [[1280, 800], [375, 740]]) {
    const view = await browser.newPage({ viewport: { width, height }, locale: "de-DE" });
    await view.context().addCookies(await adminPage.context().cookies());
    await view.goto(doc + "/bearbeiten");
    const box = await view.locator("#markdown").boundingBox();
    assert.ok(box && box.y < height, `the text field starts at ${box?.y}px, below the ${height}px screen at ${width}px`);
    const preview = await view.locator(".preview-pane").boundingBox();
    if (width >= 1024) assert.ok(preview.x > box.x + box.width - 1, "editor and preview side by side");
    else assert.ok(preview.y >= box.y + box.height, "editor and preview stacked");
    await checkA11y(view, `editor at ${width}px`);
    await view.close();
  }
  // The preview follows the text (htmx), sanitised: no script survives.
  await adminPage.fill("#markdown", "# Neue Überschrift\n\nText mit <script>alert(1)</script> Inhalt.\n");
  await adminPage.waitForFunction(() => document.querySelector("#preview h1")?.textContent.includes("Neue Überschrift"));
  assert.equal(await adminPage.locator("#preview script").count(), 0);
  await adminPage.click("main form button[type=submit]");
  await adminPage.waitForURL(doc);
  await adminPage.goto(doc + "/vergleich?von=1&bis=2");
  await checkA11y(adminPage, "diff");
  assert.match(await adminPage.textContent("main"), /Neue Überschrift/);
  await adminPage.goto(doc);
  await adminPage.click("text=Zur Prüfung einreichen");
  await adminPage.waitForURL(doc);
  await checkA11y(adminPage, "review");
  assert.match(await adminPage.textContent("main"), /in Prüfung/);
  for (const path of ["/dokumente/vorlagen", "/dokumente/regelwerk"]) {
    await adminPage.goto(base + path);
    await checkA11y(adminPage, path);
  }
});

test("the qualification catalogue, planner and Art. 4 report pass axe-core", async () => {
  await adminPage.goto(base + "/qualifizierung");
  await checkA11y(adminPage, "/qualifizierung (empty)");
  await adminPage.click("text=Musterkatalog übernehmen");
  await adminPage.waitForSelector("text=Elements of AI");
  assert.match(await adminPage.textContent("main"), /Musterkatalog übernommen/);
  await checkA11y(adminPage, "/qualifizierung (catalogue)");
  await adminPage.goto(base + "/qualifizierung/planung");
  await adminPage.fill("#csv",
    "Fachbereich;Rolle;Anzahl;ki_verstehen;generative_ki_nutzen;recht_und_ethik;datenkompetenz;risiken_und_sicherheit;ki_gestalten\n" +
    "Bürgerservice;alle;100;0;1;0;0;0;0\nJugendamt;fuehrungskraefte;12;1;1;1;1;1;0\n");
  await adminPage.click("form[action='/qualifizierung/planung'] button[type=submit]");
  await adminPage.waitForSelector("figure.heatmap svg[role=img]");
  assert.match(await adminPage.textContent("main"), /112 Personen/);
  await checkA11y(adminPage, "/qualifizierung/planung (plan)");
  for (const path of ["/qualifizierung/angebote/elements_of_ai", "/qualifizierung/bewertung",
    "/qualifizierung/lernpfade", "/qualifizierung/rollen", "/qualifizierung/termine",
    "/qualifizierung/nachweise", "/qualifizierung/art4", "/qualifizierung/pruefen",
    "/qualifizierung/neues-angebot", "/qualifizierung/angebote/elements_of_ai/bearbeiten",
    "/qualifizierung/bewertungsraster"]) {
    await adminPage.goto(base + path);
    await checkA11y(adminPage, path);
  }
  // A refused offer form marks its fields; it must stay accessible.
  await adminPage.goto(base + "/qualifizierung/neues-angebot");
  await adminPage.fill("#url", "ftp://example.org/kurs");
  await adminPage.click("form[action='/qualifizierung/neues-angebot'] button[type=submit]");
  await adminPage.waitForSelector("#url-error");
  assert.match(await adminPage.textContent("#url-error"), /keine http\(s\)-Adresse/);
  await checkA11y(adminPage, "/qualifizierung/neues-angebot (refused)");
});

test("survey results show accessible charts beside their tables", async () => {
  const page = adminPage;
  await page.goto(base + "/umfrage/neu");
  await page.click("a[href='/umfrage/neu?weg=text']");
  await page.waitForURL(/weg=text$/);
  assert.equal(await page.locator("main form.stack").count(), 1, "one form at a time");
  await checkA11y(page, "/umfrage/neu?weg=text");
  await page.fill("#content", JSON.stringify({
    id: "kurz", version: 1, title: "Kurzumfrage KI", language: "de",
    sections: [{ id: "s", title: "Fragen", questions: [{
      id: "nutzung", type: "single_choice", text: "Nutzen Sie KI bei der Arbeit?", required: true,
      options: [{ id: "ja", label: "Ja" }, { id: "nein", label: "Nein" }] }] }],
  }));
  await page.fill("#min_group_size", "3");
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/umfrage\/\d+$/);
  const surveyUrl = page.url();
  assert.match(await page.textContent("h1"), /Kurzumfrage KI/);
  await page.click("form[action$='/oeffnen'] button");
  await page.fill("#count", "9");
  await page.click("form[action$='/codes'] button");
  const codes = await page.$$eval("#participation-codes .slip-code", (els) => els.map((e) => e.textContent.trim()));
  assert.equal(codes.length, 9);
  for (const [i, code] of codes.entries()) {
    const context = await browser.newContext({ locale: "de-DE" });
    const phone = await context.newPage();
    await phone.goto(`${base}/teilnahme?code=${code}`);
    await phone.check(`input[name=nutzung][value=${i < 6 ? "ja" : "nein"}]`);
    await phone.click("form.survey button[type=submit]");
    assert.match(await phone.textContent("h1"), /Vielen Dank/);
    await context.close();
  }
  await page.goto(surveyUrl);
  await page.check("#confirm_close");
  await page.click("form[action$='/schliessen'] button");
  await page.goto(surveyUrl + "/ergebnisse");
  const chart = page.locator("figure.chart svg[role=img]").first();
  assert.ok(await chart.isVisible(), "the chart is shown");
  assert.match(await chart.locator("title").textContent(), /Nutzen Sie KI bei der Arbeit\?/);
  assert.match(await chart.locator("desc").textContent(), /Ja: 6 \(67 %\); Nein: 3 \(33 %\);/);
  const bars = await chart.locator("rect.bar").evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
  assert.equal(bars.length, 2);
  assert.ok(Math.abs(bars[0] / bars[1] - 2) < 0.05, `bars are proportional: ${bars}`);
  // The table stays as the text alternative.
  assert.match(await page.textContent("main table caption"), /Nutzen Sie KI bei der Arbeit/);
  await checkA11y(page, "/umfrage/{id}/ergebnisse with charts");
});

test("staff log in to their own start page: the survey to answer, their trainings, the assistant", async () => {
  const page = adminPage;
  // An open survey for everyone.
  await page.goto(base + "/umfrage/neu");
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/umfrage\/\d+$/);
  await page.click("form[action$='/oeffnen'] button");
  // A new member of staff, invited by the administration.
  await page.goto(base + "/benutzer/neu");
  await page.fill("#name", "Sam Sachbearbeitung");
  await page.fill("#email", "sam@musterstadt.de");
  await page.selectOption("#role", "staff");
  await page.click("main button[type=submit]");
  await page.waitForURL(base + "/benutzer");
  const invite = (await page.textContent("#one-time-link")).trim();
  await page.reload();
  assert.equal(await page.locator("#one-time-link").count(), 0, "the link is shown once");

  const sam = await newPage(375);
  await sam.goto(invite);
  await sam.fill("#password", "sam-passwort-42");
  await sam.fill("#password_confirm", "sam-passwort-42");
  await sam.click("main button[type=submit]");
  await sam.waitForURL(base + "/");
  assert.match(await sam.textContent("h1"), /Ihre KI-Reise/);
  const main = await sam.textContent("main");
  assert.doesNotMatch(main, /Als Nächstes|Phase 1/, "no project-team checklist");
  assert.match(await sam.textContent("#meine-umfrage"), /Sie sind gebeten teilzunehmen/);
  assert.match(await sam.textContent("#meine-schulungen"), /noch für keine Schulung angemeldet/);
  const overflow = await sam.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the start page scrolls sideways by ${overflow}px at 375 px`);
  await checkA11y(sam, "/ (staff start page)");
  await sam.click("#meine-umfrage button[type=submit]");
  await sam.waitForURL(/\/teilnahme\/[0-9a-f]{48}$/);
});

test("small pages: framework, favicon, qualification guide, no sideways scrolling at 375 px", async () => {
  const anon = await newPage(375);
  const icon = await anon.request.get(base + "/favicon.ico");
  assert.equal(icon.status(), 200);
  assert.match(icon.headers()["content-type"], /image\//);
  await anon.goto(base + "/qualifizierung/kompetenzrahmen#ki_verstehen-1");
  assert.match(await anon.textContent("h1"), /Kompetenzrahmen/);
  assert.ok(await anon.locator("[id='ki_verstehen-1']").isVisible());
  await checkA11y(anon, "/qualifizierung/kompetenzrahmen");
  const narrow = await browser.newContext({ viewport: { width: 375, height: 740 },
    storageState: await adminPage.context().storageState() });
  const page = await narrow.newPage();
  for (const path of ["/qualifizierung/planung", "/qualifizierung/pruefen", "/qualifizierung/kompetenzrahmen", "/umfrage/neu"]) {
    await page.goto(base + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px at 375 px`);
  }
  // The catalogue table scrolls inside its box there: the box is reachable
  // by keyboard and named (axe: scrollable-region-focusable).
  await page.goto(base + "/qualifizierung");
  await checkA11y(page, "/qualifizierung at 375 px");
  await narrow.close();
  // A button with the hidden attribute stays hidden although buttons are
  // inline-block.
  await adminPage.goto(base + "/umfrage/neu");
  await adminPage.click("main button[type=submit]");
  await adminPage.waitForURL(/\/umfrage\/\d+$/);
  await adminPage.click("a[href$='/bearbeiten']");
  await adminPage.waitForURL(/\/bearbeiten$/);
  assert.equal(await adminPage.locator("button[value=preview][hidden]").isVisible(), false);
  await adminPage.goto(base + "/qualifizierung");
  assert.match(await adminPage.textContent("#wege"), /Hier beginnen/);
  await checkA11y(adminPage, "/qualifizierung (guide)");
});
