import { describe, expect, it } from "vitest";
import { StorageKeyError } from "./errors";
import {
  artifactKey,
  assertSafeFilename,
  assertUploadId,
  assertValidKey,
  assertValidPrefix,
  isValidKey,
} from "./keys";

const parts = {
  userId: "3f0c6a1e-8d1b-4b7e-9a55-0d9a1c2b3e4f",
  modelName: "iris",
  versionTag: "v1",
};

describe("artifactKey", () => {
  it("builds models/{userId}/{modelName}/{versionTag}/{filename}", () => {
    expect(artifactKey({ ...parts, filename: "model.onnx" })).toBe(
      `models/${parts.userId}/iris/v1/model.onnx`,
    );
  });

  it("keeps unicode names, in NFC form", () => {
    const decomposed = "mode\u0301le.onnx"; // e + combining acute
    expect(artifactKey({ ...parts, filename: decomposed })).toBe(
      `models/${parts.userId}/iris/v1/mod\u00e9le.onnx`,
    );
  });

  it.each([
    ["", /empty/],
    ["..", /'\.' or '\.\.'/],
    [".", /'\.' or '\.\.'/],
    ["../../etc/passwd", /path separator/],
    ["/etc/passwd", /path separator/],
    ["a/b.onnx", /path separator/],
    ["..\\..\\boot.ini", /path separator/],
    ["C:model.onnx", /drive/],
    ["model\u0000.onnx", /NUL or control/],
    ["model\n.onnx", /NUL or control/],
    ["model\u001b[31m.onnx", /NUL or control/],
    ["model\u007f.onnx", /NUL or control/],
    [".hidden.onnx", /starting with '\.'/],
    [" model.onnx", /white space/],
    ["model.onnx ", /white space/],
    [`${"a".repeat(251)}.onnx`, /over 255 bytes/],
  ])("refuses the file name %j", (filename, message) => {
    expect(() => artifactKey({ ...parts, filename })).toThrow(StorageKeyError);
    expect(() => assertSafeFilename(filename)).toThrow(message);
  });

  it.each([
    ["userId", "../x"],
    ["userId", ""],
    ["modelName", "a/b"],
    ["modelName", ".."],
    ["versionTag", "v1\u0000"],
    ["versionTag", ".v1"],
  ])("refuses %s %j", (field, value) => {
    expect(() => artifactKey({ ...parts, filename: "m.onnx", [field]: value })).toThrow(
      StorageKeyError,
    );
  });
});

describe("assertValidKey (checked again inside every driver)", () => {
  it.each([
    "models/u/m/v/model.onnx",
    "uploads/0123456789abcdef0123456789abcdef",
    "uploads/0123456789abcdef0123456789abcdef.info",
    "a",
  ])("accepts %j", (key) => {
    expect(assertValidKey(key)).toBe(key);
    expect(isValidKey(key)).toBe(true);
  });

  it.each([
    ["", /empty/],
    ["/abs/key", /absolute/],
    ["a//b", /empty path segment/],
    ["a/", /empty path segment/],
    ["a/./b", /'\.' or '\.\.'/],
    ["a/../b", /'\.' or '\.\.'/],
    ["..", /'\.' or '\.\.'/],
    [".tmp/x", /starting with '\.'/],
    ["a\\b", /backslash/],
    ["a\u0000b", /NUL or control/],
    ["a\rb", /NUL or control/],
    ["x".repeat(1025), /longer than 1024/],
  ])("refuses %j", (key, message) => {
    expect(() => assertValidKey(key)).toThrow(StorageKeyError);
    expect(() => assertValidKey(key)).toThrow(message);
    expect(isValidKey(key)).toBe(false);
  });

  it("accepts list prefixes ending in '/' or a partial name, refuses traversal", () => {
    expect(assertValidPrefix("")).toBe("");
    expect(assertValidPrefix("models/")).toBe("models/");
    expect(assertValidPrefix("models/u/mo")).toBe("models/u/mo");
    expect(() => assertValidPrefix("../")).toThrow(StorageKeyError);
    expect(() => assertValidPrefix("/models/")).toThrow(/absolute/);
    expect(() => assertValidPrefix("models//")).toThrow(StorageKeyError);
  });

  it("accepts random upload ids only", () => {
    expect(assertUploadId("0123456789abcdef0123456789abcdef")).toHaveLength(32);
    for (const bad of [
      "short",
      "../../../../etc/passwd0000",
      "a".repeat(129),
      "abc def ghi jkl mno",
    ]) {
      expect(() => assertUploadId(bad)).toThrow(StorageKeyError);
    }
  });
});
