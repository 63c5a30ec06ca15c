// Public API of the line-protocol parser and canonical serializer.
export type { FieldValue, LineError, ParseOptions, ParseResult, Point, PointBatch, Precision } from './types.js';
export { parseLines } from './parse.js';
export { decodeLine, measurementOf, tagValueOf } from './decode.js';
export { serializePoint } from './serialize.js';
export { PointBuilder } from './point-builder.js';
export { parsePrecision, precisionError, v1PrecisionError, V2_PRECISION_ERROR } from './precision.js';
export { describeLineError, describeLineErrorAt, MAX_ERROR_TEXT } from './errors.js';
export { BodyParser, OFF_THREAD_BYTES, type BodyParse } from './off-thread.js';
export { ParseScratch } from './state.js';
