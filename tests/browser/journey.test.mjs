// The journey of issue 19 as a new municipality walks it, in one browser
// session: set-up with three departments (6, 5 and 4 staff), a survey on
// paper codes answered by people without an account, the results with their
// charts and the small department suppressed, the training plan from those
// results (the suppressed department decided, never a silent 0), and the
// KI-Richtlinie from interview through the statements of the function
// holders to its adoption by the mayor and the signed PDF. With
// SCREENSHOT_DIR set, each step leaves a full-page screenshot there, and the
// PDF with its first page as an image.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPortal, checkA11y, setUpMunicipality, invite, answerRequired } from "./harness.mjs";

let ctx, admin;
before(async () => {
  ctx = await startPortal();
  admin = await setUpMunicipality(ctx, "Bürgerservice; 6\nJugendamt; 5\nBauamt; 4");
});
after(async () => { if (ctx) await ctx.stop(); });

async function shot(page, name) {
  const dir = process.env.SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

// Answers the open questionnaire as one person of the department at `index`:
// the first option wherever an answer is required.
async function answer(phone, index) {
  await phone.locator("input[name=fachbereich]").nth(index).check();
  await answerRequired(phone);
  await phone.click("form.survey button[type=submit]");
  assert.match(await phone.textContent("h1"), /Vielen Dank/);
}

let surveyUrl;

test("the project team prints 15 paper codes and 15 people without an account answer with them", async () => {
  await shot(admin, "01-uebersicht");
  await admin.goto(ctx.base + "/umfrage/neu");
  await admin.click("main button[type=submit]");
  await admin.waitForURL(/\/umfrage\/\d+$/);
  surveyUrl = admin.url();
  await admin.click("form[action$='/oeffnen'] button");
  await admin.fill("#count", "15");
  await admin.click("form[action$='/codes'] button");
  const codes = await admin.$$eval("#participation-codes li .slip-code", (els) => els.map((e) => e.textContent.trim()));
  assert.equal(codes.length, 15);
  await shot(admin, "02-papiercodes");
  // Reloading the page after printing must not make more codes.
  await admin.reload();
  assert.equal(await admin.locator("#participation-codes li").count(), 15);
  const departments = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2];
  for (const [i, code] of codes.entries()) {
    const context = await ctx.browser.newContext({ viewport: { width: 375, height: 740 }, locale: "de-DE" });
    const phone = await context.newPage();
    await phone.goto(ctx.base + "/teilnahme");
    await phone.fill("#code", i % 2 ? code.toLowerCase() : code.replaceAll("-", ""));
    await phone.click("main button[type=submit]");
    await phone.waitForURL(/\/teilnahme\/[A-Z0-9]{12}$/);
    if (i === 0) await shot(phone, "03-fragebogen-handy");
    await answer(phone, departments[i]);
    await context.close();
  }
});

test("the results show charts by question and hide the department with 4 answers", async () => {
  await admin.goto(surveyUrl);
  await admin.check("#confirm_close");
  await admin.click("form[action$='/schliessen'] button");
  await admin.goto(surveyUrl + "/ergebnisse");
  const main = await admin.textContent("main");
  assert.match(main, /15/);
  assert.ok(await admin.locator("main svg[role=img]").count() > 0, "charts beside the tables");
  // Bauamt has 4 answers: below the group size of 5, never shown alone.
  assert.match(main, /Bürgerservice/);
  await checkA11y(admin, "results of the 15 answers");
  await shot(admin, "04-ergebnisse");
});

test("the plan takes the levels from the survey and asks what to do about the suppressed department", async () => {
  await admin.goto(ctx.base + "/qualifizierung");
  await admin.click("text=Musterkatalog übernehmen");
  await admin.waitForSelector("text=Elements of AI");
  await admin.goto(ctx.base + "/qualifizierung/planung");
  await admin.click("form[action='/qualifizierung/planung/umfrage']:not(.stack) button[type=submit]");
  const unknown = admin.locator("#unknown-levels");
  await unknown.waitFor();
  // Bauamt (4 answers) is below the group size; Jugendamt (5) is hidden as
  // well, or Bauamt would follow from the total minus the other two.
  assert.match(await unknown.textContent(), /Bauamt: Stufe unbekannt/);
  assert.match(await unknown.textContent(), /Jugendamt: Stufe unbekannt/);
  assert.match(await unknown.textContent(), /zurückrechnen/);
  assert.doesNotMatch(await unknown.textContent(), /Bürgerservice/);
  await shot(admin, "05-planung-unbekannt");
  // Without a decision nothing is taken over.
  await unknown.locator("button[type=submit]").click();
  assert.match(await admin.locator("#unknown-levels").textContent(), /Bitte für Bauamt eine der drei Möglichkeiten wählen/);
  await checkA11y(admin, "plan: undecided department");
  await admin.locator("#unknown-levels input[value=gesamt]").first().check();
  await admin.locator("#unknown-levels input[value=weglassen]").nth(1).check();
  await admin.locator("#unknown-levels button[type=submit]").click();
  await admin.waitForSelector("figure.heatmap svg[role=img]");
  await shot(admin, "06-planung");
  const main = await admin.textContent("main");
  // Bauamt left out: the 6 of Bürgerservice and the 5 of Jugendamt remain.
  assert.match(main, /11 Personen/);
  assert.doesNotMatch(main, /grundlagen_alle|ki_verstehen/, "names, never internal ids");
  await checkA11y(admin, "plan from the survey");
});

let doc;
const holders = [
  { name: "Dana Datenschutz", email: "dana@musterstadt.de", fn: "datenschutz" },
  { name: "Ingo Sicherheit", email: "ingo@musterstadt.de", fn: "informationssicherheit" },
  { name: "Paula Personalrat", email: "paula@musterstadt.de", fn: "personalrat" },
  { name: "Erika Muster", email: "erika@musterstadt.de", fn: "buergermeister" },
];

test("the administration gives the functions of review and adoption to four accounts", async () => {
  for (const h of holders) {
    h.page = await invite(ctx, admin, { ...h, role: "staff", password: `${h.fn}-passwort-42` });
    await admin.goto(ctx.base + "/benutzer");
    await admin.click(`text=${h.name}`);
    await admin.waitForURL(/\/benutzer\/\d+$/);
    await admin.check(`input[name=function][value=${h.fn}]`);
    await admin.click("form[action$='/funktionen'] button[type=submit]");
    await admin.waitForURL(/\/benutzer\/\d+#funktionen$/);
  }
  await admin.goto(ctx.base + "/benutzer");
  await shot(admin, "07-benutzer-funktionen");
});

test("the KI-Richtlinie is written through the interview and sent to review", async () => {
  await admin.goto(ctx.base + "/dokumente/neu/ki-richtlinie");
  await shot(admin, "08-interview");
  await admin.fill("#_title", "KI-Richtlinie der Stadt Musterstadt");
  await admin.click("main button[type=submit]");
  await admin.waitForURL(/\/dokumente\/\d+$/);
  doc = admin.url();
  await shot(admin, "09-dokument");
  await admin.click("text=Zur Prüfung einreichen");
  await admin.waitForURL(doc);
  const main = await admin.textContent("main");
  assert.match(main, /in Prüfung/);
  assert.match(main, /Es fehlen noch die Stellungnahmen von: .*Dana Datenschutz.*Ingo Sicherheit.*Paula Personalrat/);
  await shot(admin, "10-pruefung");
});

test("each holder gives the statement from the start page, then the mayor adopts", async () => {
  for (const h of holders.slice(0, 3)) {
    await h.page.goto(ctx.base + "/");
    const tasks = h.page.locator("#meine-aufgaben");
    assert.match(await tasks.textContent(), /Stellungnahme ausstehend/);
    await tasks.locator("a").first().click();
    await h.page.waitForURL(doc + "#pruefung");
    await h.page.check("input[name=decision][value=zustimmung]");
    await h.page.click("form[action$='/stellungnahme'] button[type=submit]");
    await h.page.waitForURL(doc + "#pruefung");
  }
  await admin.goto(doc);
  assert.match(await admin.textContent("main"), /Wartet auf den Beschluss durch Erika Muster/);
  await shot(admin, "11-wartet-auf-beschluss");
  const mayor = holders[3].page;
  await mayor.goto(ctx.base + "/");
  assert.match(await mayor.textContent("#meine-aufgaben"), /Beschluss erwartet/);
  await mayor.goto(doc);
  assert.match(await mayor.inputValue("#adopted_by"), /Erika Muster/);
  await mayor.fill("#adopted_on", new Date().toISOString().slice(0, 10));
  await mayor.click("form[action$='/beschliessen'] button[type=submit]");
  await mayor.waitForURL(new RegExp(doc.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.match(await mayor.textContent("main"), /beschlossen/);
  await checkA11y(mayor, "adopted policy");
  await shot(mayor, "12-beschlossen");
});

test("the adopted policy's PDF is ready to sign: adoption, place and date, signature block", async () => {
  const link = await admin.goto(doc).then(() => admin.getAttribute("a[href*='/export/pdf']", "href"));
  const response = await admin.request.get(ctx.base + link);
  assert.equal(response.status(), 200);
  const dir = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "kireise-pdf-"));
  mkdirSync(dir, { recursive: true });
  const pdf = join(dir, "ki-richtlinie.pdf");
  writeFileSync(pdf, await response.body());
  const text = execFileSync("pdftotext", ["-layout", pdf, "-"], { encoding: "utf8" });
  assert.match(text, /Erika Muster/);
  assert.match(text, /Bürgermeister/);
  assert.match(text, /beschlossen am \d{1,2}\. \S+ \d{4}|beschlossen am \d\d\.\d\d\.\d{4}/i);
  assert.doesNotMatch(text, /\d{4}-\d\d-\d\d/, "no ISO date in the document");
  execFileSync("pdftoppm", ["-png", "-f", "1", "-l", "1", "-r", "60", pdf, join(dir, "13-pdf-seite")]);
});
