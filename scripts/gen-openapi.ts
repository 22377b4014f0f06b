/**
 * Generates src/server/openapi/generated/schemas.json: the OpenAPI v3 component schemas of the
 * Kubernetes kinds podvisor serves, read from the installed `kubernetes-types` package (the
 * upstream API types with their upstream field documentation as JSDoc), so that `kubectl explain`
 * prints the real documentation and nothing is hand-written (kubectl-surface §2.13).
 *
 *   npm run gen:openapi        (= node --import tsx scripts/gen-openapi.ts)
 *
 * Mapping (as the upstream OpenAPI generator does it): interfaces → object schemas named
 * `io.k8s.api.<group>.<version>.<Kind>` / `io.k8s.apimachinery.…`; optional-less properties →
 * `required`; `number` → integer (the Kubernetes API conventions forbid floats in these types);
 * `number | string` → IntOrString; `Array<T>` → array; index signatures → additionalProperties;
 * `apiVersion`/`kind` literals → `x-kubernetes-group-version-kind`. Patch metadata comes from
 * src/server/openapi/patch-metadata.ts.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';
import { PATCH_METADATA } from '../src/server/openapi/patch-metadata.js';

type Schema = Record<string, unknown>;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES_DIR = join(ROOT, 'node_modules', 'kubernetes-types');
const OUT = join(ROOT, 'src', 'server', 'openapi', 'generated', 'schemas.json');

/** kubernetes-types module (path without .d.ts) → upstream OpenAPI schema name prefix. */
const MODULES: Readonly<Record<string, string>> = {
  'core/v1': 'io.k8s.api.core.v1',
  'apps/v1': 'io.k8s.api.apps.v1',
  'autoscaling/v1': 'io.k8s.api.autoscaling.v1',
  'discovery/v1': 'io.k8s.api.discovery.v1',
  'policy/v1': 'io.k8s.api.policy.v1',
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
};

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
/**
 * kubernetes-types writes IntOrString as `number | string` and so has no documentation for it;
 * this is the upstream definition (k8s.io/apimachinery/pkg/util/intstr, OpenAPIDefinition).
 */
const INT_OR_STRING_SCHEMA: Schema = {
  description:
    'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
  type: 'string',
  format: 'int-or-string',
};

/** String aliases upstream documents with a format (meta/v1 Time and MicroTime are RFC 3339). */
const ALIAS_FORMATS: Readonly<Record<string, string>> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'date-time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'date-time',
};

function docOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = docs[docs.length - 1];
  if (!last) return undefined;
  const text = ts.getTextOfJSDocComment(last.comment)?.trim();
  return text ? text : undefined;
}

class ModuleReader {
  /** Local and imported type names → schema names. */
  private readonly names = new Map<string, string>();
  readonly file: ts.SourceFile;

  constructor(
    readonly module: string,
    readonly prefix: string,
  ) {
    const path = join(TYPES_DIR, `${module}.d.ts`);
    this.file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    for (const st of this.file.statements) {
      if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st))
        this.names.set(st.name.text, `${prefix}.${st.name.text}`);
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
        const target = posix.normalize(posix.join(posix.dirname(module), st.moduleSpecifier.text));
        const targetPrefix = MODULES[target];
        const bindings = st.importClause?.namedBindings;
        if (!targetPrefix || !bindings || !ts.isNamedImports(bindings)) continue;
        for (const el of bindings.elements) this.names.set(el.name.text, `${targetPrefix}.${el.name.text}`);
      }
    }
  }

  private ref(name: string): Schema {
    const target = this.names.get(name);
    if (!target) throw new Error(`${this.module}: unknown type ${name}`);
    return { $ref: `#/components/schemas/${target}` };
  }

  typeSchema(node: ts.TypeNode): Schema {
    if (node.kind === ts.SyntaxKind.StringKeyword) return { type: 'string' };
    if (node.kind === ts.SyntaxKind.NumberKeyword) return { type: 'integer' };
    if (node.kind === ts.SyntaxKind.BooleanKeyword) return { type: 'boolean' };
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return { type: 'string' };
    if (ts.isParenthesizedTypeNode(node)) return this.typeSchema(node.type);
    if (ts.isUnionTypeNode(node)) {
      const kinds = node.types.map((t) => t.kind).sort();
      if (kinds.join() === [ts.SyntaxKind.NumberKeyword, ts.SyntaxKind.StringKeyword].sort().join())
        return { $ref: `#/components/schemas/${INT_OR_STRING}` };
      throw new Error(`${this.module}: unsupported union ${node.getText()}`);
    }
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: this.typeSchema(node.elementType) };
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
      const arg = node.typeArguments?.[0];
      if (node.typeName.text === 'Array' && arg) return { type: 'array', items: this.typeSchema(arg) };
      return this.ref(node.typeName.text);
    }
    if (ts.isTypeLiteralNode(node)) {
      const index = node.members.find(ts.isIndexSignatureDeclaration);
      if (index && node.members.length === 1)
        return { type: 'object', additionalProperties: this.typeSchema(index.type) };
      if (node.members.length === 0) return { type: 'object' };
    }
    throw new Error(`${this.module}: unsupported type ${node.getText()}`);
  }

  /** A property's schema in the upstream v3 style: a reference wrapped in allOf beside its description. */
  fieldSchema(prop: ts.PropertySignature, owner: string): Schema {
    if (!prop.type) throw new Error(`${owner}: untyped property`);
    const base = this.typeSchema(prop.type);
    const description = docOf(prop);
    const field: Schema = base.$ref !== undefined && description ? { allOf: [base] } : { ...base };
    if (description) field.description = description;
    const patch = PATCH_METADATA[`${owner}.${prop.name.getText()}`];
    if (patch?.strategy) field['x-kubernetes-patch-strategy'] = patch.strategy;
    if (patch?.mergeKey) field['x-kubernetes-patch-merge-key'] = patch.mergeKey;
    if (patch?.listType) field['x-kubernetes-list-type'] = patch.listType;
    if (patch?.listMapKeys) field['x-kubernetes-list-map-keys'] = [...patch.listMapKeys];
    return field;
  }

  *schemas(): Generator<[string, Schema]> {
    for (const st of this.file.statements) {
      if (ts.isTypeAliasDeclaration(st)) {
        const name = `${this.prefix}.${st.name.text}`;
        if (st.type.kind !== ts.SyntaxKind.StringKeyword) continue; // JSON-schema unions of apiextensions
        const schema: Schema = { type: 'string' };
        const description = docOf(st);
        if (description) schema.description = description;
        const format = ALIAS_FORMATS[name];
        if (format) schema.format = format;
        yield [name, schema];
      }
      if (!ts.isInterfaceDeclaration(st)) continue;
      const name = `${this.prefix}.${st.name.text}`;
      const schema: Schema = {};
      const description = docOf(st);
      if (description) schema.description = description;
      schema.type = 'object';
      const properties: Record<string, Schema> = {};
      const required: string[] = [];
      const literals: Record<string, string> = {};
      for (const member of st.members) {
        if (!ts.isPropertySignature(member)) continue;
        const prop = member.name.getText().replace(/^"(.*)"$/, '$1');
        properties[prop] = this.fieldSchema(member, name);
        if (!member.questionToken) required.push(prop);
        if (member.type && ts.isLiteralTypeNode(member.type) && ts.isStringLiteral(member.type.literal))
          literals[prop] = member.type.literal.text;
      }
      if (Object.keys(properties).length > 0) schema.properties = properties;
      if (required.length > 0) schema.required = required;
      if (literals.apiVersion !== undefined && literals.kind !== undefined) {
        const [group, version] = literals.apiVersion.includes('/')
          ? literals.apiVersion.split('/')
          : ['', literals.apiVersion];
        schema['x-kubernetes-group-version-kind'] = [{ group, version, kind: literals.kind }];
      }
      yield [name, schema];
    }
  }
}

/** Every schema of MODULES (and IntOrString), sorted by name. */
export function generateSchemas(): Record<string, Schema> {
  const schemas: Record<string, Schema> = { [INT_OR_STRING]: INT_OR_STRING_SCHEMA };
  for (const [module, prefix] of Object.entries(MODULES))
    for (const [name, schema] of new ModuleReader(module, prefix).schemas()) schemas[name] = schema;
  for (const key of Object.keys(PATCH_METADATA)) {
    const dot = key.lastIndexOf('.');
    const owner = schemas[key.slice(0, dot)]?.properties as Record<string, Schema> | undefined;
    if (!owner?.[key.slice(dot + 1)]) throw new Error(`patch metadata names a missing field: ${key}`);
  }
  return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function typesVersion(): string {
  const pkg = JSON.parse(readFileSync(join(TYPES_DIR, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The file's content: a header saying how it was made, and the schemas. */
export function generatedFile(): { generated: string; schemas: Record<string, Schema> } {
  return {
    generated: `Generated by scripts/gen-openapi.ts from kubernetes-types@${typesVersion()}; do not edit. Regenerate with \`npm run gen:openapi\`.`,
    schemas: generateSchemas(),
  };
}

export const GENERATED_PATH = OUT;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const output = generatedFile();
  mkdirSync(dirname(OUT), { recursive: true });
  // Formatted as the repository's prettier config would, so `npm run lint` passes on it.
  const options = (await resolveConfig(OUT)) ?? {};
  writeFileSync(OUT, await format(JSON.stringify(output), { ...options, filepath: OUT }));
  console.log(`wrote ${Object.keys(output.schemas).length} schemas to ${OUT}`);
}
