// Sign in through examples/drop-bff (BANKID_MOCK=true) in Chromium, many workers at once: each test
// queues its own persona (or scenario) in its worker's realm and must see exactly that sign-in.
import { expect, test } from "./drop-bff";

/** Personas the BFF lets in, and the given name its dashboard greets them by (all different). */
const SIGNS_IN = {
  adult: "Marianne",
  "adult-25": "Markus",
  "adult-67": "Siri",
  "adult-1985": "Kristian",
  "series-900": "Liv",
  "born-2000": "Grete",
  "leap-day-adult": "Morten",
  "turns-18-today": "Mona",
  "born-1899": "Roar",
  "born-1900": "Thor",
  "d-number": "Alexander",
  "h-number": "Linn",
  tenor: "Janne",
  "tenor-18-today": "Mathias",
  "tenor-d-number": "Mette",
  "rule-2032": "Ola",
  "birthdate-mismatch": "Tove",
};

/** Personas the BFF refuses, and the sentence its refusal page says. */
const REFUSED = {
  "under-18": "You must be 18 or older to use Drop.",
  "turns-18-tomorrow": "You must be 18 or older to use Drop.",
  "minor-child": "You must be 18 or older to use Drop.",
  "tenor-minor": "You must be 18 or older to use Drop.",
  "fh-number": "We could not verify that you are 18 or older.",
  "bad-checksum": "Your national identity number could not be verified, so we cannot open an account.",
  letters: "Your national identity number could not be verified, so we cannot open an account.",
  "scenario-cancel": "The BankID sign-in was cancelled or did not complete. You can try again.",
  "scenario-invalid-client": "Signing in with BankID does not work at the moment. We are on it.",
  "scenario-trap-nonce": "BankID's answer could not be verified. Please try again.",
};

for (const [persona, givenName] of Object.entries(SIGNS_IN)) {
  test(`${persona} signs in and is greeted by name`, async ({ page, mockBankid, dropBff }) => {
    await mockBankid.queueLogin(persona);
    await page.goto(dropBff);
    await page.getByTestId("bankid-sign-in").click();
    await expect(page.getByTestId("welcome")).toHaveText(`Welcome, ${givenName}`);
    expect(await mockBankid.queuedLogins()).toEqual([]); // the sign-in in this realm took it
  });
}

for (const [persona, message] of Object.entries(REFUSED)) {
  test(`${persona} is refused`, async ({ page, mockBankid, dropBff }) => {
    await mockBankid.queueLogin(persona);
    await page.goto(dropBff);
    await page.getByTestId("bankid-sign-in").click();
    await expect(page.locator("main p").first()).toHaveText(message);
    expect(await mockBankid.queuedLogins()).toEqual([]);
  });
}

test("adult with a per-sign-in cancel is refused, then signs in", async ({ page, mockBankid, dropBff }) => {
  await mockBankid.queueLogin("adult-67", { scenario: "cancel" });
  await mockBankid.queueLogin("adult-67");
  await page.goto(dropBff);
  await page.getByTestId("bankid-sign-in").click();
  await expect(page.getByRole("heading")).toHaveText("Sign-in cancelled");
  await page.getByRole("link", { name: "Try again with BankID" }).click();
  await expect(page.getByTestId("welcome")).toHaveText("Welcome, Siri");
});

test("a token outage in this realm only: unavailable, then signs in once it is off", async ({ page, mockBankid, dropBff }) => {
  await mockBankid.setScenario("token-outage"); // server-wide, but only this realm's server
  await mockBankid.queueLogin("d-number");
  await page.goto(dropBff);
  await page.getByTestId("bankid-sign-in").click();
  await expect(page.getByRole("heading")).toHaveText("BankID is unavailable");
  await mockBankid.clearScenario();
  await mockBankid.queueLogin("d-number");
  await page.getByRole("link", { name: "Try again with BankID" }).click();
  await expect(page.getByTestId("welcome")).toHaveText("Welcome, Alexander");
});
