/**
 * The shape of a decoded ONNX ModelProto, as `decodeModel` returns it: the runtime's own
 * interfaces, so that its public types need no protobuf package's declarations (those of
 * the ONNX protobuf package name an int64 class as an undeclared global, an error for a
 * consumer compiling with `skipLibCheck: false`).
 * Field names follow the ONNX spec in protobufjs' camelCase (`op_type` -> `opType`); only
 * the messages and fields a genmodels model uses are described. Repeated fields of the
 * model itself are always arrays; nested messages may be absent (`null`/`undefined`), as
 * protobufjs types them.
 */

/**
 * A 64-bit integer field as protobufjs decodes it: an object of the `long` package when that
 * is installed (it is, as a dependency of protobufjs), otherwise a number. `Number(v)` reads either.
 *
 * @example Number(model.irVersion) // 10
 */
export type OnnxInt64 = number | OnnxInt64Object;

/** The part of the `long` package's int64 objects that decoded int64 fields expose. */
export interface OnnxInt64Object {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
  toString(radix?: number): string;
}

/** ModelProto: IR version, opsets, producer, metadata and the graph. */
export interface OnnxModel {
  irVersion: OnnxInt64;
  opsetImport: OnnxOperatorSetId[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: OnnxInt64;
  docString: string;
  graph?: OnnxGraph | null;
  /** `metadata_props`: the `metadata` given to `encodeModel` (genmodels stores its config here). */
  metadataProps: OnnxStringEntry[];
}

/** OperatorSetIdProto: an opset (`domain` '' is the default ONNX domain). */
export interface OnnxOperatorSetId {
  domain?: string | null;
  version?: OnnxInt64 | null;
}

/** StringStringEntryProto: one metadata entry. */
export interface OnnxStringEntry {
  key?: string | null;
  value?: string | null;
}

/** GraphProto: nodes in topological order, inputs, outputs and initializers (constants). */
export interface OnnxGraph {
  name?: string | null;
  node?: OnnxNode[] | null;
  initializer?: OnnxTensor[] | null;
  docString?: string | null;
  input?: OnnxValueInfo[] | null;
  output?: OnnxValueInfo[] | null;
  valueInfo?: OnnxValueInfo[] | null;
}

/** NodeProto: one operator call, its inputs and outputs by value name. */
export interface OnnxNode {
  input?: string[] | null;
  output?: string[] | null;
  name?: string | null;
  opType?: string | null;
  domain?: string | null;
  attribute?: OnnxAttribute[] | null;
  docString?: string | null;
}

/** AttributeProto: `type` is AttributeProto.AttributeType (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS). */
export interface OnnxAttribute {
  name?: string | null;
  type?: number | null;
  f?: number | null;
  i?: OnnxInt64 | null;
  s?: Uint8Array | null;
  t?: OnnxTensor | null;
  floats?: number[] | null;
  ints?: OnnxInt64[] | null;
  docString?: string | null;
}

/** ValueInfoProto: a graph input or output with its type. */
export interface OnnxValueInfo {
  name?: string | null;
  type?: OnnxType | null;
  docString?: string | null;
}

/** TypeProto (the tensor case, the only one genmodels writes). */
export interface OnnxType {
  tensorType?: OnnxTensorType | null;
  denotation?: string | null;
}

/** TypeProto.Tensor: `elemType` is a TensorProto.DataType (1 FLOAT, 2 UINT8, 6 INT32, 7 INT64, 9 BOOL). */
export interface OnnxTensorType {
  elemType?: number | null;
  shape?: OnnxTensorShape | null;
}

/** TensorShapeProto. */
export interface OnnxTensorShape {
  dim?: OnnxDimension[] | null;
}

/** TensorShapeProto.Dimension: a fixed size (`dimValue`) or a named dynamic one (`dimParam`, e.g. 'batch'). */
export interface OnnxDimension {
  dimValue?: OnnxInt64 | null;
  dimParam?: string | null;
  denotation?: string | null;
}

/** TensorProto: an initializer or a tensor attribute (genmodels writes `rawData`, little-endian). */
export interface OnnxTensor {
  name?: string | null;
  dims?: OnnxInt64[] | null;
  dataType?: number | null;
  rawData?: Uint8Array | null;
  floatData?: number[] | null;
  int32Data?: number[] | null;
  int64Data?: OnnxInt64[] | null;
  docString?: string | null;
}
