import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import onnxProto from "onnx-proto";

// Reads an ONNX file's header and checks its graph at the protobuf wire level, from the file in small
// windows: tensors' bytes are skipped, never read, so a multi-GB model costs a few KiB here. The small
// messages (opset ids) are decoded with onnx-proto's generated schema.

// A CommonJS module: its namespace is the default export under ESM.
const { onnx } = onnxProto;

export class OnnxFormatError extends Error {
  override name = "OnnxFormatError";
}

export type TOnnxHeader = {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: { name: string; version: string };
  domain: string;
  modelVersion: number;
};

/** Operator domains onnxruntime implements itself; anything else needs a custom-op library. */
const builtInDomains = new Set([
  "",
  "ai.onnx",
  "ai.onnx.ml",
  "ai.onnx.preview.training",
  "ai.onnx.training",
  "com.microsoft",
  "com.microsoft.nchwc",
  "com.microsoft.experimental",
]);

const maxGraphDepth = 32;
const maxSmallField = 1 << 20;

class FileWire {
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);
  private windowStart = 0;
  private windowEnd = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private fill(): void {
    this.windowStart = this.pos;
    const read = readSync(this.fd, this.buffer, 0, this.buffer.length, this.pos);
    this.windowEnd = this.pos + read;
  }

  byte(end: number): number {
    if (this.pos >= end)
      throw new OnnxFormatError("it is truncated (the file ends in the middle of a field)");
    if (this.pos < this.windowStart || this.pos >= this.windowEnd) this.fill();
    if (this.pos >= this.windowEnd) throw new OnnxFormatError("it is truncated");
    const value = this.buffer[this.pos - this.windowStart] as number;
    this.pos += 1;
    return value;
  }

  varint(end: number): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(end);
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new OnnxFormatError("it is not an ONNX model (a number in it is malformed)");
  }

  bytes(length: number, end: number): Buffer {
    if (length > maxSmallField)
      throw new OnnxFormatError("it is corrupt (a header field is implausibly large)");
    if (this.pos + length > end)
      throw new OnnxFormatError("it is truncated (a field runs past the end of the file)");
    const out = Buffer.allocUnsafe(length);
    const read = length === 0 ? 0 : readSync(this.fd, out, 0, length, this.pos);
    if (read !== length) throw new OnnxFormatError("it is truncated");
    this.pos += length;
    return out;
  }

  skip(length: number, end: number): void {
    if (this.pos + length > end)
      throw new OnnxFormatError("it is truncated (a field runs past the end of the file)");
    this.pos += length;
  }
}

type TFieldHandler = (field: number, wireType: number, end: number) => boolean;

/** Walks the fields of one message ending at `end`; `handle` consumes a field by returning true. */
function walk(wire: FileWire, end: number, handle: TFieldHandler): void {
  while (wire.pos < end) {
    const key = wire.varint(end);
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0)
      throw new OnnxFormatError("it is not an ONNX model (its bytes are not an ONNX protobuf)");
    if (wireType === 2) {
      const length = wire.varint(end);
      const fieldEnd = wire.pos + length;
      if (fieldEnd > end)
        throw new OnnxFormatError(
          "it is truncated or corrupt (a field runs past the end of its message)",
        );
      if (!handle(field, wireType, fieldEnd)) wire.skip(length, end);
      if (wire.pos !== fieldEnd)
        throw new OnnxFormatError("it is corrupt (a nested message is malformed)");
    } else if (wireType === 0) {
      if (!handle(field, wireType, end)) wire.varint(end);
    } else if (wireType === 1) {
      wire.skip(8, end);
    } else if (wireType === 5) {
      wire.skip(4, end);
    } else {
      throw new OnnxFormatError(`it is not an ONNX model (protobuf wire type ${wireType})`);
    }
  }
}

type TGraphFindings = { domains: Set<string>; hasGraph: boolean };

// TensorProto: external_data = 13, data_location = 14 (EXTERNAL = 1).
function checkTensor(wire: FileWire, end: number, where: string): void {
  walk(wire, end, (field, wireType, fieldEnd) => {
    if (field === 13 && wireType === 2) {
      throw new OnnxFormatError(`${where} stores its data in an external file, which is refused`);
    }
    if (field === 14 && wireType === 0) {
      if (wire.varint(fieldEnd) === 1) {
        throw new OnnxFormatError(`${where} stores its data in an external file, which is refused`);
      }
      return true;
    }
    return false;
  });
}

// SparseTensorProto: values = 1, indices = 2 (both TensorProto).
function checkSparse(wire: FileWire, end: number, where: string): void {
  walk(wire, end, (field, wireType, fieldEnd) => {
    if ((field === 1 || field === 2) && wireType === 2) {
      checkTensor(wire, fieldEnd, where);
      return true;
    }
    return false;
  });
}

// AttributeProto: t = 5, g = 6, tensors = 10, graphs = 11, sparse_tensor = 22, sparse_tensors = 23.
function checkAttribute(
  wire: FileWire,
  end: number,
  findings: TGraphFindings,
  depth: number,
): void {
  walk(wire, end, (field, wireType, fieldEnd) => {
    if (wireType !== 2) return false;
    if (field === 5 || field === 10) checkTensor(wire, fieldEnd, "a node attribute tensor");
    else if (field === 22 || field === 23) checkSparse(wire, fieldEnd, "a node attribute tensor");
    else if (field === 6 || field === 11) checkGraph(wire, fieldEnd, findings, depth + 1);
    else return false;
    return true;
  });
}

// NodeProto: attribute = 5, domain = 7.
function checkNode(wire: FileWire, end: number, findings: TGraphFindings, depth: number): void {
  walk(wire, end, (field, wireType, fieldEnd) => {
    if (wireType !== 2) return false;
    if (field === 7)
      findings.domains.add(wire.bytes(fieldEnd - wire.pos, fieldEnd).toString("utf8"));
    else if (field === 5) checkAttribute(wire, fieldEnd, findings, depth);
    else return false;
    return true;
  });
}

// GraphProto: node = 1, initializer = 5, sparse_initializer = 15.
function checkGraph(wire: FileWire, end: number, findings: TGraphFindings, depth: number): void {
  if (depth > maxGraphDepth)
    throw new OnnxFormatError(`subgraphs nest deeper than ${maxGraphDepth} levels`);
  walk(wire, end, (field, wireType, fieldEnd) => {
    if (wireType !== 2) return false;
    if (field === 1) checkNode(wire, fieldEnd, findings, depth);
    else if (field === 5) checkTensor(wire, fieldEnd, "an initializer");
    else if (field === 15) checkSparse(wire, fieldEnd, "a sparse initializer");
    else return false;
    return true;
  });
}

/** Header of the ONNX file at `file`; throws OnnxFormatError with a reason a person can act on. */
export function readOnnxHeader(file: string): TOnnxHeader {
  const fd = openSync(file, "r");
  try {
    const wire = new FileWire(fd, fstatSync(fd).size);
    const end = wire.size;
    const header: TOnnxHeader = {
      irVersion: 0,
      opsets: [],
      producer: { name: "", version: "" },
      domain: "",
      modelVersion: 0,
    };
    const findings: TGraphFindings = { domains: new Set(), hasGraph: false };
    const localFunctionDomains = new Set<string>();
    const text = (fieldEnd: number) => wire.bytes(fieldEnd - wire.pos, fieldEnd).toString("utf8");
    // ModelProto: ir_version 1, producer_name 2, producer_version 3, domain 4, model_version 5,
    // graph 7, opset_import 8, functions 25 (FunctionProto: node 7, domain 10).
    walk(wire, end, (field, wireType, fieldEnd) => {
      if (wireType === 0) {
        if (field === 1) header.irVersion = wire.varint(fieldEnd);
        else if (field === 5) header.modelVersion = wire.varint(fieldEnd);
        else return false;
        return true;
      }
      if (field === 2) header.producer.name = text(fieldEnd);
      else if (field === 3) header.producer.version = text(fieldEnd);
      else if (field === 4) header.domain = text(fieldEnd);
      else if (field === 7) {
        findings.hasGraph = true;
        checkGraph(wire, fieldEnd, findings, 0);
      } else if (field === 8) {
        const opset = onnx.OperatorSetIdProto.decode(wire.bytes(fieldEnd - wire.pos, fieldEnd));
        header.opsets.push({ domain: opset.domain, version: Number(opset.version) });
      } else if (field === 25) {
        walk(wire, fieldEnd, (f, w, e) => {
          if (w !== 2) return false;
          if (f === 10) localFunctionDomains.add(text(e));
          else if (f === 7) checkNode(wire, e, findings, 1);
          else return false;
          return true;
        });
      } else return false;
      return true;
    });
    if (!findings.hasGraph || header.irVersion === 0) {
      throw new OnnxFormatError("it has no ONNX graph or IR version (is it an ONNX file?)");
    }
    const custom = [...findings.domains, ...header.opsets.map((o) => o.domain)].filter(
      (domain) => !builtInDomains.has(domain) && !localFunctionDomains.has(domain),
    );
    if (custom.length > 0) {
      throw new OnnxFormatError(
        `it uses custom operator domain${custom.length > 1 ? "s" : ""} ${[...new Set(custom)].map((d) => `'${d}'`).join(", ")}, which this server does not load`,
      );
    }
    return header;
  } finally {
    closeSync(fd);
  }
}
