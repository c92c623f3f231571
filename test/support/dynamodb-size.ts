import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * An item's size as DynamoDB counts it against its 400 KB item limit ("DynamoDB item sizes and
 * formats", CapacityUnitCalculations): the UTF-8 bytes of each attribute name plus its value's
 * size. A string: its UTF-8 bytes; a number: 1 byte per two significant digits plus 1; a binary:
 * its raw bytes; null or Boolean: 1; a List or Map: 3 bytes plus 1 per element plus the elements;
 * a set: the sum of its elements. moto checks the limit only when an attribute is set whole, so an
 * in-place ADD to a set can grow an item past it there; tests measure with this instead.
 */
export const DYNAMODB_ITEM_MAX_BYTES = 400 * 1024;

const utf8 = (value: string): number => Buffer.byteLength(value, 'utf8');

function numberBytes(value: string): number {
  const digits = value.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '');
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(significant.length, 1) / 2) + 1;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS) return value.NS.reduce((sum, s) => sum + numberBytes(s), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + b.length, 0);
  if (value.L) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  if (value.M)
    return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8(k) + valueBytes(v), 0);
  throw new Error(`unknown attribute value ${JSON.stringify(value)}`);
}

export function dynamoDbItemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueBytes(value), 0);
}
