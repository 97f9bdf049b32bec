// The start command's settings: one host setting for both servers, loopback by default, bad values refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readStartConfig, StartConfigError } from "../lib/start-config.mjs";

describe("readStartConfig", () => {
  it("listens on loopback with the documented ports when nothing is set", () => {
    const config = readStartConfig({});
    assert.equal(config.apiHost, "127.0.0.1");
    assert.equal(config.webHost, "127.0.0.1");
    assert.equal(config.apiUrl, "http://localhost:4000");
    assert.equal(config.webUrl, "http://localhost:3000");
    assert.equal(config.apiInternalUrl, "http://127.0.0.1:4000");
    assert.equal(config.webOrigin, "http://localhost:3000,http://127.0.0.1:3000");
    assert.equal(config.isEmbedded, true);
    assert.equal(config.logRequests, "false");
  });

  it("passes LOG_REQUESTS through when it is set, for the API to validate", () => {
    assert.equal(readStartConfig({ LOG_REQUESTS: "true" }).logRequests, "true");
  });

  it("moves both servers with API_HOST, and only the dashboard with WEB_HOST", () => {
    const both = readStartConfig({ API_HOST: "0.0.0.0" });
    assert.deepEqual([both.apiHost, both.webHost], ["0.0.0.0", "0.0.0.0"]);
    // A wildcard listener is reached on loopback from this machine.
    assert.equal(both.apiLocalUrl, "http://127.0.0.1:4000");
    const web = readStartConfig({ WEB_HOST: "0.0.0.0", WEB_PORT: "3100" });
    assert.deepEqual([web.apiHost, web.webHost], ["127.0.0.1", "0.0.0.0"]);
    assert.equal(web.webUrl, "http://localhost:3100");
  });

  it("prints and reaches a specific address as itself, IPv6 in brackets", () => {
    const lan = readStartConfig({ API_HOST: "192.0.2.10" });
    assert.equal(lan.apiUrl, "http://192.0.2.10:4000");
    assert.equal(lan.apiInternalUrl, "http://192.0.2.10:4000");
    assert.match(lan.webOrigin, /http:\/\/192\.0\.2\.10:3000/);
    const v6 = readStartConfig({ API_HOST: "fd00::5", WEB_HOST: "::" });
    assert.equal(v6.apiUrl, "http://[fd00::5]:4000");
    assert.equal(v6.webLocalUrl, "http://[::1]:3000");
  });

  it("treats empty variables as unset and keeps explicit URLs", () => {
    const config = readStartConfig({
      API_HOST: "",
      API_PORT: "",
      WEB_ORIGIN: "https://ks.example.com",
      API_INTERNAL_URL: "http://api:4000",
      DATABASE_URL: "postgresql://db/ks",
    });
    assert.equal(config.apiHost, "127.0.0.1");
    assert.equal(config.apiPort, 4000);
    assert.equal(config.webOrigin, "https://ks.example.com");
    assert.equal(config.apiInternalUrl, "http://api:4000");
    assert.equal(config.isEmbedded, false);
  });

  for (const [name, value] of [
    ["API_PORT", "0"],
    ["API_PORT", "65536"],
    ["WEB_PORT", "3000x"],
    ["WEB_PORT", "-1"],
    ["API_HOST", "http://127.0.0.1"],
    ["API_HOST", "127.0.0.1:4000"],
    ["WEB_HOST", "local host"],
  ]) {
    it(`refuses ${name}=${value} naming the variable`, () => {
      assert.throws(
        () => readStartConfig({ [name]: value }),
        (error) => error instanceof StartConfigError && error.message.startsWith(`${name}: `),
      );
    });
  }
});
