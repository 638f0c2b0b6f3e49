// Review by function holders (issue 19, point 8) in headless Chromium: the
// administration gives Dana the function Datenschutzbeauftragte; a
// KI-Richtlinie goes to review; Dana logs in, finds the pending statement on
// her start page, follows it and gives it; axe-core passes on the review page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, checkA11y, setUpMunicipality, invite } from "./harness.mjs";

let ctx;

before(async () => {
  ctx = await startPortal();
});

after(async () => {
  await ctx.stop();
});

test("the Datenschutz holder sees the pending statement on her start page and gives it", async () => {
  const { base } = ctx;
  const admin = await setUpMunicipality(ctx);

  // The administration invites Dana and gives her the function.
  const dana = await invite(ctx, admin, {
    name: "Dana Datenschutz", email: "dana@musterstadt.de", role: "staff",
    password: "dana-passwort-42", width: 375,
  });
  await admin.goto(base + "/benutzer");
  await admin.click("text=Dana Datenschutz");
  await admin.waitForURL(/\/benutzer\/\d+$/);
  await admin.check("input[name=function][value=datenschutz]");
  await admin.click("form[action$='/funktionen'] button[type=submit]");
  await admin.waitForURL(/\/benutzer\/\d+#funktionen$/);
  assert.ok(await admin.isChecked("input[name=function][value=datenschutz]"));
  await checkA11y(admin, "/benutzer/{id} with functions");

  // The project's policy goes to review.
  await admin.goto(base + "/dokumente/neu/ki-richtlinie");
  await admin.fill("#_title", "KI-Richtlinie Musterstadt");
  await admin.click("main button[type=submit]");
  await admin.waitForURL(/\/dokumente\/\d+$/);
  const doc = admin.url();
  await admin.click("text=Zur Prüfung einreichen");
  await admin.waitForURL(doc);
  const row = await admin.textContent("#pruefung ~ .table-wrap tbody");
  assert.match(row, /Dana Datenschutz/);
  assert.match(row, /ausstehend/);
  assert.match(row, /Keine Person mit der Funktion Personalrat – bitte in der Benutzerverwaltung zuweisen/);
  assert.match(await admin.textContent("main"), /Es fehlen noch die Stellungnahmen von: .*Datenschutz \(Dana Datenschutz\)/);
  assert.equal(await admin.locator("form[action$='/stellungnahme']").count(), 0,
    "the administration states in nobody's name");

  // Dana's start page shows the task, with the link to the review.
  await dana.goto(base + "/");
  const tasks = dana.locator("#meine-aufgaben");
  assert.match(await tasks.textContent(), /Stellungnahme ausstehend: Datenschutz zu „KI-Richtlinie Musterstadt“/);
  await checkA11y(dana, "/ (start page with a pending statement)");
  await tasks.locator("a").first().click();
  await dana.waitForURL(doc + "#pruefung");
  await checkA11y(dana, "review page (holder)");
  assert.deepEqual(await dana.locator("#area option").allTextContents(), ["Datenschutz"]);
  await dana.check("input[name=decision][value=zustimmung]");
  await dana.fill("#comment", "Keine Bedenken.");
  await dana.click("form[action$='/stellungnahme'] button[type=submit]");
  await dana.waitForURL(doc + "#pruefung");
  assert.match(await dana.textContent("main"),
    /Zustimmung \(Dana Datenschutz, Datenschutzbeauftragte\/r, \d\d\.\d\d\.\d{4}/);
  await checkA11y(dana, "review page after the statement");
  await dana.goto(base + "/");
  assert.equal(await dana.locator("#meine-aufgaben").count(), 0, "nothing left to do");
});
