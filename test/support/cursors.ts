/** The JSON inside a listing cursor (base64url), as tests take it apart. */
export type CursorFields = Record<string, unknown>;

/** Encodes any value the way a cursor is encoded, so tests can forge cursors. */
export const encodeCursorJson = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Decodes a cursor the store issued. */
export const decodeCursorJson = (cursor: string): CursorFields =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorFields;

/**
 * Malformed variants of a valid cursor of the `byTenant` index (`{pk, sk, gsi1pk, gsi1sk}`):
 * each must be refused with 400 `invalid_request` before any query is sent.
 */
export function malformedCursors(valid: string, otherTenantId: string): [string, string][] {
  const fields = decodeCursorJson(valid);
  const id = String(fields.pk).slice('KEY#'.length);
  const date = String(fields.gsi1sk).split('#')[0];
  const otherId = `key_${'0'.repeat(24)}`;
  return [
    ['an empty sort key', encodeCursorJson({ ...fields, gsi1sk: '' })],
    ['a sort key without the key id', encodeCursorJson({ ...fields, gsi1sk: date })],
    ['a sort key that is not a date', encodeCursorJson({ ...fields, gsi1sk: `yesterday#${id}` })],
    ['a sort key with an impossible date', encodeCursorJson({ ...fields, gsi1sk: `2001-13-45T00:00:00.000Z#${id}` })],
    ['a sort key naming another key than pk', encodeCursorJson({ ...fields, gsi1sk: `${date}#${otherId}` })],
    ['an empty pk', encodeCursorJson({ ...fields, pk: '' })],
    ['a pk of KEY# alone', encodeCursorJson({ ...fields, pk: 'KEY#' })],
    ['a pk with a short id', encodeCursorJson({ ...fields, pk: 'KEY#key_abc' })],
    ['a pk with upper-case hex', encodeCursorJson({ ...fields, pk: `KEY#${id.toUpperCase()}` })],
    ['a pk of a tenant item', encodeCursorJson({ ...fields, pk: String(fields.gsi1pk) })],
    ['an sk of TENANT', encodeCursorJson({ ...fields, sk: 'TENANT' })],
    ['an empty sk', encodeCursorJson({ ...fields, sk: '' })],
    ['a numeric pk', encodeCursorJson({ ...fields, pk: 42 })],
    ['a null sk', encodeCursorJson({ ...fields, sk: null })],
    ['an array sort key', encodeCursorJson({ ...fields, gsi1sk: [fields.gsi1sk] })],
    ['an object partition key', encodeCursorJson({ ...fields, gsi1pk: { S: fields.gsi1pk } })],
    ['an extra field', encodeCursorJson({ ...fields, admin: true })],
    ['a missing field', encodeCursorJson({ pk: fields.pk, sk: fields.sk, gsi1pk: fields.gsi1pk })],
    ['another tenant partition', encodeCursorJson({ ...fields, gsi1pk: `TENANT#${otherTenantId}` })],
    ['a partition key with a suffix', encodeCursorJson({ ...fields, gsi1pk: `${String(fields.gsi1pk)}#live` })],
    [
      'fields of the environment index',
      encodeCursorJson({
        pk: fields.pk,
        sk: fields.sk,
        gsi2pk: `${String(fields.gsi1pk)}#test`,
        gsi2sk: fields.gsi1sk,
      }),
    ],
    ['a JSON array', encodeCursorJson([fields.pk, fields.sk, fields.gsi1pk, fields.gsi1sk])],
    ['a JSON string', encodeCursorJson('cursor')],
    ['JSON null', encodeCursorJson(null)],
    ['a JSON number', encodeCursorJson(1)],
    ['not JSON', Buffer.from('{pk:', 'utf8').toString('base64url')],
    ['spaced JSON', Buffer.from(JSON.stringify(fields, null, 1), 'utf8').toString('base64url')],
    [
      'reordered fields',
      encodeCursorJson({ gsi1sk: fields.gsi1sk, gsi1pk: fields.gsi1pk, sk: fields.sk, pk: fields.pk }),
    ],
    ['a padded cursor', `${valid}=`],
    ['base64url with trailing garbage', `${valid}!!`],
    ['a cursor with a space', `${valid.slice(0, 4)} ${valid.slice(4)}`],
    ['characters outside base64url', '!!!'],
    ['a huge cursor', 'A'.repeat(5000)],
    ['a huge JSON cursor', encodeCursorJson({ ...fields, gsi1sk: `${String(fields.gsi1sk)}${'x'.repeat(3000)}` })],
  ];
}
