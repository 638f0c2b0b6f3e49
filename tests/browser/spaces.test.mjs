// Knowledge spaces in headless Chromium: the project team uploads a PDF and
// a DOCX into a space readable by one department; a staff member of that
// department asks the assistant and gets an answer citing the right page;
// a staff member of another department sees neither the space nor its
// documents. Runs against a real `ki-reise serve --model` (SmolLM2).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, checkA11y, haveModel, model, setUpMunicipality, invite } from "./harness.mjs";
import { pdf, docx } from "./samples.mjs";

let ctx, base, pia, sam, jan;
before(async () => {
  ctx = await startPortal();
  ({ base } = ctx);
  const admin = await setUpMunicipality(ctx);
  pia = await invite(ctx, admin, { name: "Pia Projekt", email: "pia@musterstadt.de", role: "project-team", department: "Bürgerservice", password: "pia-passwort-42" });
  sam = await invite(ctx, admin, { name: "Sam Service", email: "sam@musterstadt.de", role: "staff", department: "Bürgerservice", password: "sam-passwort-42" });
  jan = await invite(ctx, admin, { name: "Jan Jugend", email: "jan@musterstadt.de", role: "staff", department: "Jugendamt", password: "jan-passwort-42" });
});
after(async () => { if (ctx) await ctx.stop(); });

async function upload(page, name, mimeType, buffer) {
  await page.setInputFiles("#file", { name, mimeType, buffer });
  await Promise.all([page.waitForLoadState("load"), page.click("form[enctype='multipart/form-data'] button[type=submit]")]);
  await page.waitForSelector(`td:text-is("${name}")`);
}

test("a space with a PDF and a DOCX: cited answers for its department, invisible to another", async (t) => {
  await pia.goto(base + "/wissensraeume");
  await checkA11y(pia, "/wissensraeume");
  await pia.fill("#name", "Ortsrecht");
  await pia.fill("#description", "Satzungen und Geschäftsordnung");
  await pia.check("input[name=readers][value=departments]");
  await pia.check("input[name=department][value='Bürgerservice']");
  await pia.selectOption("#data_class", "internal");
  await pia.click("form[action='/wissensraeume'] button[type=submit]");
  await pia.waitForURL(/\/wissensraeume\/\d+$/);
  const spaceUrl = pia.url();
  assert.match(await pia.textContent("main"), /Leser: Fachbereich/);

  await upload(pia, "Hundesteuersatzung.pdf", "application/pdf", pdf([
    "Hundesteuersatzung der Stadt Musterstadt\n\n§ 1 Steuerpflicht\nSteuerpflichtig ist, wer im Stadtgebiet einen Hund hält.",
    "§ 2 Steuersatz\nDie Hundesteuer beträgt jährlich 120 Euro für den ersten Hund\nund 180 Euro für jeden weiteren Hund.",
  ]));
  await upload(pia, "Geschaeftsordnung.docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx([
      [1, "Geschäftsordnung des Rates"],
      [2, "§ 5 Öffentlichkeit"],
      [0, "Die Sitzungen des Rates sind öffentlich, soweit nicht das Wohl der Allgemeinheit entgegensteht."],
    ]));
  // Title, file, pages, passages, added by.
  const rows = await pia.locator("main table tbody tr").evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
  assert.equal(rows.length, 2, JSON.stringify(rows));
  assert.ok(rows.some((r) => r[0] === "Hundesteuersatzung" && r[2] === "2"), `the PDF with its 2 pages: ${JSON.stringify(rows)}`);
  assert.ok(rows.some((r) => r[0] === "Geschäftsordnung des Rates" && r[1] === "Geschaeftsordnung.docx"),
    `the DOCX titled by its heading: ${JSON.stringify(rows)}`);
  await checkA11y(pia, "a space with two documents");

  // Search in the space finds the passage with its page and section.
  await sam.goto(base + "/wissensraeume");
  assert.match(await sam.textContent("main"), /Ortsrecht/);
  await sam.goto(spaceUrl);
  await sam.fill("#q", "Sitzungen öffentlich");
  await Promise.all([sam.waitForLoadState("load"), sam.click("form[role=search] button[type=submit]")]);
  const first = await sam.locator("ol[aria-label=Fundstellen] li").first().textContent();
  assert.match(first, /Geschäftsordnung des Rates/);
  assert.match(first, /§ 5 Öffentlichkeit/);

  // The other department sees neither the space nor its documents.
  await jan.goto(base + "/wissensraeume");
  assert.doesNotMatch(await jan.textContent("main"), /Ortsrecht/);
  const direct = await jan.goto(spaceUrl);
  assert.ok(direct.status() === 403 || direct.status() === 404, `status ${direct.status()}`);
  assert.doesNotMatch(await jan.textContent("body"), /Hundesteuer/);
  const api = await jan.request.get(spaceUrl.replace("/wissensraeume/", "/api/v1/spaces/") + "/search?q=Hundesteuer");
  assert.ok([401, 403, 404].includes(api.status()), `API status ${api.status()}`);
  await jan.goto(base + "/assistent");
  assert.equal(await jan.locator("#space option", { hasText: "Ortsrecht" }).count(), 0);

  if (!haveModel) {
    t.skip(`test model missing at ${model}: run scripts/fetch-test-model.sh`);
    return;
  }
  // The assistant answers from the space and cites the PDF's page 2.
  await sam.goto(base + "/assistent");
  await sam.selectOption("#space", { label: "Ortsrecht (mindestens intern)" });
  await sam.evaluate(() => {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "max_tokens";
    input.value = "24";
    document.getElementById("chat-form").appendChild(input);
  });
  await sam.fill("#message", "Wie hoch ist die Hundesteuer?");
  await sam.click("#send");
  await sam.waitForFunction(() => document.querySelectorAll("#chat-log li.msg.ai button.copy").length === 1
    && !document.querySelector("#send").disabled, null, { timeout: 180000 });
  const answer = await sam.textContent("#chat-log li.msg.ai .text");
  assert.match(answer, /Quellen/, answer);
  assert.match(answer, /Hundesteuersatzung, S\. 2, § 2 Steuersatz/, answer);
  await checkA11y(sam, "/assistent with a cited answer");
});
