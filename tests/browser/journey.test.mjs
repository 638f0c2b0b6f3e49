// The journey of issue 19 as a new municipality walks it, in one browser
// session: set-up with three departments (6, 5 and 4 staff), a survey on
// paper codes answered by people without an account, the results with their
// charts and the small department suppressed, the training plan from those
// results (the suppressed department decided, never a silent 0), and the
// KI-Richtlinie from interview to review. With SCREENSHOT_DIR set, each step
// leaves a full-page screenshot there.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startPortal, checkA11y, setUpMunicipality } from "./harness.mjs";

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
  await phone.check("input[name=nutzung_haeufigkeit][value=nie]");
  await phone.evaluate(() => {
    for (const fs of document.querySelectorAll("fieldset")) {
      const radios = fs.querySelectorAll(":scope > .choices > .choice > input[type=radio]");
      if (radios.length && ![...radios].some((r) => r.checked)) radios[0].checked = true;
      const boxes = fs.querySelectorAll(":scope > .choices > .choice > input[type=checkbox]");
      if (boxes.length && ![...boxes].some((b) => b.checked)) boxes[0].checked = true;
    }
  });
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

test("the KI-Richtlinie is written through the interview and sent to review", async () => {
  await admin.goto(ctx.base + "/dokumente/neu/ki-richtlinie");
  await shot(admin, "07-interview");
  await admin.fill("#_title", "KI-Richtlinie der Stadt Musterstadt");
  await admin.click("main button[type=submit]");
  await admin.waitForURL(/\/dokumente\/\d+$/);
  const doc = admin.url();
  await shot(admin, "08-dokument");
  await admin.click("text=Zur Prüfung einreichen");
  await admin.waitForURL(doc);
  assert.match(await admin.textContent("main"), /in Prüfung/);
  await shot(admin, "09-pruefung");
});
