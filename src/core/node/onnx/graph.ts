/**
 * A small ONNX graph builder: initializers, nodes, typed inputs and outputs, serialized to the
 * bytes of a `.onnx` file with protobufjs. It knows nothing of LSTMs; `exportLstm.ts` uses it.
 */
import { ModelError } from '../../common/errors';
import { OnnxAttributeType, OnnxDataType, onnxType } from './schema';

/** An attribute value: numbers are INT when integral unless wrapped with `{ float }`. */
export type OnnxAttribute = number | { float: number } | string | number[] | { floats: number[] } | string[];

/** A graph input or output: element type and shape (strings name symbolic dimensions such as 'batch'). */
export interface OnnxValueInfo {
  /** Tensor name. */
  name: string;
  /** Element type. */
  elemType: 'float32' | 'int32' | 'int64';
  /** Dimensions: numbers are fixed, strings are symbolic. */
  shape: (number | string)[];
}

const ELEM_TYPES = { float32: OnnxDataType.FLOAT, int32: OnnxDataType.INT32, int64: OnnxDataType.INT64 } as const;

/** ONNX IR version written (8 = ONNX 1.10+, read by every onnxruntime since 1.10). */
export const ONNX_IR_VERSION = 8;
/** Default-domain opset written; every op we emit is defined there. */
export const ONNX_OPSET = 17;

/** Builds one ONNX model graph and serializes it. */
export class OnnxGraphBuilder {
  private readonly nodes: object[] = [];
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  /** @param graphName the graph's name inside the file. */
  constructor(private readonly graphName: string) {}

  /** Adds a float32 constant tensor and returns its name. Throws when `data` does not fill `dims`. */
  addFloatInitializer(name: string, data: Float32Array, dims: number[]): string {
    this.checkSize(name, data.length, dims);
    // raw_data is little-endian float32; copy so a view on a bigger buffer writes only its own bytes.
    const raw = new Uint8Array(data.byteLength);
    new Float32Array(raw.buffer).set(data);
    this.initializers.push({ name: this.claim(name), dims, data_type: OnnxDataType.FLOAT, raw_data: raw });
    return name;
  }

  /** Adds an int64 constant tensor (shapes for Reshape, axes) and returns its name. */
  addInt64Initializer(name: string, data: number[], dims: number[]): string {
    this.checkSize(name, data.length, dims);
    this.initializers.push({ name: this.claim(name), dims, data_type: OnnxDataType.INT64, int64_data: data });
    return name;
  }

  /** Declares a graph input. */
  addInput(info: OnnxValueInfo): string {
    this.inputs.push(valueInfo({ ...info, name: this.claim(info.name) }));
    return info.name;
  }

  /** Declares a graph output (a name some node produces). */
  addOutput(info: OnnxValueInfo): string {
    this.outputs.push(valueInfo(info));
    return info.name;
  }

  /**
   * Adds a node and returns its output names. `outputs` may be a count, in which case fresh
   * names are made from the op type; an empty string marks an omitted optional input or output.
   */
  addNode(opType: string, inputs: string[], outputs: string[] | number = 1, attributes: Record<string, OnnxAttribute> = {}): string[] {
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, k) => this.fresh(`${opType}_${k}`))
        : outputs.map((n) => (n === '' ? n : this.claim(n)));
    this.nodes.push({
      op_type: opType,
      name: this.fresh(opType),
      input: inputs,
      output: outNames,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return outNames;
  }

  /** The `.onnx` file bytes, with `metadata` stored as the model's metadata_props. */
  toBytes(options: { producerVersion?: string; docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
    const Model = onnxType('ModelProto');
    const message = {
      ir_version: ONNX_IR_VERSION,
      producer_name: 'cadenza',
      producer_version: options.producerVersion ?? '0.1.0',
      doc_string: options.docString ?? '',
      opset_import: [{ domain: '', version: ONNX_OPSET }],
      graph: { name: this.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    const problem = Model.verify(message);
    if (problem) throw new ModelError(`The ONNX graph "${this.graphName}" is malformed: ${problem}.`);
    return Model.encode(Model.fromObject(message)).finish();
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new ModelError(`The ONNX graph "${this.graphName}" already has a tensor named "${name}".`, { field: name });
    this.names.add(name);
    return name;
  }

  private fresh(base: string): string {
    let name = `${base}_${this.counter++}`;
    while (this.names.has(name)) name = `${base}_${this.counter++}`;
    this.names.add(name);
    return name;
  }

  private checkSize(name: string, length: number, dims: number[]): void {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== length)
      throw new ModelError(`The ONNX tensor "${name}" has ${length} values but its shape [${dims.join(', ')}] needs ${size}.`, { field: name });
  }
}

function valueInfo(info: OnnxValueInfo): object {
  return {
    name: info.name,
    type: {
      tensor_type: {
        elem_type: ELEM_TYPES[info.elemType],
        shape: { dim: info.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function attribute(name: string, value: OnnxAttribute): object {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: OnnxAttributeType.INT, i: value } : { name, type: OnnxAttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'string'))
      return { name, type: OnnxAttributeType.STRINGS, strings: (value as string[]).map((v) => new TextEncoder().encode(v)) };
    return { name, type: OnnxAttributeType.INTS, ints: value };
  }
  if ('float' in value) return { name, type: OnnxAttributeType.FLOAT, f: value.float };
  return { name, type: OnnxAttributeType.FLOATS, floats: value.floats };
}
