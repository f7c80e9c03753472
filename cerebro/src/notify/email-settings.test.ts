import { describe, expect, it } from "vitest";
import { mailboxAddress, parseSmtpUrl, redactSmtpUrl } from "./email-settings.js";

describe("parseSmtpUrl", () => {
  it("takes submission with STARTTLS for smtp:// and implicit TLS for smtps://, on their usual ports", () => {
    expect(parseSmtpUrl("smtp://mail.example.com")).toEqual({
      host: "mail.example.com",
      port: 587,
      secure: false,
    });
    expect(parseSmtpUrl("smtps://mail.example.com/")).toEqual({
      host: "mail.example.com",
      port: 465,
      secure: true,
    });
    expect(parseSmtpUrl("smtp://[::1]:2525")).toEqual({ host: "::1", port: 2525, secure: false });
  });

  it("decodes a percent-encoded user and password", () => {
    expect(parseSmtpUrl("smtp://ops%40example.com:p%40ss%3Aw%2Frd@mail:25")).toEqual({
      host: "mail",
      port: 25,
      secure: false,
      user: "ops@example.com",
      password: "p@ss:w/rd",
    });
  });

  it.each([
    ["smtp://mail example.com", "is not a URL"],
    ["mail.example.com:587", "is not an SMTP URL"],
    ["https://mail.example.com", "is not an SMTP URL"],
    ["smtp://mail.example.com?pool=true", "has a path, query or fragment"],
    ["smtp://:secret@mail.example.com", "has a password but no user"],
    ["smtp://user:%E0%A4%A@mail.example.com", "is not properly percent-encoded"],
  ])("refuses %s: %s", (url, why) => {
    expect(() => parseSmtpUrl(url)).toThrow(why);
  });
});

describe("redactSmtpUrl", () => {
  it("masks the password, also in a mistyped URL, and leaves a URL without one alone", () => {
    expect(redactSmtpUrl("smtp://user:p@ss@mail:587")).toBe("smtp://user:***@mail:587");
    expect(redactSmtpUrl("smtp:/user:secret@mail")).toBe("smtp:***@mail");
    expect(redactSmtpUrl("smtp://mail.example.com:587")).toBe("smtp://mail.example.com:587");
  });
});

describe("mailboxAddress", () => {
  it("finds the address of one mailbox, named or not", () => {
    expect(mailboxAddress("cordyna@example.com")).toBe("cordyna@example.com");
    expect(mailboxAddress("Cordyna Alerts <alerts@example.com>")).toBe("alerts@example.com");
    expect(mailboxAddress("<alerts@example.com>")).toBe("alerts@example.com");
  });

  it.each([
    "",
    "cordyna",
    "a@example.com, b@example.com",
    "a@example.com\nBcc: b@example.com",
    "A <a@example.com> <b@example.com>",
  ])("finds none in %j", (text) => {
    expect(mailboxAddress(text)).toBeUndefined();
  });
});
