import Ajv, { MissingRefError, type AnySchemaObject, type ErrorObject } from 'ajv';

/**
 * A tool's `parameters`: the JSON Schema of the arguments the model sends, checked when the
 * config is stored so that the accept never carries a schema OpenAI refuses, and the config
 * always fits in its DynamoDB item.
 *
 * Read as JSON Schema draft-07: OpenAI's own SDKs write function parameters in it (the openai
 * package's zod and Standard Schema helpers convert with `target: 'draft-7'`), tuples as
 * draft-07's list form of `items` included, which the 2020-12 meta-schema refuses. `$defs`
 * (OpenAI's examples use it) is checked like draft-07's `definitions`.
 */

/** The most a tool's parameters may be, in UTF-8 bytes of JSON. */
export const MAX_TOOL_PARAMETERS_BYTES = 16 * 1024;

/**
 * How deeply a tool's parameters may nest objects and lists, the parameters object being level
 * 1. DynamoDB stores at most 32 levels, and the parameters are inside three (config, tools, the
 * tool); a voice agent's arguments need far fewer.
 */
export const MAX_TOOL_PARAMETERS_DEPTH = 16;

/**
 * DynamoDB's smallest non-zero number. The largest the document client writes is
 * Number.MAX_SAFE_INTEGER: it refuses a larger one rather than round it.
 */
const SMALLEST_STORED_NUMBER = 1e-130;

/** What `$schema` may say: draft-07, as ajv knows it. */
const DRAFT_07 = ['http://json-schema.org/draft-07/schema#', 'http://json-schema.org/draft-07/schema'];

export type PathPart = string | number;

/** A problem with a tool's parameters, its path from the parameters object. */
export interface ParametersProblem {
  path: PathPart[];
  message: string;
}

const count = (n: number) => n.toLocaleString('en-US');

type Json = Record<string, unknown>;
const isPlainObject = (value: unknown): value is Json => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** The first problem with a tool's parameters, or undefined when OpenAI and DynamoDB will both take them. */
export function toolParametersProblem(parameters: unknown): ParametersProblem | undefined {
  if (!isPlainObject(parameters)) {
    return { path: [], message: 'parameters must be a JSON Schema object, e.g. { "type": "object", "properties": { "order": { "type": "string" } } }' };
  }
  const stored = storableProblem(parameters, [], 1);
  if (stored) return stored;
  const size = Buffer.byteLength(JSON.stringify(parameters));
  if (size > MAX_TOOL_PARAMETERS_BYTES) {
    return {
      path: [],
      message: `the parameters are ${count(size)} bytes as JSON; at most ${count(MAX_TOOL_PARAMETERS_BYTES)} (${MAX_TOOL_PARAMETERS_BYTES / 1024} KiB) are allowed: shorten their descriptions, or split the tool in two`,
    };
  }
  if (parameters.type !== 'object') {
    return { path: ['type'], message: 'parameters must have "type": "object": OpenAI passes a function\'s arguments as one object, its fields listed under "properties"' };
  }
  if (parameters.$schema !== undefined && !DRAFT_07.includes(parameters.$schema as string)) {
    return { path: ['$schema'], message: `parameters are read as JSON Schema draft-07, as OpenAI's SDKs write them: remove "$schema" or make it "${DRAFT_07[0]}"` };
  }
  return metaSchemaProblem(parameters) ?? subschemaProblem(parameters, []) ?? compileProblem(parameters);
}

/**
 * The first value DynamoDB (through the document client) cannot store as it is: a number past
 * the SDK's exact range or below DynamoDB's smallest, an empty name, something that is not JSON,
 * or nesting past MAX_TOOL_PARAMETERS_DEPTH (which also stops at a document that contains itself).
 */
function storableProblem(value: unknown, path: PathPart[], depth: number): ParametersProblem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      if (!Number.isFinite(value)) return { path, message: `${value} is not a JSON number` };
      if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
        return { path, message: `${value} cannot be stored: a number in the parameters must be between -${count(Number.MAX_SAFE_INTEGER)} and ${count(Number.MAX_SAFE_INTEGER)}` };
      }
      if (value !== 0 && Math.abs(value) < SMALLEST_STORED_NUMBER) {
        return { path, message: `${value} cannot be stored: a number in the parameters other than 0 must be at least 1e-130 in size (DynamoDB's smallest)` };
      }
      return undefined;
    case 'object': {
      if (value === null) return undefined;
      if (!Array.isArray(value) && !isPlainObject(value)) return { path, message: 'is not a JSON value (text, a number, true, false, null, a list or an object)' };
      if (depth > MAX_TOOL_PARAMETERS_DEPTH) {
        return { path, message: `the parameters are nested more than ${MAX_TOOL_PARAMETERS_DEPTH} levels deep here (objects and lists): flatten them` };
      }
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) {
          const problem = storableProblem(item, [...path, i], depth + 1);
          if (problem) return problem;
        }
        return undefined;
      }
      for (const [key, item] of Object.entries(value)) {
        if (key === '') return { path, message: 'an empty name cannot be stored (DynamoDB takes no empty attribute names): name the field' };
        const problem = storableProblem(item, [...path, key], depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return { path, message: 'is not a JSON value (text, a number, true, false, null, a list or an object)' };
  }
}

let checker: { ajv: Ajv; metaSchema: string } | undefined;

/**
 * One ajv for every check, built on first use. It keeps no schema it compiles: `addUsedSchema`
 * off, so an `$id` in one tool's parameters never clashes with another's.
 */
function parametersChecker(): { ajv: Ajv; metaSchema: string } {
  if (checker) return checker;
  const ajv = new Ajv({ strict: false, validateFormats: false, addUsedSchema: false, allErrors: false });
  const draft07 = ajv.getSchema(DRAFT_07[0])!.schema as AnySchemaObject;
  const metaSchema = 'switchboard:tool-parameters';
  // draft-07 with `$defs` checked as `definitions` is: its `{ "$ref": "#" }` now points here.
  ajv.addMetaSchema({ ...draft07, $id: metaSchema, properties: { ...draft07.properties, $defs: draft07.properties.definitions } });
  checker = { ajv, metaSchema };
  return checker;
}

function metaSchemaProblem(parameters: Json): ParametersProblem | undefined {
  const { ajv, metaSchema } = parametersChecker();
  if (ajv.validate(metaSchema, parameters)) return undefined;
  const [error] = ajv.errors as ErrorObject[];
  const allowed = error.keyword === 'enum' ? `: ${(error.params.allowedValues as unknown[]).join(', ')}` : '';
  return { path: pointerPath(parameters, error.instancePath), message: `${error.message}${allowed}` };
}

/** A JSON pointer into `root` as a path, list positions as numbers. */
function pointerPath(root: unknown, pointer: string): PathPart[] {
  if (pointer === '') return [];
  let at = root;
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
      const part: PathPart = Array.isArray(at) ? Number(key) : key;
      at = (at as Record<PathPart, unknown> | undefined)?.[part];
      return part;
    });
}

const SCHEMA_KEYWORDS = ['additionalItems', 'contains', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else'];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies'];

/** Each subschema of a (meta-schema-valid) schema with its path: where draft-07 puts schemas. */
function subschemas(schema: Json, path: PathPart[]): [Json, PathPart[]][] {
  const found: [unknown, PathPart[]][] = [];
  for (const keyword of SCHEMA_KEYWORDS) found.push([schema[keyword], [...path, keyword]]);
  const items = schema.items;
  if (Array.isArray(items)) items.forEach((item, i) => found.push([item, [...path, 'items', i]]));
  else found.push([items, [...path, 'items']]);
  for (const keyword of SCHEMA_LIST_KEYWORDS) {
    if (Array.isArray(schema[keyword])) (schema[keyword] as unknown[]).forEach((item, i) => found.push([item, [...path, keyword, i]]));
  }
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    if (isPlainObject(schema[keyword])) for (const [name, item] of Object.entries(schema[keyword])) found.push([item, [...path, keyword, name]]);
  }
  // Booleans are schemas too, with nothing inside; a `dependencies` list names fields.
  return found.filter((entry): entry is [Json, PathPart[]] => isPlainObject(entry[0]));
}

/** What the meta-schema leaves unchecked and OpenAI refuses: an array without `items`, and patterns that are not regular expressions. */
function subschemaProblem(schema: Json, path: PathPart[]): ParametersProblem | undefined {
  const types = [schema.type].flat();
  if (types.includes('array') && schema.items === undefined) {
    return { path, message: 'an array needs "items" saying what each element is, e.g. "items": { "type": "string" } (OpenAI refuses an array schema without it)' };
  }
  const patterns: [unknown, PathPart[]][] = [[schema.pattern, [...path, 'pattern']]];
  if (isPlainObject(schema.patternProperties)) for (const key of Object.keys(schema.patternProperties)) patterns.push([key, [...path, 'patternProperties', key]]);
  for (const [pattern, at] of patterns) {
    if (typeof pattern !== 'string') continue;
    try {
      new RegExp(pattern, 'u');
    } catch (error) {
      return { path: at, message: `"${pattern}" is not a regular expression: ${(error as Error).message}` };
    }
  }
  for (const [subschema, at] of subschemas(schema, path)) {
    const problem = subschemaProblem(subschema, at);
    if (problem) return problem;
  }
  return undefined;
}

/** What only compiling finds: a `$ref` to nothing in the parameters (OpenAI fetches no other document). */
function compileProblem(parameters: Json): ParametersProblem | undefined {
  const { ajv } = parametersChecker();
  try {
    ajv.compile(parameters);
    return undefined;
  } catch (error) {
    if (!(error instanceof MissingRefError)) return { path: [], message: `not a schema OpenAI can use: ${(error as Error).message}` };
    const ref = refPaths(parameters, []).find(([value]) => value === error.missingRef || error.missingRef.endsWith(value));
    return {
      path: ref?.[1] ?? [],
      message: `"${ref?.[0] ?? error.missingRef}" refers to nothing in the parameters: define it under "$defs" (OpenAI reads no other document)`,
    };
  } finally {
    ajv.removeSchema(parameters);
  }
}

/** Every `$ref` in a schema, with its path. */
function refPaths(value: unknown, path: PathPart[]): [string, PathPart[]][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => refPaths(item, [...path, i]));
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([key, item]): [string, PathPart[]][] =>
    key === '$ref' && typeof item === 'string' ? [[item, [...path, key]]] : refPaths(item, [...path, key]),
  );
}
