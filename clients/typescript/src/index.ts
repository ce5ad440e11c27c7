/** mock-bankid's control surface, typed: `new MockBankid({ baseUrl, realm })`. NOT BankID. */
export * from "./client.js";
