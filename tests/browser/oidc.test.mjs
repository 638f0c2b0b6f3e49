// Sign-in with the service account in headless Chromium through the real
// OpenID provider (oidc-provider, started by the harness from
// tests/oidc/server.mjs): the administration sets it up on its page (the
// discovery document is read on save), then a staff member and a
// project-team member each sign in at the provider's own forms and land on
// their start page; signing out ends the session at the provider too. The
// page's CSP must let the sign-in and logout forms lead to the provider
// (without it Chromium silently stayed on /anmelden). Skipped where
// tests/oidc has no `npm ci`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startOidcProvider, setUpMunicipality, checkA11y } from "./harness.mjs";

let ctx, provider;
before(async () => {
  ctx = await startPortal();
  provider = await startOidcProvider(ctx.base);
});
after(async () => {
  if (provider) provider.stop();
  if (ctx) await ctx.stop();
});

/// Through the portal's button, the provider's login (and consent) form,
/// back to the portal.
async function signInAtProvider(page, login) {
  await page.goto(ctx.base + "/anmelden");
  await page.click("#oidc-login");
  await page.waitForURL((url) => url.toString().startsWith(provider.issuer));
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", "egal");
  await page.click("button[type=submit]");
  await page.waitForURL((url) => !url.toString().includes("/login"));
  // The consent form, where the provider shows it.
  if (page.url().startsWith(provider.issuer)) {
    await page.click("button[type=submit]");
  }
  await page.waitForURL(ctx.base + "/");
}

test("staff and project team sign in through the identity provider and land on their start pages", async (t) => {
  if (!provider) {
    t.skip("oidc-provider is not installed (cd tests/oidc && npm ci)");
    return;
  }
  const admin = await setUpMunicipality(ctx, "Bürgerservice; 120\nKämmerei; 80");
  await admin.goto(ctx.base + "/benutzer/dienstkonto");
  await checkA11y(admin, "/benutzer/dienstkonto");
  await admin.check("input[name=enabled]");
  await admin.fill("#issuer", provider.issuer);
  await admin.fill("#client_id", provider.clientId);
  await admin.fill("#client_secret", provider.clientSecret);
  await admin.fill("#scopes", "email profile dienst");
  await admin.fill("#departments", "FB 1 - Buergerservice = Bürgerservice\nKaemmerei = Kämmerei");
  await admin.fill("#roles", "Alle-Beschaeftigten = staff\nKI-Projektteam = project-team");
  await admin.selectOption("#default_role", "");
  await admin.click("main button[type=submit]");
  await admin.waitForURL(ctx.base + "/benutzer/dienstkonto?gespeichert=1");
  assert.match(await admin.textContent("#secret-stored"), /Ein Geheimnis ist gespeichert/);
  assert.equal(await admin.inputValue("#client_secret"), "", "the secret is never shown");

  // A staff member: the staff start page.
  const sam = await ctx.newPage();
  await sam.goto(ctx.base + "/anmelden");
  await checkA11y(sam, "/anmelden with sign-in through the service account");
  await signInAtProvider(sam, "sam.sachbearbeitung");
  assert.match(await sam.textContent("h1"), /Ihre KI-Reise/);
  assert.equal(await sam.locator("#next-heading").count(), 0);

  // A project-team member: the project team's dashboard.
  const pia = await ctx.newPage();
  await signInAtProvider(pia, "pia.projekt");
  assert.match(await pia.textContent("#next-heading"), /Als Nächstes/);
  assert.match(await pia.textContent("main"), /Phase 1: Grundlagen schaffen/);

  // Signing out leads to the provider's logout (end_session_endpoint).
  await pia.click("form[action='/abmelden'] button[type=submit]");
  await pia.waitForURL((url) => url.toString().startsWith(provider.issuer));
  await pia.goto(ctx.base + "/");
  await pia.waitForURL((url) => url.pathname === "/anmelden");

  // The administration sees both accounts, from the provider, with their roles.
  await admin.goto(ctx.base + "/benutzer");
  const users = await admin.textContent("main");
  assert.match(users, /Sam Sachbearbeitung/);
  assert.match(users, /Pia Projekt/);
});
